// All activities, built from their dependencies (worker.ts is the only caller with real clients).
import { createAddTitleActivities } from './add-title';
import { createContentActivities } from './content';
import type { ActivityDeps } from './deps';
import { createDrainActivities } from './drain';
import { createEvaluateActivities } from './evaluate';
import { createIngestActivities } from './ingest';
import { createPlanActivities } from './plan';
import { createPrepareActivities } from './prepare';
import { createPublishActivities } from './publish';
import { createRankActivities } from './rank';
import { createScoreActivities } from './score';
import { createTrainActivities } from './train';

export function createActivities(deps: ActivityDeps) {
  return {
    ...createIngestActivities(deps),
    ...createPlanActivities(deps),
    ...createPrepareActivities(deps),
    ...createTrainActivities(deps),
    ...createRankActivities(deps),
    ...createContentActivities(deps),
    ...createEvaluateActivities(deps),
    ...createScoreActivities(deps),
    ...createPublishActivities(deps),
    ...createDrainActivities(deps),
    ...createAddTitleActivities(deps),
  };
}

/** The activity interface workflows proxy (`import type { Activities }`). */
export type Activities = ReturnType<typeof createActivities>;

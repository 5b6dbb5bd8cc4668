// trainRetrieval: fit the retrieval model of a run's phase (pipeline/retrieval.ts), heart-beating
// every epoch so the Temporal UI shows the epoch and loss.
import { fitRetrieval, PHASE_DATA, type Phase, type TrainedModelInfo } from '../pipeline/retrieval';
import { runDir } from '../storage/artifacts';
import type { ActivityDeps } from './deps';
import { progress } from './heartbeat';
import type { RetrievalParams } from './types';

export function createTrainActivities({ cfg }: Pick<ActivityDeps, 'cfg'>) {
  return {
    async trainRetrieval(input: { version: string; phase: Phase; params: RetrievalParams }): Promise<TrainedModelInfo> {
      const dir = runDir(cfg, input.version);
      return fitRetrieval(dir, input.phase, PHASE_DATA[input.phase], input.params, cfg.ALS_THREADS, progress);
    },
  };
}

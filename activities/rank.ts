// trainRanker: build a ranker phase's examples and train it (pipeline/ranking.ts), heart-beating
// every epoch (and every second while the event loop is free); then the analysts' copy of the examples.
import { existsSync } from 'node:fs';
import { initTf } from '../model/tf-backend';
import { fitRankerPhase, rankerSettings, type RankerInfo, type RankerPlan } from '../pipeline/ranking';
import { analyticsPaths } from '../storage/analytics';
import { runDir } from '../storage/artifacts';
import { readRankerExamples, rankerExamplesPath, writeRankerExamplesParquet, type RankerPhase } from '../storage/ranker-data';
import { runFiles } from '../storage/run-data';
import type { ActivityDeps } from './deps';
import { progress, withHeartbeat } from './heartbeat';

export function createRankActivities({ cfg }: Pick<ActivityDeps, 'cfg'>) {
  return {
    async trainRanker(input: { version: string; phase: RankerPhase; ranker: RankerPlan }): Promise<RankerInfo> {
      const dir = runDir(cfg, input.version);
      await initTf(cfg.TF_BACKEND);
      let details: Record<string, unknown> = { step: 'ranker', phase: input.phase };
      const info = await withHeartbeat(
        () => details,
        () =>
          fitRankerPhase(dir, input.phase, rankerSettings(input.ranker, cfg.ALS_THREADS), (d) => {
            details = d;
            progress(d);
          }),
      );
      // The analysts' copy: every phase's examples of this run so far, one file.
      const sets = (['gate', 'ship'] as const).filter((p) => existsSync(`${rankerExamplesPath(dir, p)}.json`)).map((p) => ({ phase: p, ...readRankerExamples(dir, p) }));
      if (sets.length > 0) await writeRankerExamplesParquet(analyticsPaths(cfg.DATA_DIR).run(input.version, 'ranker_examples'), input.version, sets, runFiles.users(dir), runFiles.items(dir).map((t) => t.movie_id));
      progress({ step: 'ranker done', ...info });
      return info;
    },
  };
}

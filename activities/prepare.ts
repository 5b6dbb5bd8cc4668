// prepareRun: export the run's training data (indices, confidence CSRs, holdout, baseline
// signals) from the warehouse into the run directory. No data at all is bad input.
import { ApplicationFailure } from '@temporalio/activity';
import { runDir } from '../storage/artifacts';
import { NoDataError, prepareRunData, type RunManifest } from '../storage/run-data';
import type { ActivityDeps } from './deps';
import { progress, withHeartbeat } from './heartbeat';

export function createPrepareActivities({ cfg, wh }: Pick<ActivityDeps, 'cfg' | 'wh'>) {
  return {
    async prepareRun(input: { version: string; asOf?: string; evalWindowDays?: number }): Promise<RunManifest> {
      let step = 'start';
      try {
        return await withHeartbeat(
          () => ({ step }),
          () =>
            wh.exclusive(() => prepareRunData(wh, cfg, { version: input.version, dir: runDir(cfg, input.version), asOf: input.asOf, evalWindowDays: input.evalWindowDays }, (s) => {
              step = s;
              progress({ step: s });
            })),
        );
      } catch (e) {
        if (e instanceof NoDataError) throw ApplicationFailure.nonRetryable(e.message, 'NoData');
        throw e;
      }
    },
  };
}

// recs retrain [--world DIR] [--as-of ISO] [--params JSON] [--shards N] [--wait]
// Starts the retrain workflow on the configured task queue and prints its id. With --wait, shows
// the running step and its heartbeat progress on stderr (a bar on a TTY, one line per step
// otherwise; cli/retrain-watch.ts), then one human line (status and the gate's reason) on stderr
// and the run's summary as JSON on stdout; exit 0 = published, 3 = ran but the gate kept it
// back, 1 = the workflow failed.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { RetrainInput, RetrainResult } from '../activities/types';
import { loadConfigOrExit } from '../config';
import { temporalClient } from '../storage/clients';
import { rootMessage } from '../storage/failure';
import { createStepProgress } from './progress';
import { watchRetrain } from './retrain-watch';

export default async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { world: { type: 'string' }, 'as-of': { type: 'string' }, params: { type: 'string' }, shards: { type: 'string' }, wait: { type: 'boolean', default: false }, id: { type: 'string' } },
    strict: true,
  });
  const cfg = loadConfigOrExit();
  const input: RetrainInput = {};
  if (values.world) input.worldDir = resolve(values.world);
  if (values['as-of']) input.asOf = values['as-of'];
  if (values.shards) input.shards = Number(values.shards);
  if (values.params) {
    try {
      input.params = JSON.parse(values.params);
    } catch {
      console.error(`recs retrain: --params is not JSON: ${values.params}`);
      return 2;
    }
  }
  const { client, connection } = await temporalClient(cfg);
  try {
    const workflowId = values.id ?? `retrain-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    const handle = await client.workflow.start('retrain', { taskQueue: cfg.TEMPORAL_TASK_QUEUE, workflowId, args: [input] });
    console.error(`started retrain ${workflowId} (run ${handle.firstExecutionRunId}) on task queue ${cfg.TEMPORAL_TASK_QUEUE}`);
    if (!values.wait) {
      console.log(workflowId);
      return 0;
    }
    const watch = watchRetrain(handle, cfg.RETRAIN_POLL_SECONDS, createStepProgress());
    try {
      const result = (await handle.result()) as RetrainResult;
      watch.stop();
      console.error(`retrain ${result.status}: ${result.reason}`);
      console.log(JSON.stringify(result, null, 2));
      return result.published ? 0 : 3;
    } catch (e) {
      watch.stop();
      console.error(`retrain ${workflowId} failed: ${rootMessage(e)}`);
      return 1;
    }
  } finally {
    await connection.close();
  }
}

// recs rollback [--to VERSION] [--json]: runs the rollback workflow and waits for it.
import { parseArgs } from 'node:util';
import { loadConfigOrExit } from '../config';
import { temporalClient } from '../storage/clients';
import { rootMessage } from '../storage/failure';
import { cliLog } from './log';

export default async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { to: { type: 'string' } }, strict: true });
  const cfg = loadConfigOrExit();
  const { client, connection } = await temporalClient(cfg);
  try {
    const r = await client.workflow.execute('rollback', {
      taskQueue: cfg.TEMPORAL_TASK_QUEUE,
      workflowId: `rollback-${new Date().toISOString().replace(/[:.]/g, '-')}`,
      args: [values.to ? { toVersion: values.to } : {}],
    });
    console.log(JSON.stringify(r));
    return 0;
  } catch (e) {
    cliLog().error(`rollback failed: ${rootMessage(e)}`);
    return 1;
  } finally {
    await connection.close();
  }
}

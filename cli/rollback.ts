// recs rollback [--to VERSION] [--json]: runs the rollback workflow and waits for it.
import { parseArgs } from 'node:util';
import { loadConfigOrExit } from '../config';
import { temporalClient } from '../storage/clients';

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
    const cause = (e as { cause?: { message?: string } }).cause?.message;
    console.error(`rollback failed: ${cause ?? (e as Error).message}`);
    return 1;
  } finally {
    await connection.close();
  }
}

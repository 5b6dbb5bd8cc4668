// recs add-title --id m9001 --title "…" [--year 2026] [--genres A,B] [--tags a,b] [--duration 5400] [--wait]
// or: recs add-title --json '{"movie_id": …}'. Starts the addTitle workflow.
import { parseArgs } from 'node:util';
import { loadConfigOrExit } from '../config';
import { temporalClient } from '../storage/clients';
import { rootMessage } from '../storage/failure';
import { cliLog } from './log';

export default async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { json: { type: 'string' }, id: { type: 'string' }, title: { type: 'string' }, year: { type: 'string' }, genres: { type: 'string' }, tags: { type: 'string' }, duration: { type: 'string' }, wait: { type: 'boolean', default: false } },
    strict: true,
  });
  let title: Record<string, unknown>;
  if (values.json) {
    try {
      title = JSON.parse(values.json);
    } catch {
      console.error('recs add-title: --json is not JSON');
      return 2;
    }
  } else {
    if (!values.id || !values.title) {
      console.error('recs add-title: --id and --title are required (or --json)');
      return 2;
    }
    const list = (s?: string) => (s ? s.split(',').map((x) => x.trim()).filter(Boolean) : []);
    title = { movie_id: values.id, title: values.title, year: values.year ? Number(values.year) : null, genres: list(values.genres), tags: list(values.tags), duration_seconds: values.duration ? Number(values.duration) : null };
  }
  const cfg = loadConfigOrExit();
  const { client, connection } = await temporalClient(cfg);
  try {
    const handle = await client.workflow.start('addTitle', { taskQueue: cfg.TEMPORAL_TASK_QUEUE, workflowId: `add-title-${String(title.movie_id)}-${Date.now()}`, args: [title] });
    cliLog().info({ workflowId: handle.workflowId }, `started addTitle ${handle.workflowId}`);
    if (!values.wait) {
      console.log(handle.workflowId);
      return 0;
    }
    console.log(JSON.stringify(await handle.result()));
    return 0;
  } catch (e) {
    cliLog().error(`add-title failed: ${rootMessage(e)}`);
    return 1;
  } finally {
    await connection.close();
  }
}

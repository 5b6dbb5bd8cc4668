// recs status [--json]: the live version, the versions kept for rollback, and the last retrains (of this task queue)
// with their gate decisions (from Temporal's search attributes).
import { parseArgs } from 'node:util';
import { loadConfigOrExit } from '../config';
import { redisClient, temporalClient } from '../storage/clients';
import { VersionStore } from '../storage/redis-versions';
import { formatFields, formatTable, printOutput } from './table';

export default async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { json: { type: 'boolean', default: false }, last: { type: 'string', default: '10' } }, strict: true });
  const cfg = loadConfigOrExit();
  const redis = redisClient(cfg);
  const store = new VersionStore(redis, cfg.REDIS_PREFIX);
  const { client, connection } = await temporalClient(cfg);
  try {
    const live = await store.live();
    const kept = await store.versions();
    const liveMeta = live ? await store.meta(live) : {};
    const runs: Record<string, unknown>[] = [];
    // This deployment's retrains only: one namespace may hold several deployments (dev, test, staging),
    // each on its own task queue.
    for await (const w of client.workflow.list({ query: `WorkflowType = 'retrain' AND TaskQueue = '${cfg.TEMPORAL_TASK_QUEUE}'` })) {
      const sa = w.searchAttributes as Record<string, unknown[]>;
      runs.push({
        workflowId: w.workflowId,
        status: w.status.name,
        start: w.startTime.toISOString(),
        version: sa.ModelVersion?.[0] ?? null,
        gatePassed: sa.GatePassed?.[0] ?? null,
        gate: sa.GateOutcome?.[0] ?? null,
        release: sa.Release?.[0] ?? null,
        ndcg10: sa.NdcgAt10?.[0] ?? null,
        dataAsOf: sa.DataAsOf?.[0] ?? null,
      });
      if (runs.length >= Number(values.last)) break;
    }
    const liveGate = liveMeta.gate ? (JSON.parse(liveMeta.gate) as { outcome: string; release: string; reason: string }) : null;
    const out = { live, liveDataAsOf: liveMeta.data_as_of ?? null, liveModel: liveMeta.model ?? null, liveGate, kept, runs };
    printOutput(out, values.json, (o) =>
      [
        formatFields({ 'live version': o.live ?? '(none)', 'data as of': o.liveDataAsOf, model: o.liveModel, gate: o.liveGate?.reason ?? null, 'kept for rollback': o.kept.join(', ') || '(none)' }),
        '',
        'last retrains:',
        formatTable(o.runs, { columns: ['workflowId', 'status', 'start', 'version', 'gate', 'release', 'ndcg10', 'dataAsOf'] }),
      ].join('\n'),
    );
    return 0;
  } finally {
    redis.disconnect();
    await connection.close();
  }
}

// recs eval [--version V] [--json]: the offline metrics of the live (or a given) version, from the
// analysts' Parquet outputs (eval_metrics): every model on the same holdout, by slice.
import { parseArgs } from 'node:util';
import { loadConfigOrExit } from '../config';
import { openAnalytics } from '../storage/analytics';
import { sqlText } from '../storage/duckdb';
import { redisClient } from '../storage/clients';
import { VersionStore } from '../storage/redis-versions';
import { assertVersion } from '../storage/redis-keys';
import { formatFields, formatTable, numericRows, printOutput } from './table';

export default async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { version: { type: 'string' }, json: { type: 'boolean', default: false }, variants: { type: 'boolean', default: false } }, strict: true });
  const cfg = loadConfigOrExit();
  if (values.variants) return variantOutcomes(cfg.DATA_DIR, values.json);
  let version = values.version;
  if (!version) {
    const redis = redisClient(cfg);
    try {
      version = (await new VersionStore(redis, cfg.REDIS_PREFIX).live()) ?? undefined;
    } finally {
      redis.disconnect();
    }
  }
  if (!version) {
    console.error('recs eval: no live version (and no --version)');
    return 1;
  }
  assertVersion(version);
  const db = await openAnalytics(cfg.DATA_DIR);
  try {
    if (!db.views.includes('eval_metrics')) {
      console.error('recs eval: no evaluation has been written yet');
      return 1;
    }
    const { rows } = await db.query(sqlText('rpt_report_metrics'), { version });
    if (rows.length === 0) {
      console.error(`recs eval: no metrics for ${version}`);
      return 1;
    }
    const metrics: Record<string, Record<string, Record<string, number>>> = {};
    for (const r of rows as { model: string; slice: string; metric: string; value: number }[]) {
      ((metrics[r.model] ??= {})[r.slice] ??= {})[r.metric] = Number(r.value);
    }
    const run = db.views.includes('model_runs') ? ((await db.query(sqlText('rpt_report_run'), { version })).rows[0] ?? null) : null;
    const out = { version, run, metrics };
    printOutput(out, values.json, (o) =>
      [
        formatFields({ version: o.version, 'data as of': o.run?.data_as_of, cutoff: o.run?.cutoff, gate: o.run?.gate_reason }),
        '',
        formatTable(
          Object.entries(o.metrics).map(([model, s]) => ({ model, users: s.all?.users, ndcg_10: s.all?.ndcg_10, recall_20: s.all?.recall_20, recall_50: s.all?.recall_50, map_10: s.all?.map_10, coverage_10: s.all?.coverage_10 })),
        ),
      ].join('\n'),
    );
    return 0;
  } finally {
    db.close();
  }
}

/** recs eval --variants: per-variant outcomes of the A/B split from logged impressions and watches. */
async function variantOutcomes(dataDir: string, json: boolean): Promise<number> {
  const db = await openAnalytics(dataDir);
  try {
    if (!db.views.includes('events')) {
      console.error('recs eval --variants: no events have been landed yet (run the event drain)');
      return 1;
    }
    const rows = numericRows(await db.query(sqlText('rpt_variant_outcomes')));
    printOutput(rows, json, (r) => formatTable(r));
    return 0;
  } finally {
    db.close();
  }
}

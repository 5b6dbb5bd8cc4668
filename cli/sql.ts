// recs sql "SELECT …" [--json]: read-only SQL over the analysts' Parquet views (works while a
// retrain runs: it never opens the worker's database). `recs sql --tables` lists the views.
import { parseArgs } from 'node:util';
import { loadConfigOrExit } from '../config';
import { ANALYTICS_VIEWS, openAnalytics } from '../storage/analytics';

export default async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: { json: { type: 'boolean', default: false }, tables: { type: 'boolean', default: false } }, allowPositionals: true, strict: true });
  const cfg = loadConfigOrExit();
  const db = await openAnalytics(cfg.DATA_DIR);
  try {
    if (values.tables || positionals.length === 0) {
      for (const [name, v] of Object.entries(ANALYTICS_VIEWS)) console.log(`${db.views.includes(name) ? '  ' : '- '}${name.padEnd(16)} ${v.doc}${db.views.includes(name) ? '' : ' (no data yet)'}`);
      return positionals.length === 0 && !values.tables ? 2 : 0;
    }
    const sql = positionals.join(' ');
    if (!/^\s*(select|with|describe|show|summarize|pivot|from)\b/i.test(sql)) {
      console.error('recs sql: only read-only queries (SELECT/WITH/DESCRIBE/SHOW/SUMMARIZE/FROM)');
      return 2;
    }
    const { rows } = await db.query(sql);
    if (values.json) console.log(JSON.stringify(rows, null, 2));
    else console.table(rows);
    return 0;
  } catch (e) {
    console.error(`recs sql: ${(e as Error).message}`);
    return 1;
  } finally {
    db.close();
  }
}

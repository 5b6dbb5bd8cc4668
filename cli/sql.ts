// recs sql "SELECT …" [--json] | --tables [--json]: read-only SQL over the analysts' Parquet views (works while a
// retrain runs: it never opens the worker's database). `recs sql --tables` lists the views.
import { parseArgs } from 'node:util';
import { loadConfigOrExit } from '../config';
import { ANALYTICS_VIEWS, openAnalytics } from '../storage/analytics';
import { formatTable, numericRows, printOutput } from './table';

export default async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: { json: { type: 'boolean', default: false }, tables: { type: 'boolean', default: false } }, allowPositionals: true, strict: true });
  const cfg = loadConfigOrExit();
  const db = await openAnalytics(cfg.DATA_DIR);
  try {
    if (values.tables || positionals.length === 0) {
      const views = Object.entries(ANALYTICS_VIEWS).map(([name, v]) => ({ view: name, has_data: db.views.includes(name), contents: v.doc }));
      printOutput(views, values.json, (rows) => formatTable(rows.map((r) => ({ ...r, has_data: r.has_data ? 'yes' : 'no (yet)' }))));
      return positionals.length === 0 && !values.tables ? 2 : 0;
    }
    const sql = positionals.join(' ');
    if (!/^\s*(select|with|describe|show|summarize|pivot|from)\b/i.test(sql)) {
      console.error('recs sql: only read-only queries (SELECT/WITH/DESCRIBE/SHOW/SUMMARIZE/FROM)');
      return 2;
    }
    const rows = numericRows(await db.query(sql));
    printOutput(rows, values.json, (r) => formatTable(r));
    return 0;
  } catch (e) {
    console.error(`recs sql: ${(e as Error).message}`);
    return 1;
  } finally {
    db.close();
  }
}

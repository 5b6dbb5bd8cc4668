// Ingest one file of events (Parquet or CSV, by extension) or titles (CSV) into the warehouse:
// DuckDB stages it as text, SQL validates it, good new rows are appended, bad ones quarantined
// with a reason, and the file is recorded by content hash so re-ingesting it is a no-op.
// All of one file or none of it (one transaction).
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import type { Warehouse } from './duckdb';

export interface IngestCounts {
  kind: 'events' | 'titles';
  source: string;
  sourceHash: string;
  rowsRead: number;
  ingested: number;
  duplicates: number;
  quarantined: number;
  /** true when this exact content was ingested before (counts are the earlier ones). */
  alreadyIngested: boolean;
}

export async function fileHash(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

const STEPS = {
  events: { stage: 'stg_events_raw', validate: 'stg_events_validated', insert: 'ins_events', quarantine: 'ins_quarantine_events', counts: 'rpt_events_ingest_counts' },
  titles: { stage: 'stg_titles_raw', validate: 'stg_titles_validated', insert: 'ins_catalog', quarantine: 'ins_quarantine_titles', counts: 'rpt_titles_ingest_counts' },
} as const;

export async function ingestFile(wh: Warehouse, kind: 'events' | 'titles', path: string, now = new Date()): Promise<IngestCounts> {
  if (!existsSync(path)) throw new Error(`no such file: ${path}`);
  const sourceHash = `${kind}:${await fileHash(path)}`;
  const earlier = await wh.rows<{ rows_read: bigint; ingested: bigint; duplicates: bigint; quarantined: bigint }>('get_ingest_batch', { source_hash: sourceHash });
  if (earlier.length) {
    const e = earlier[0];
    return { kind, source: path, sourceHash, rowsRead: Number(e.rows_read), ingested: Number(e.ingested), duplicates: Number(e.duplicates), quarantined: Number(e.quarantined), alreadyIngested: true };
  }
  const s = STEPS[kind];
  const parquet = /\.parquet$/i.test(path);
  if (parquet && kind !== 'events') throw new Error(`${path}: titles are read from CSV (movies.csv), not Parquet`);
  const nowIso = now.toISOString();
  await wh.conn.run('BEGIN TRANSACTION');
  try {
    await wh.exec(parquet ? 'stg_events_raw_parquet' : s.stage, { path });
    await wh.exec(s.validate, { now: nowIso });
    const [c] = await wh.rows<{ rows_read: bigint; ingested: bigint; duplicates: bigint; quarantined: bigint }>(s.counts);
    await wh.exec(s.insert, { batch_id: sourceHash, now: nowIso });
    await wh.exec(s.quarantine, { source_hash: sourceHash, now: nowIso });
    const counts = { rows_read: c.rows_read, ingested: c.ingested, duplicates: c.duplicates, quarantined: c.quarantined };
    await wh.exec('ins_ingest_batch', { source_hash: sourceHash, kind, source: path, ...counts, now: nowIso });
    await wh.conn.run('COMMIT');
    return { kind, source: path, sourceHash, rowsRead: Number(c.rows_read), ingested: Number(c.ingested), duplicates: Number(c.duplicates), quarantined: Number(c.quarantined), alreadyIngested: false };
  } catch (e) {
    await wh.conn.run('ROLLBACK');
    throw e;
  }
}

export async function initSchema(wh: Warehouse): Promise<void> {
  await wh.exec('schema');
}

// Ingest one file of events (Parquet or CSV, by extension) or titles (CSV) into the warehouse:
// DuckDB stages it as text, SQL validates it, good new rows are appended, bad ones quarantined
// with a reason, and the file is recorded by content hash so re-ingesting it is a no-op.
// All of one file or none of it (one transaction). A Parquet file is staged, validated and
// inserted a slice of INGEST_SLICE_ROWS rows at a time inside that transaction: a whole 40 M-row
// world staged at once spilled tens of GB past the worker's DuckDB memory cap. Repeats across
// slices are caught as repeats of the warehouse (the earlier slices are already in `events`).
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

/** Rows of a Parquet events file staged and validated at once (bench/ingest-scale.ts: ≈ 3.4 GB peak at 4 M). */
export const INGEST_SLICE_ROWS = 4_000_000;

/** Progress of one file's ingest: rows of it validated and landed so far, of `total`. */
export type IngestProgress = (rowsDone: number, total: number) => void;

export async function fileHash(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

const STEPS = {
  events: { stage: 'stg_events_raw', validate: 'stg_events_validated', insert: 'ins_events', quarantine: 'ins_quarantine_events', counts: 'rpt_events_ingest_counts' },
  titles: { stage: 'stg_titles_raw', validate: 'stg_titles_validated', insert: 'ins_catalog', quarantine: 'ins_quarantine_titles', counts: 'rpt_titles_ingest_counts' },
} as const;

export interface IngestOptions {
  onProgress?: IngestProgress;
  /** Rows per slice of a Parquet file (default INGEST_SLICE_ROWS; tests make it small to cross slice edges). */
  sliceRows?: number;
}

export async function ingestFile(wh: Warehouse, kind: 'events' | 'titles', path: string, now = new Date(), opts: IngestOptions = {}): Promise<IngestCounts> {
  const sliceRows = opts.sliceRows ?? INGEST_SLICE_ROWS;
  if (!(Number.isSafeInteger(sliceRows) && sliceRows >= 1)) throw new RangeError(`sliceRows must be a positive integer, got ${sliceRows}`);
  if (!existsSync(path)) throw new Error(`no such file: ${path}`);
  const sourceHash = `${kind}:${await fileHash(path)}`;
  type CountRow = { rows_read: bigint; ingested: bigint; duplicates: bigint; quarantined: bigint };
  const earlier = await wh.rows<CountRow>('get_ingest_batch', { source_hash: sourceHash });
  if (earlier.length) {
    const e = earlier[0];
    return { kind, source: path, sourceHash, rowsRead: Number(e.rows_read), ingested: Number(e.ingested), duplicates: Number(e.duplicates), quarantined: Number(e.quarantined), alreadyIngested: true };
  }
  const s = STEPS[kind];
  const parquet = /\.parquet$/i.test(path);
  if (parquet && kind !== 'events') throw new Error(`${path}: titles are read from CSV (movies.csv), not Parquet`);
  const nowIso = now.toISOString();
  const total = parquet ? Number((await wh.rows<{ n: bigint }>('get_parquet_row_count', { path }))[0].n) : 0;
  const slices = parquet ? Math.max(1, Math.ceil(total / sliceRows)) : 1;
  const sum = { rows_read: 0n, ingested: 0n, duplicates: 0n, quarantined: 0n };
  await wh.conn.run('BEGIN TRANSACTION');
  try {
    for (let slice = 0; slice < slices; slice++) {
      const lo = slice * sliceRows;
      await wh.exec(parquet ? 'stg_events_raw_parquet' : s.stage, { path, lo, hi: lo + sliceRows });
      await wh.exec(s.validate, { now: nowIso });
      const [c] = await wh.rows<CountRow>(s.counts);
      await wh.exec(s.insert, { batch_id: sourceHash, now: nowIso });
      await wh.exec(s.quarantine, { source_hash: sourceHash, now: nowIso });
      for (const key of Object.keys(sum) as (keyof CountRow)[]) sum[key] += c[key];
      if (parquet) opts.onProgress?.(Math.min(total, lo + sliceRows), total);
    }
    await wh.exec('ins_ingest_batch', { source_hash: sourceHash, kind, source: path, ...sum, now: nowIso });
    await wh.conn.run('COMMIT');
    return { kind, source: path, sourceHash, rowsRead: Number(sum.rows_read), ingested: Number(sum.ingested), duplicates: Number(sum.duplicates), quarantined: Number(sum.quarantined), alreadyIngested: false };
  } catch (e) {
    await wh.conn.run('ROLLBACK');
    throw e;
  }
}

export async function initSchema(wh: Warehouse): Promise<void> {
  await wh.exec('schema');
}

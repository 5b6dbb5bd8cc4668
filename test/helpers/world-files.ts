// Read a world directory's files back through DuckDB as rows of text, the way the old CSV files
// looked: empty string = null, ts and added_at as ISO-8601 UTC seconds, ratings as "4.0".
import { DuckDBInstance } from '@duckdb/node-api';

export type Row = Record<string, string>;

const EVENTS_SQL = `SELECT event_id, user_id, movie_id, event_type, strftime(ts AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%SZ') AS ts,
  watch_seconds::VARCHAR AS watch_seconds, duration_seconds::VARCHAR AS duration_seconds, printf('%.1f', rating) AS rating, source
  FROM read_parquet($p, file_row_number = true) ORDER BY file_row_number`;
const CSV_SQL = `SELECT * FROM read_csv($p, header = true, all_varchar = true, auto_detect = false,
  columns = {'movie_id': 'VARCHAR', 'title': 'VARCHAR', 'year': 'VARCHAR', 'genres': 'VARCHAR', 'tags': 'VARCHAR',
             'duration_seconds': 'VARCHAR', 'added_at': 'VARCHAR'})`;

/** The events.parquet contract (data/world-dir.ts). */
export const EVENTS_SCHEMA = {
  event_id: 'VARCHAR', user_id: 'VARCHAR', movie_id: 'VARCHAR', event_type: 'VARCHAR', ts: 'TIMESTAMP WITH TIME ZONE',
  watch_seconds: 'INTEGER', duration_seconds: 'INTEGER', rating: 'DOUBLE', source: 'VARCHAR',
};

/** Rows of events.parquet or movies.csv, in file order. */
export async function worldRows(path: string): Promise<Row[]> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    const r = await conn.runAndReadAll(path.endsWith('.parquet') ? EVENTS_SQL : CSV_SQL, { p: path });
    return (r.getRowObjectsJS() as Record<string, unknown>[]).map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v === null ? '' : String(v)])));
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

/** Column names and DuckDB types of a Parquet file. */
export async function parquetSchema(path: string): Promise<Record<string, string>> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    const r = await conn.runAndReadAll('SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet($p))', { p: path });
    return Object.fromEntries((r.getRowObjectsJS() as { column_name: string; column_type: string }[]).map((c) => [c.column_name, c.column_type]));
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

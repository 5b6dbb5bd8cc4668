// DuckDB access: named SQL files from sql/, bound parameters, typed-array export.
// Identifiers never come from callers' strings: SQL names are checked against the files in
// sql/, and values are always bound ($name parameters).
import { DuckDBDataChunk, DuckDBInstance, type DuckDBConnection, type DuckDBType, type DuckDBValue } from '@duckdb/node-api';
import { readFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SQL_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'sql');
const SQL_NAME_RE = /^[a-z][a-z0-9_]*$/;
const cache = new Map<string, string>();

/** The text of sql/<name>.sql (cached). Throws for names that are not files there. */
export function sqlText(name: string): string {
  if (!SQL_NAME_RE.test(name)) throw new RangeError(`bad SQL name ${JSON.stringify(name)}`);
  let text = cache.get(name);
  if (text === undefined) {
    const file = join(SQL_DIR, `${name}.sql`);
    if (!existsSync(file)) throw new RangeError(`no SQL file sql/${name}.sql`);
    text = readFileSync(file, 'utf8');
    cache.set(name, text);
  }
  return text;
}

export type Params = Record<string, DuckDBValue>;

/** Only the $params a statement mentions are bound (DuckDB rejects unused names). */
function bindable(text: string, params: Params | undefined): Params | undefined {
  if (!params) return undefined;
  const code = text.replace(/--[^\n]*/g, '');
  const out: Params = {};
  for (const [k, v] of Object.entries(params)) if (new RegExp(`\\$${k}\\b`).test(code)) out[k] = v;
  return Object.keys(out).length ? out : undefined;
}

export class Warehouse {
  private constructor(
    readonly path: string,
    private readonly instance: DuckDBInstance,
    readonly conn: DuckDBConnection,
  ) {}

  /** `settings` are DuckDB options for the instance, e.g. { memory_limit: '2GB', temp_directory: dir } to bound memory. */
  static async open(path: string, opts: { readOnly?: boolean; settings?: Record<string, string> } = {}): Promise<Warehouse> {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const instance = await DuckDBInstance.create(path, { ...(opts.readOnly ? { access_mode: 'READ_ONLY' } : {}), ...opts.settings });
    const conn = await instance.connect();
    return new Warehouse(path, instance, conn);
  }

  /** Run sql/<name>.sql (may hold several statements when it binds no parameters). */
  async exec(name: string, params?: Params): Promise<void> {
    const text = sqlText(name);
    await this.conn.run(text, bindable(text, params));
  }

  /**
   * Run sql/<name>.sql and report DuckDB's own estimate of how far it is (0…1) every `everyMs`
   * while it runs: long reads and COPYs show a live bar.
   */
  async execWithProgress(name: string, params: Params | undefined, onProgress: (fraction: number) => void, everyMs = 250): Promise<void> {
    await this.conn.run('SET enable_progress_bar = true');
    await this.conn.run('SET enable_progress_bar_print = false');
    const t = setInterval(() => {
      const p = this.conn.progress;
      if (p.percentage >= 0) onProgress(Math.min(1, p.percentage / 100));
    }, everyMs);
    try {
      await this.exec(name, params);
    } finally {
      clearInterval(t);
    }
  }

  /**
   * Append typed columns to a table (created by a SQL file) through DuckDB data chunks: no
   * JS object or SQL text per row. `columns[c]` holds `n` values of the table's c-th column type.
   */
  async append(table: string, types: readonly DuckDBType[], columns: readonly ArrayLike<DuckDBValue>[], n: number): Promise<void> {
    if (!SQL_NAME_RE.test(table)) throw new RangeError(`bad table name ${JSON.stringify(table)}`);
    if (columns.length !== types.length) throw new RangeError(`append ${table}: ${columns.length} columns for ${types.length} types`);
    const appender = await this.conn.createAppender(table);
    const CHUNK = 2048; // DuckDB's vector size: the most rows one data chunk holds
    try {
      for (let at = 0; at < n; at += CHUNK) {
        const m = Math.min(CHUNK, n - at);
        const chunk = DuckDBDataChunk.create(types, m);
        for (let c = 0; c < types.length; c++) {
          const col = columns[c];
          const slice = new Array<DuckDBValue>(m);
          for (let i = 0; i < m; i++) slice[i] = col[at + i];
          chunk.setColumnValues(c, slice);
        }
        appender.appendDataChunk(chunk);
      }
    } finally {
      appender.closeSync();
    }
  }

  /** Rows of sql/<name>.sql as plain JS objects (BIGINT → bigint, TIMESTAMP → Date). */
  async rows<T = Record<string, unknown>>(name: string, params?: Params): Promise<T[]> {
    const text = sqlText(name);
    const r = await this.conn.runAndReadAll(text, bindable(text, params));
    return r.getRowObjectsJS() as T[];
  }

  /** Rows of an ad-hoc read-only statement (analysts' `recs sql`, tests). */
  async query<T = Record<string, unknown>>(text: string, params?: Params): Promise<T[]> {
    const r = await this.conn.runAndReadAll(text, params);
    return r.getRowObjectsJS() as T[];
  }

  /**
   * Rows of sql/<name>.sql a DuckDB chunk (at most 2048 rows) at a time, as columns of values:
   * for results too large to hold as one array of objects (the next chunk is read only when the
   * caller asks for it).
   */
  async *chunks(name: string, params?: Params): AsyncGenerator<DuckDBValue[][]> {
    const text = sqlText(name);
    const res = await this.conn.stream(text, bindable(text, params));
    for (;;) {
      const chunk = await res.fetchChunk();
      if (!chunk || chunk.rowCount === 0) return;
      yield chunk.getColumns();
    }
  }

  /**
   * Stream the numeric columns of sql/<name>.sql into typed arrays without a JS object per
   * row. `kinds` gives each output column's array type, in select order.
   */
  async columns<K extends readonly ('i32' | 'f32' | 'f64')[]>(
    name: string,
    params: Params | undefined,
    kinds: K,
    expectedRows?: number,
  ): Promise<{ n: number; cols: { [I in keyof K]: K[I] extends 'i32' ? Int32Array : K[I] extends 'f32' ? Float32Array : Float64Array } }> {
    const text = sqlText(name);
    const res = await this.conn.stream(text, bindable(text, params));
    let cap = Math.max(1024, expectedRows ?? 0);
    const make = (kind: string, size: number) => (kind === 'i32' ? new Int32Array(size) : kind === 'f32' ? new Float32Array(size) : new Float64Array(size));
    let cols = kinds.map((k) => make(k, cap));
    let n = 0;
    for (;;) {
      const chunk = await res.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      const m = chunk.rowCount;
      if (n + m > cap) {
        cap = Math.max(cap * 2, n + m);
        cols = cols.map((c, i) => {
          const bigger = make(kinds[i], cap);
          bigger.set(c.subarray(0, n));
          return bigger;
        });
      }
      for (let c = 0; c < kinds.length; c++) {
        const vec = chunk.getColumnVector(c) as unknown as { getItem(i: number): number | bigint | null };
        const out = cols[c];
        for (let i = 0; i < m; i++) out[n + i] = Number(vec.getItem(i) ?? 0);
      }
      n += m;
    }
    return { n, cols: cols.map((c) => c.subarray(0, n)) as any };
  }

  private lock: Promise<unknown> = Promise.resolve();

  /**
   * Run `fn` with the connection to itself: steps that build TEMP tables (ingest, run export)
   * must not interleave when two activities share the worker's one connection.
   */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  close(): void {
    this.conn.closeSync();
    this.instance.closeSync();
  }
}

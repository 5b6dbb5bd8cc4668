// The analysts' side of the warehouse: every output the pipeline produces is also written as
// Parquet under DATA_DIR/analytics, and analysts query DuckDB views over those files — never
// the worker's working database, which one process owns. Views read the files at query time,
// so a query sees every run that has finished writing, even while a retrain is running.
import { DuckDBInstance } from '@duckdb/node-api';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Warehouse } from './duckdb';

/** view name → files under DATA_DIR/analytics (the allow-list of what analysts see). */
export const ANALYTICS_VIEWS: Record<string, { glob: string; doc: string }> = {
  events: { glob: 'events/*.parquet', doc: 'every ingested event (one file per ingested batch)' },
  quarantine: { glob: 'quarantine/*.parquet', doc: 'rows rejected at ingest, with reason and raw text' },
  catalog: { glob: 'catalog/latest.parquet', doc: 'the catalog as of the last ingest' },
  model_runs: { glob: 'runs/*/model_runs.parquet', doc: 'one row per evaluated retrain: gate decision and the numbers behind it' },
  eval_metrics: { glob: 'runs/*/eval_metrics.parquet', doc: 'metric values per run, model, holdout and slice' },
  labels: { glob: 'runs/*/labels.parquet', doc: 'training confidence per (user, title) before each run’s cutoff' },
  recommendations: { glob: 'runs/*/recommendations/*.parquet', doc: 'top-20 snapshot of each published version (user, rank, title, score)' },
  ranker_examples: { glob: 'runs/*/ranker_examples.parquet', doc: 'ranker training examples with features and labels' },
};

export const analyticsDir = (dataDir: string) => join(dataDir, 'analytics');

/** Write a query's result through a temp name, so readers never see a half-written file. */
export async function copyToParquet(wh: Warehouse, sqlName: string, params: Record<string, any>, path: string): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  await wh.exec(sqlName, { ...params, path: tmp });
  renameSync(tmp, path);
}

/** Files matching a glob whose segments are names or `*` / `*.ext` (Node 20 has no fs.glob). */
export function matchFiles(base: string, glob: string): string[] {
  let paths = [base];
  for (const seg of glob.split('/')) {
    const re = new RegExp(`^${seg.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`);
    const next: string[] = [];
    for (const p of paths) {
      if (!existsSync(p)) continue;
      try {
        for (const name of readdirSync(p)) if (re.test(name) && !name.includes('.tmp-')) next.push(join(p, name));
      } catch {
        // not a directory
      }
    }
    paths = next;
  }
  return paths;
}

function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** CREATE VIEW statements for every view that has at least one file. */
export function viewStatements(dataDir: string): string[] {
  const base = analyticsDir(dataDir);
  const out: string[] = [];
  for (const [name, v] of Object.entries(ANALYTICS_VIEWS)) {
    if (matchFiles(base, v.glob).length === 0) continue;
    out.push(`CREATE OR REPLACE VIEW ${name} AS SELECT * FROM read_parquet(${sqlString(join(base, v.glob))}, union_by_name = true)`);
  }
  return out;
}

/** The analysts' views as a reader needs them (openAnalytics, or a fake in tests). */
export interface AnalyticsDb {
  views: string[];
  query(sql: string, params?: Record<string, string | number | boolean | null>): Promise<{ rows: Record<string, unknown>[] }>;
}

/** An in-memory DuckDB with the analysts' views: read-only by construction, no file lock held. */
export async function openAnalytics(dataDir: string) {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  const views: string[] = [];
  for (const stmt of viewStatements(dataDir)) {
    await conn.run(stmt);
    views.push(stmt.split(' ')[4]);
  }
  return {
    views,
    async query(sql: string, params?: Record<string, string | number | boolean | null>) {
      const r = await conn.runAndReadAll(sql, params);
      // JSON rows carry BIGINT/HUGEINT/DECIMAL as text (exact); `types` lets a caller tell them from strings.
      return { columns: r.columnNames(), types: r.columnTypes().map((t) => t.toString()), rows: r.getRowObjectsJson() as Record<string, unknown>[] };
    },
    close() {
      conn.closeSync();
      instance.closeSync();
    },
  };
}

/**
 * DATA_DIR/analytics/analysts.duckdb: the same views in a file for the duckdb CLI or notebooks
 * (`duckdb -readonly …/analysts.duckdb`). Rebuilt through a temp file and a rename.
 */
export async function writeAnalystsDb(dataDir: string): Promise<string> {
  const path = join(analyticsDir(dataDir), 'analysts.duckdb');
  const tmp = `${path}.tmp-${process.pid}`;
  mkdirSync(dirname(path), { recursive: true });
  rmSync(tmp, { force: true });
  const instance = await DuckDBInstance.create(tmp);
  const conn = await instance.connect();
  for (const stmt of viewStatements(dataDir)) await conn.run(stmt);
  conn.closeSync();
  instance.closeSync();
  renameSync(tmp, path);
  if (existsSync(`${tmp}.wal`)) rmSync(`${tmp}.wal`, { force: true });
  return path;
}

/** Top-`depth` snapshot of one scoring shard's lists: (version, user_id, rank, movie_id, score). */
export async function writeRecommendationsSnapshot(
  path: string,
  version: string,
  rows: Iterable<{ userId: string; idx: ArrayLike<number>; score: ArrayLike<number>; n: number }>,
  movieIds: string[],
  depth = 20,
): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    await conn.run('CREATE TABLE recommendations (version VARCHAR, user_id VARCHAR, rank INTEGER, movie_id VARCHAR, score FLOAT)');
    const app = await conn.createAppender('recommendations');
    for (const r of rows) {
      for (let i = 0; i < Math.min(depth, r.n); i++) {
        app.appendVarchar(version);
        app.appendVarchar(r.userId);
        app.appendInteger(i + 1);
        app.appendVarchar(movieIds[r.idx[i]]);
        app.appendFloat(r.score[i]);
        app.endRow();
      }
    }
    app.closeSync();
    const tmp = `${path}.tmp-${process.pid}`;
    await conn.run('COPY recommendations TO $path (FORMAT parquet)', { path: tmp });
    renameSync(tmp, path);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/**
 * The recommendations snapshot of one scoring shard, written as the shard streams: append(rows)
 * writes one Parquet part per batch (`shard-SSSS-part-PPPPP.parquet`, through a temp name), so a
 * shard never holds more than a batch. open() removes the shard's files of an earlier attempt
 * (a retried shard writes the same parts again), close() frees the in-memory DuckDB.
 */
export class RecommendationsSnapshotWriter {
  private part = 0;

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly conn: Awaited<ReturnType<DuckDBInstance['connect']>>,
    private readonly partPath: (part: number) => string,
    private readonly version: string,
    private readonly movieIds: readonly string[],
    private readonly depth: number,
  ) {}

  static async open(dataDir: string, version: string, shard: number, movieIds: readonly string[], depth = 20): Promise<RecommendationsSnapshotWriter> {
    const paths = analyticsPaths(dataDir);
    const dir = dirname(paths.recommendations(version, shard));
    mkdirSync(dir, { recursive: true });
    const own = `shard-${String(shard).padStart(4, '0')}`;
    for (const f of readdirSync(dir)) if (f === `${own}.parquet` || f.startsWith(`${own}-part-`)) rmSync(join(dir, f), { force: true });
    const instance = await DuckDBInstance.create(':memory:');
    const conn = await instance.connect();
    await conn.run('CREATE TABLE recommendations (version VARCHAR, user_id VARCHAR, rank INTEGER, movie_id VARCHAR, score FLOAT)');
    return new RecommendationsSnapshotWriter(instance, conn, (part) => paths.recommendationsPart(version, shard, part), version, movieIds, depth);
  }

  /** One batch of users' lists (the top `depth` of each) as the next part file. */
  async append(rows: Iterable<{ userId: string; idx: ArrayLike<number>; score: ArrayLike<number>; n: number }>): Promise<void> {
    const app = await this.conn.createAppender('recommendations');
    for (const r of rows) {
      for (let i = 0; i < Math.min(this.depth, r.n); i++) {
        app.appendVarchar(this.version);
        app.appendVarchar(r.userId);
        app.appendInteger(i + 1);
        app.appendVarchar(this.movieIds[r.idx[i]]);
        app.appendFloat(r.score[i]);
        app.endRow();
      }
    }
    app.closeSync();
    const path = this.partPath(this.part++);
    const tmp = `${path}.tmp-${process.pid}`;
    await this.conn.run('COPY recommendations TO $path (FORMAT parquet)', { path: tmp });
    renameSync(tmp, path);
    await this.conn.run('DELETE FROM recommendations');
  }

  close(): void {
    this.conn.closeSync();
    this.instance.closeSync();
  }
}

export const analyticsPaths = (dataDir: string) => {
  const a = analyticsDir(dataDir);
  return {
    eventsBatch: (hash: string) => join(a, 'events', `${hash.replace(/[^a-z0-9]/gi, '_')}.parquet`),
    quarantineBatch: (hash: string) => join(a, 'quarantine', `${hash.replace(/[^a-z0-9]/gi, '_')}.parquet`),
    catalog: join(a, 'catalog', 'latest.parquet'),
    run: (version: string, name: string) => join(a, 'runs', version, `${name}.parquet`),
    recommendations: (version: string, shard: number) => join(a, 'runs', version, 'recommendations', `shard-${String(shard).padStart(4, '0')}.parquet`),
    /** Part `part` of a shard's snapshot written batch by batch (RecommendationsSnapshotWriter). */
    recommendationsPart: (version: string, shard: number, part: number) => join(a, 'runs', version, 'recommendations', `shard-${String(shard).padStart(4, '0')}-part-${String(part).padStart(5, '0')}.parquet`),
  };
};

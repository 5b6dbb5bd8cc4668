// The worker's side of the dashboard's data (layout: storage/dashboard-data.ts): SQL over the
// warehouse or the analysts' Parquet → Redis. Called from the activities that already hold the
// data — evaluation and publish (runs), ingest and the stream drain (histories), publish
// (audience) — so the API reads everything it shows from Redis.
import type { Redis } from 'ioredis';
import type { Config } from '../config';
import { openAnalytics } from './analytics';
import { dashboardKeys, HISTORY_MERGE_LUA, type AudienceEntry, type PublishedRuns } from './dashboard-data';
import { sqlText, type Warehouse } from './duckdb';
import { ID_RE } from './redis-keys';

export type DashboardPublishConfig = Pick<Config, 'REDIS_PREFIX' | 'DATA_DIR' | 'DASHBOARD_RUNS' | 'DASHBOARD_HISTORY_LENGTH' | 'DASHBOARD_HISTORY_TTL_SECONDS' | 'DASHBOARD_AUDIENCE' | 'USER_LIST_TTL_SECONDS'>;

/** Events of a batch whose users' histories are aggregated at once (users split by hash into parts). */
const HISTORY_ROWS_PER_PART = 4_000_000;
/** Users (history) or titles (audience) per Redis pipeline. */
const PIPELINE_BATCH = 2000;

const toJson = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? Number(x) : x instanceof Date ? x.toISOString() : x));
const numOrNull = (v: unknown) => (v === null || v === undefined ? null : Number(v));

/** A pipeline with the history merge script as a command (EVALSHA, loaded on first use). */
type MergePipeline = ReturnType<Redis['pipeline']> & { recsMergeHistory(key: string, depth: number, ttl: number, lines: string): unknown };

export function dashboardPublisher(cfg: DashboardPublishConfig, redis: Redis) {
  const k = dashboardKeys(cfg.REDIS_PREFIX);
  let defined = false;
  const mergePipeline = (): MergePipeline => {
    if (!defined) redis.defineCommand('recsMergeHistory', { numberOfKeys: 1, lua: HISTORY_MERGE_LUA });
    defined = true;
    return redis.pipeline() as MergePipeline;
  };

  return {
    /**
     * The newest DASHBOARD_RUNS runs with their metrics, the whole history rewritten (so a write
     * that failed is made good by the next). Takes `wh.exclusive` for the read only: call it
     * outside the caller's own exclusive block. Returns the rows written.
     */
    async runs(wh: Warehouse, now = new Date()): Promise<number> {
      const rows = await wh.exclusive(() => wh.rows('rpt_dashboard_runs', { limit: cfg.DASHBOARD_RUNS }));
      const value: PublishedRuns = { published_at: now.toISOString(), rows };
      await redis.set(k.runs, toJson(value));
      return rows.length;
    },

    /**
     * Merge one landed batch's interactions into its users' bounded histories: each user's newest
     * DASHBOARD_HISTORY_LENGTH of the batch (encoded by sql/rpt_dashboard_history_lines.sql in one
     * pass per part of the users, streamed a chunk at a time) are merged in, the history trimmed
     * back to that length and its TTL refreshed. Idempotent (a line is the event itself).
     * `rowsHint` (the batch's rows) sizes the parts. The caller holds `wh.exclusive`.
     * `onProgress` hears the users written so far. Returns the users updated.
     */
    async histories(wh: Warehouse, batchId: string, rowsHint: number, onProgress?: (users: number) => void): Promise<{ users: number; skipped: number }> {
      const depth = cfg.DASHBOARD_HISTORY_LENGTH;
      const parts = Math.max(1, Math.ceil(rowsHint / HISTORY_ROWS_PER_PART));
      let users = 0;
      let skipped = 0;
      let p = mergePipeline();
      let inPipeline = 0;
      let sent: Promise<void> = Promise.resolve();
      const chunks = async function* () {
        for (let part = 0; part < parts; part++) yield* wh.chunks('rpt_dashboard_history_lines', { batch_id: batchId, depth, part, parts });
      };
      for await (const [ids, lines] of chunks()) {
        for (let i = 0; i < ids.length; i++) {
          const userId = String(ids[i]);
          if (!ID_RE.test(userId)) {
            skipped++; // not a key-safe id: the warehouse keeps it, the dashboard cannot look it up
            continue;
          }
          p.recsMergeHistory(k.history(userId), depth, cfg.DASHBOARD_HISTORY_TTL_SECONDS, String(lines[i]));
          users++;
          if (++inPipeline >= PIPELINE_BATCH) {
            // One pipeline in flight while the next chunk is read and queued.
            await sent;
            sent = execOrThrow(p);
            sent.catch(() => undefined); // awaited (and thrown) at the next turn or the end
            p = mergePipeline();
            inPipeline = 0;
            onProgress?.(users);
          }
        }
      }
      await sent;
      if (inPipeline > 0) await execOrThrow(p);
      return { users, skipped };
    },

    /**
     * A published version's predicted audience per title, from the top-20 snapshot the scoring
     * shards wrote (analysts' Parquet). Written before the version goes live; expires with the
     * version's lists (USER_LIST_TTL_SECONDS). Returns the titles written.
     */
    async audience(version: string): Promise<number> {
      const db = await openAnalytics(cfg.DATA_DIR);
      try {
        if (!db.views.includes('recommendations')) {
          await redis.set(k.audienceDone(version), '0', 'EX', cfg.USER_LIST_TTL_SECONDS);
          return 0;
        }
        const { rows } = await db.query(sqlText('rpt_dashboard_audience'), { version, limit: cfg.DASHBOARD_AUDIENCE });
        const touched = new Set<string>();
        for (let i = 0; i < rows.length; i += PIPELINE_BATCH) {
          const p = redis.pipeline();
          for (const r of rows.slice(i, i + PIPELINE_BATCH)) {
            const movieId = String(r.movie_id);
            const users = (r.users as { user_id: string; rank: number; score: number | null }[]) ?? [];
            const entry: AudienceEntry = { n: Number(r.audience), u: users.map((x) => [String(x.user_id), Number(x.rank), numOrNull(x.score)]) };
            const key = k.audience(version, movieId);
            touched.add(key);
            p.hset(key, movieId, JSON.stringify(entry));
          }
          await execOrThrow(p);
        }
        const ttl = cfg.USER_LIST_TTL_SECONDS;
        await execOrThrow([...touched].reduce((p, key) => p.expire(key, ttl), redis.pipeline()).set(k.audienceDone(version), String(rows.length), 'EX', ttl));
        return rows.length;
      } finally {
        db.close();
      }
    },
  };
}

export type DashboardPublisher = ReturnType<typeof dashboardPublisher>;

async function execOrThrow(p: ReturnType<Redis['pipeline']>): Promise<void> {
  const res = await p.exec();
  for (const [err] of res ?? []) if (err) throw err;
}

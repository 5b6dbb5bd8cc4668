// What the warehouse worker publishes to Redis for the operators' dashboard, so the API never
// opens DuckDB or the run artifacts (issue 13; docs/analysts.md, "The dashboard's data"). Three
// things, each written where the worker already holds the data:
//
//   runs      STRING  `<prefix>:{ctl}:dash:runs`: JSON {published_at, rows} — rows of
//             sql/rpt_dashboard_runs.sql for the newest DASHBOARD_RUNS runs. Rewritten whole when
//             an evaluation records a run and when a version is published (tens of KB).
//   history   ZSET    `<prefix>:hist:<user>`: member = JSON [ts_ms, type, movie, watch_s, dur_s,
//             rating, source], score = ts ms; the user's newest DASHBOARD_HISTORY_LENGTH
//             interactions (impressions left out), written by every ingest and stream drain for
//             the users in the batch only, and expiring DASHBOARD_HISTORY_TTL_SECONDS after the
//             user's last landed event. The same event landed twice is the same member: a no-op.
//   audience  HASH    `<prefix>:dash:aud:<version>:<bucket>`: movie_id → JSON {n, u: [[user, rank,
//             score]…]}: how many users' published top 20 hold the title, and the best-ranked
//             DASHBOARD_AUDIENCE of them. Written at publish, before the pointer flips; titles are
//             spread over AUDIENCE_BUCKETS keys so no one key holds a whole catalog; then
//             `<prefix>:dash:aud:<version>:done` = the number of titles marks it complete.
//
// Keys and codecs only (no client, no DuckDB): the API reads with these, the worker writes with
// storage/dashboard-publish.ts.
import { assertId, assertVersion } from './redis-keys';

/** Hash keys a version's audience is spread over (a layout constant: writer and reader must agree). */
export const AUDIENCE_BUCKETS = 64;

/** FNV-1a of the id, mod AUDIENCE_BUCKETS. */
export function audienceBucket(movieId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < movieId.length; i++) h = Math.imul(h ^ movieId.charCodeAt(i), 0x01000193);
  return (h >>> 0) % AUDIENCE_BUCKETS;
}

export function dashboardKeys(prefix: string) {
  return {
    runs: `${prefix}:{ctl}:dash:runs`,
    history: (userId: string) => `${prefix}:hist:${assertId('user_id', userId)}`,
    audience: (version: string, movieId: string) => `${prefix}:dash:aud:${assertVersion(version)}:${audienceBucket(movieId)}`,
    /** STRING: titles in the version's audience, set once every bucket is written (absent: not published). */
    audienceDone: (version: string) => `${prefix}:dash:aud:${assertVersion(version)}:done`,
  };
}

/** The runs the worker published: rows of sql/rpt_dashboard_runs.sql, (version, model) grain. */
export interface PublishedRuns {
  published_at: string;
  rows: Record<string, unknown>[];
}

export interface HistoryEntry {
  ts: string;
  event_type: string;
  movie_id: string;
  watch_seconds: number | null;
  duration_seconds: number | null;
  rating: number | null;
  source: string | null;
}

type Wire = [number, string, string, number | null, number | null, number | null, string | null];

export function encodeHistoryEntry(tsMs: number, e: Omit<HistoryEntry, 'ts'>): string {
  const w: Wire = [tsMs, e.event_type, e.movie_id, e.watch_seconds, e.duration_seconds, e.rating, e.source];
  return JSON.stringify(w);
}

/** A member written by encodeHistoryEntry; null for anything else. */
export function decodeHistoryEntry(member: string): HistoryEntry | null {
  try {
    const w = JSON.parse(member) as Wire;
    if (!Array.isArray(w) || typeof w[0] !== 'number' || typeof w[1] !== 'string' || typeof w[2] !== 'string') return null;
    return { ts: new Date(w[0]).toISOString().replace(/\.\d{3}Z$/, 'Z'), event_type: w[1], movie_id: w[2], watch_seconds: w[3] ?? null, duration_seconds: w[4] ?? null, rating: w[5] ?? null, source: w[6] ?? null };
  } catch {
    return null;
  }
}

export interface AudienceEntry {
  /** Users whose published top 20 holds the title. */
  n: number;
  /** The best-ranked of them: [user_id, rank (1-based), score]. */
  u: [string, number, number | null][];
}

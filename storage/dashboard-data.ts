// What the warehouse worker publishes to Redis for the operators' dashboard, so the API never
// opens DuckDB or the run artifacts (issue 13; docs/analysts.md, "The dashboard's data"). Three
// things, each written where the worker already holds the data:
//
//   runs      STRING  `<prefix>:{ctl}:dash:runs`: JSON {published_at, rows} — rows of
//             sql/rpt_dashboard_runs.sql for the newest DASHBOARD_RUNS runs. Rewritten whole when
//             an evaluation records a run and when a version is published (tens of KB).
//   history   STRING  `<prefix>:hist:<user>`: the user's newest DASHBOARD_HISTORY_LENGTH
//             interactions (impressions left out), one line each, newest first:
//             ts_ms (13 digits) US type US movie US watch_s US dur_s US rating US source
//             (US = the ASCII unit separator, an empty field = null). Every ingest and stream drain
//             merges its batch into the users in that batch only (HISTORY_MERGE_LUA: union,
//             dedupe, newest first, trim) and refreshes the TTL, DASHBOARD_HISTORY_TTL_SECONDS
//             after the user's last landed event. The same event landed twice is the same line:
//             a no-op. A string, not a sorted set: a ZSET whose members pass 64 bytes (long
//             sources) leaves the listpack encoding and takes 4 KB per user at 20 entries instead
//             of about 1 KB (bench/dashboard-memory.ts, bench/results/dashboard-memory.json).
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

const US = String.fromCharCode(31);
const CLEAN = new RegExp(`[\n${US}]`, 'g');
const field = (v: string | number | null) => (v === null ? '' : String(v).replace(CLEAN, ' '));
const numField = (s: string | undefined) => (s === undefined || s === '' ? null : Number(s));

/**
 * One history line (ts first, fixed width, so lines sort by time as plain strings). The reference
 * codec: the worker encodes its lines in SQL (sql/rpt_dashboard_history_lines.sql, a 40 M-event
 * batch at a time), and test/integration/sql.test.ts checks that SQL against this function.
 */
export function encodeHistoryEntry(tsMs: number, e: Omit<HistoryEntry, 'ts'>): string {
  if (!Number.isInteger(tsMs) || tsMs < 0 || tsMs > 9_999_999_999_999) throw new RangeError(`history ts must be epoch ms with at most 13 digits, got ${tsMs}`);
  return [String(tsMs).padStart(13, '0'), field(e.event_type), field(e.movie_id), field(e.watch_seconds), field(e.duration_seconds), field(e.rating), field(e.source)].join(US);
}

/** A line written by encodeHistoryEntry; null for anything else. */
export function decodeHistoryEntry(line: string): HistoryEntry | null {
  const f = line.split(US);
  if (f.length !== 7 || !/^[0-9]{13}$/.test(f[0]) || !f[1] || !f[2]) return null;
  return { ts: new Date(Number(f[0])).toISOString().replace(/\.\d{3}Z$/, 'Z'), event_type: f[1], movie_id: f[2], watch_seconds: numField(f[3]), duration_seconds: numField(f[4]), rating: numField(f[5]), source: f[6] === '' ? null : f[6] };
}

/** A stored history (newest first) → its entries, at most `limit`. */
export function decodeHistory(value: string, limit: number): HistoryEntry[] {
  const out: HistoryEntry[] = [];
  for (const line of value.split('\n')) {
    if (out.length >= limit) break;
    const e = decodeHistoryEntry(line);
    if (e) out.push(e);
  }
  return out;
}

/**
 * KEYS[1] a user's history; ARGV[1] depth, ARGV[2] TTL (s), ARGV[3] new lines joined by '\n'.
 * Union with the stored lines, drop repeats, newest first (lines start with a 13-digit ts, and
 * digits collate alike in every locale), keep `depth`, SET with the TTL. Returns the lines kept.
 */
export const HISTORY_MERGE_LUA = `local seen, lines = {}, {}
local function add(blob)
  if not blob then return end
  for line in string.gmatch(blob, '[^\\n]+') do
    if not seen[line] then seen[line] = true lines[#lines + 1] = line end
  end
end
add(redis.call('GET', KEYS[1]))
add(ARGV[3])
table.sort(lines, function(a, b) return a > b end)
local out = {}
for i = 1, math.min(tonumber(ARGV[1]), #lines) do out[i] = lines[i] end
redis.call('SET', KEYS[1], table.concat(out, '\\n'), 'EX', ARGV[2])
return #out`;

export interface AudienceEntry {
  /** Users whose published top 20 holds the title. */
  n: number;
  /** The best-ranked of them: [user_id, rank (1-based), score]. */
  u: [string, number, number | null][];
}

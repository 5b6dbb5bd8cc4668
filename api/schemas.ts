// Zod schemas for every input the API accepts: query strings, path ids, JSON bodies, and the
// serving knobs that config.ts does not (yet) name. Handlers parse with these and nothing else.
import { z } from 'zod';
import type { Config } from '../config';
import { EVENT_TYPES } from '../model/types';
import { ID_RE } from '../storage/redis-keys';

// ---- serving knobs ----------------------------------------------------------------------
// Every knob has a documented default. They are read from `cfg` under the same name when
// config.ts defines them, else the default applies; tests pass overrides.

const int = (def: number, min = 0, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max).default(def);
const num = (def: number, min = -Infinity, max = Infinity) => z.coerce.number().min(min).max(max).default(def);

export const apiOptionsSchema = z.object({
  /** Number of hash buckets users are split into for A/B assignment. */
  AB_BUCKETS: int(100, 1, 100_000),
  /** Salt of the user-id hash: change it to reshuffle every user into new buckets. */
  AB_SALT: z.string().min(1).max(64).default('ab1'),
  /** JSON list of variants `{name, buckets:[from,to), blend?:{explorationSlots?}}`; buckets not covered serve "default". */
  AB_VARIANTS: z.string().default('[{"name":"control","buckets":[0,100]}]'),
  /** Deepest offset a feed request may ask for (lists hold TOP_N items). */
  FEED_MAX_OFFSET: int(1000, 0, 100_000),
  /** A fresh title takes an exploration slot when θ·affinity ≥ this × the displaced item's score (θ ~ Beta). */
  EXPLORATION_BAR: num(0.25, 0),
  /** How often exploration counts are flushed to (and re-read from) Redis. */
  EXPLORATION_FLUSH_MS: int(1000, 10, 600_000),
  /** How often buffered impression events are written to the stream. */
  IMPRESSION_FLUSH_MS: int(20, 5, 60_000),
  /** Largest number of events written in one script call: Redis runs it ~3 µs per event without serving feed reads, so keep it small. */
  EVENT_WRITE_BATCH: int(100, 1, 100_000),
  /** Event batches in flight at once (round trips overlap; Redis still runs them one by one). */
  EVENT_WRITE_CONCURRENCY: int(2, 1, 64),
  /** Impressions held in memory while Redis is unavailable; beyond this the oldest are dropped (posted events go to the spool instead). */
  EVENT_BUFFER_MAX: int(200_000, 0, 10_000_000),
  /** Largest size of the local spool of POST /events (DATA_DIR/spool/<REDIS_PREFIX>) while Redis is unavailable; a full spool answers 503. */
  SPOOL_MAX_BYTES: int(256 * 1024 * 1024, 0),
  /** A spool segment file is sealed (and becomes replayable) at this size. */
  SPOOL_SEGMENT_BYTES: int(16 * 1024 * 1024, 4096),
  /** How often the spool is replayed into the stream while Redis is up. */
  SPOOL_REPLAY_MS: int(500, 10, 600_000),
  /** Retry-After (seconds) of a 503 from POST /events when neither Redis nor the spool can take the batch. */
  SPOOL_RETRY_AFTER_SECONDS: int(5, 1, 3600),
  /** /readyz answers 503 while the warehouse drain's backlog (undelivered + unacknowledged stream entries) exceeds this; 0 = never. */
  EVENTS_LAG_READY_MAX: int(5_000_000, 0),
  /** How often the drain's backlog is read from Redis for /metrics and /readyz. */
  EVENTS_LAG_POLL_MS: int(5000, 50, 600_000),
  /** Lifetime of the dashboard's session cookie, set from the operator token. */
  DASHBOARD_SESSION_SECONDS: int(12 * 3600, 60, 30 * 24 * 3600),
  /** Largest number of events in one POST /events body. */
  EVENTS_MAX_BATCH: int(500, 1, 10_000),
  /** Largest POST body in bytes. */
  EVENTS_BODY_LIMIT_BYTES: int(256 * 1024, 1024, 64 * 1024 * 1024),
  /** Events may be stamped at most this far in the future (client clock skew). */
  EVENTS_MAX_FUTURE_SKEW_MS: int(60_000, 0, 24 * 3600_000),
  /** TTL of a user's "recently watched" set, refreshed on each watch. */
  RECENT_TTL_SECONDS: int(7 * 24 * 3600, 60),
  /** ioredis connect timeout and per-command timeout. */
  REDIS_CONNECT_TIMEOUT_MS: int(500, 10, 60_000),
  REDIS_COMMAND_TIMEOUT_MS: int(250, 5, 60_000),
  /** After a Redis failure, requests skip Redis for this long (then one probe goes through). */
  REDIS_CIRCUIT_OPEN_MS: int(1000, 0, 600_000),
  /** Poll fallback for the pub/sub channel: re-read the live pointer and the fresh pool this often. */
  STATE_POLL_MS: int(3000, 50, 600_000),
  /** Size of the in-memory popular list answered while Redis is down. */
  FALLBACK_SIZE: int(500, 1, 100_000),
  /** HNSW graph parameters of the item index (inner product). */
  HNSW_M: int(16, 2, 128),
  HNSW_EF_CONSTRUCTION: int(100, 8, 2000),
  HNSW_EF_SEARCH: int(64, 8, 5000),
});
export type ApiOptions = z.infer<typeof apiOptionsSchema>;

/** Knobs from `cfg` (when config.ts names them), then `overrides`, then defaults. Throws on bad values. */
export function apiOptions(cfg: Config, overrides: Partial<ApiOptions> = {}): ApiOptions {
  const fromCfg: Record<string, unknown> = {};
  const raw = cfg as unknown as Record<string, unknown>;
  for (const name of Object.keys(apiOptionsSchema.shape)) if (raw[name] !== undefined) fromCfg[name] = raw[name];
  return apiOptionsSchema.parse({ ...fromCfg, ...overrides });
}

// ---- query strings ----------------------------------------------------------------------

const idString = z.string().regex(ID_RE, 'must be 1–64 characters of A–Z a–z 0–9 _ . : -');
const intString = (min: number, max: number) =>
  z.string().regex(/^\d{1,7}$/, 'must be a non-negative integer').transform(Number).pipe(z.number().int().min(min).max(max));
const GENRE_RE = /^[\p{L}\p{N} &'_/.-]{1,40}$/u;
const csv = (item: z.ZodString, max: number) =>
  z
    .string()
    .max(8000)
    .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
    .pipe(z.array(item).max(max));

export const homeFeedQuerySchema = (maxOffset: number) =>
  z.strictObject({
    user_id: idString,
    limit: intString(1, 500).optional(),
    offset: intString(0, maxOffset).optional(),
    exclude: csv(idString, 500).optional(),
    genres: csv(z.string().regex(GENRE_RE, 'genre names are 1–40 letters, digits, spaces or & \' _ / . -'), 20).optional(),
  });
export type HomeFeedQuery = z.infer<ReturnType<typeof homeFeedQuerySchema>>;

export const similarQuerySchema = z.strictObject({ limit: intString(1, 500).optional() });
export const emptyQuerySchema = z.strictObject({});
export const movieIdSchema = idString;

// ---- bodies -----------------------------------------------------------------------------

const isoTs = z
  .string()
  .max(40)
  .regex(/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?(Z|[+-]\d{2}:?\d{2})?$/, 'must be an ISO-8601 timestamp')
  .refine((s) => Number.isFinite(Date.parse(s)), 'must be a valid date')
  .transform((s) => new Date(Date.parse(s)).toISOString());

export const eventInputSchema = z
  .strictObject({
    event_id: z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'must be 1–128 characters of A–Z a–z 0–9 _ . : -').optional(),
    user_id: idString,
    movie_id: idString,
    event_type: z.enum(EVENT_TYPES),
    ts: isoTs,
    watch_seconds: z.number().finite().min(0).max(1e7).nullable().optional(),
    duration_seconds: z.number().finite().gt(0).max(1e7).nullable().optional(),
    rating: z.number().min(0.5).max(5).multipleOf(0.5).nullable().optional(),
    source: z.string().max(128).nullable().optional(),
  })
  .superRefine((e, ctx) => {
    if (e.event_type === 'rating' && (e.rating === undefined || e.rating === null))
      ctx.addIssue({ code: 'custom', path: ['rating'], message: 'a rating event needs a rating (0.5–5)' });
    if (e.event_type !== 'rating' && e.rating !== undefined && e.rating !== null)
      ctx.addIssue({ code: 'custom', path: ['rating'], message: 'only rating events carry a rating' });
  });
export type EventInput = z.infer<typeof eventInputSchema>;

export const eventsBodySchema = (maxBatch: number) => z.strictObject({ events: z.array(eventInputSchema).min(1).max(maxBatch) });

export const titleBodySchema = z.strictObject({
  movie_id: idString,
  title: z.string().trim().min(1).max(300),
  year: z.number().int().min(1870).max(2100).nullable().default(null),
  genres: z.array(z.string().regex(GENRE_RE)).max(20).default([]),
  tags: z.array(z.string().min(1).max(60)).max(100).default([]),
  duration_seconds: z.number().finite().gt(0).max(1e7).nullable().default(null),
  added_at: isoTs.optional(),
});
export type TitleInput = z.infer<typeof titleBodySchema>;

// ---- errors -----------------------------------------------------------------------------

export interface ErrorDetail {
  path: string;
  code: string;
  message: string;
}

/** An error with an HTTP status and a machine-readable code, rendered by the one error middleware. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[] = [],
    /** Retry-After of a 503, in seconds (default 1). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

/** Parse `input` or throw a 400 whose code says what was wrong (unknown_parameter for extra keys). */
export function parseOr400<T extends z.ZodTypeAny>(schema: T, input: unknown, what: string): z.infer<T> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const details: ErrorDetail[] = [];
  let unknown = false;
  for (const i of r.error.issues) {
    if (i.code === 'unrecognized_keys') {
      unknown = true;
      for (const key of i.keys) details.push({ path: [...i.path, key].join('.'), code: 'unknown_parameter', message: `unknown parameter "${key}"` });
    } else details.push({ path: i.path.join('.'), code: i.code, message: i.message });
  }
  const code = unknown && what === 'query' ? 'unknown_parameter' : `invalid_${what}`;
  const message = details.slice(0, 3).map((d) => (d.path ? `${d.path}: ${d.message}` : d.message)).join('; ');
  throw new HttpError(400, code, message, details.slice(0, 50));
}

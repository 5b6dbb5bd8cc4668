// The API's serving knobs (A/B variants, exploration, Redis timeouts, HNSW, event limits) as a
// zod schema. config.ts extends its own schema with this one, so every knob is an environment
// variable checked at start; api/schemas.ts reads them for the app (apiOptions). It lives
// beside config.ts, not in api/, so that configuration imports nothing from the API.
import { z } from 'zod';

// Every knob has a documented default. They are read from `cfg` under the same name when
// config.ts defines them, else the default applies; tests pass overrides.

export const int = (def: number, min = 0, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max).default(def);
export const num = (def: number, min = -Infinity, max = Infinity) => z.coerce.number().min(min).max(max).default(def);

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
  /** GET /home-rows (api/rows.ts): rows on a screen and titles per row when the request does not say. */
  ROWS_DEFAULT: int(5, 1, 20),
  ROWS_PER_ROW_DEFAULT: int(20, 1, 50),
  /** At most this many "Because you watched" rows (anchors: the user's recent watches, newest first). */
  ROWS_BECAUSE_MAX: int(3, 0, 10),
  /** At most this many "Trending in <genre>" rows. */
  ROWS_GENRE_MAX: int(2, 0, 10),
  /** A row with fewer titles than this (or than per_row, if smaller) is left off the screen. */
  ROWS_MIN_ITEMS: int(3, 1, 50),
  /** Neighbours of an anchor fetched from the item index before they are re-scored by the user. */
  ROWS_NEIGHBOURS: int(100, 1, 2000),
  /** GET /up-next (api/up-next.ts, model/up-next.ts): titles returned when the request does not say. */
  UP_NEXT_DEFAULT_LIMIT: int(10, 1, 100),
  /** Neighbours of the finished title re-scored by the user. */
  UP_NEXT_NEIGHBOURS: int(50, 1, 2000),
  /**
   * β in s_i = x_u·y_i + β·y_f·y_i: weight of the similarity to the finished title (0 = the user's
   * taste alone orders the neighbours). 1: on the demo world hit@10 is 21.4 % at β = 0 and a flat
   * 23.2–23.9 % for β in 0.5–4 (bench/up-next.ts, bench/results/up-next.json).
   */
  UP_NEXT_ITEM_WEIGHT: num(1, 0, 100),
  /** 1: the next parts of the finished title's franchise (model/franchise.ts, from titles) come first; 0: neighbours only. */
  UP_NEXT_FRANCHISE: int(1, 0, 1),
});
export type ApiOptions = z.infer<typeof apiOptionsSchema>;

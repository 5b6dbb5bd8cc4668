// Zod schemas for every input the API accepts (query strings, path ids, JSON bodies) and the
// bodies it answers with, plus the serving knobs that config.ts does not (yet) name. Handlers
// parse with these and nothing else; api/openapi.ts generates /openapi.json from the same objects.
import { z } from 'zod';
import type { Config } from '../config';
import { EVENT_TYPES } from '../model/types';
import { ID_RE } from '../storage/redis-keys';
import { apiOptionsSchema, type ApiOptions } from '../config-serving';

// ---- serving knobs ----------------------------------------------------------------------
// The schema lives in ../config-serving.ts (config.ts extends it, and config imports nothing from api/).
export { apiOptionsSchema, type ApiOptions } from '../config-serving';

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
  z.string().regex(/^\d{1,7}$/, 'must be a non-negative integer').transform(Number).pipe(z.number().int().min(min).max(max)).meta({ description: `an integer from ${min} to ${max}` });
const GENRE_RE = /^[\p{L}\p{N} &'_/.-]{1,40}$/u;
const csv = (item: z.ZodString, max: number, what: string) =>
  z
    .string()
    .max(8000)
    .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
    .pipe(z.array(item).max(max))
    .meta({ description: `comma-separated ${what} (at most ${max})` });

export const homeFeedQuerySchema = (maxOffset: number) =>
  z.strictObject({
    user_id: idString,
    limit: intString(1, 500).optional(),
    offset: intString(0, maxOffset).optional(),
    exclude: csv(idString, 500, 'movie ids').optional(),
    genres: csv(z.string().regex(GENRE_RE, 'genre names are 1–40 letters, digits, spaces or & \' _ / . -'), 20, 'genre names (case-insensitive)').optional(),
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
    event_id: z
      .string()
      .regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'must be 1–128 characters of A–Z a–z 0–9 _ . : -')
      .optional()
      .meta({ description: 'The dedupe key: the same id lands once in the warehouse. When absent, derived from (user_id, movie_id, event_type, ts, source), so a retried post is still a no-op.' }),
    user_id: idString,
    movie_id: idString.meta({ description: 'Must be in the loaded catalog or the fresh pool.' }),
    event_type: z.enum(EVENT_TYPES),
    ts: isoTs.meta({ description: 'ISO-8601; not in the future (EVENTS_MAX_FUTURE_SKEW_MS allowed).' }),
    watch_seconds: z.number().finite().min(0).max(1e7).nullable().optional(),
    duration_seconds: z.number().finite().gt(0).max(1e7).nullable().optional(),
    rating: z.number().min(0.5).max(5).multipleOf(0.5).nullable().optional().meta({ description: 'Required for rating events, absent otherwise.' }),
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

// ---- responses ----------------------------------------------------------------------------
// The bodies the handlers send. api/openapi.ts documents them and checks at compile time that
// the feed code's types (FeedItem, FeedResponse) are exactly these.

export const REASONS = ['because_you_watched', 'trending', 'new_for_you', 'popular', 'session'] as const;
export const SOURCES = ['personalized', 'fold_in', 'cold_start', 'fallback'] as const;

export const feedItemSchema = z.strictObject({
  movie_id: idString,
  title: z.string(),
  genres: z.array(z.string()),
  score: z.number(),
  reason: z.enum(REASONS),
});

export const feedResponseSchema = z.strictObject({
  user_id: idString,
  model_version: z.string().nullable().meta({ description: 'null only while no version was ever loaded (the disk fallback list of an API that never saw a catalog)' }),
  source: z.enum(SOURCES),
  variant: z.string().meta({ description: 'the A/B variant of the user (AB_VARIANTS)' }),
  items: z.array(feedItemSchema),
});

export const similarResponseSchema = z.strictObject({ movie_id: idString, model_version: z.string(), items: z.array(feedItemSchema) });
export const eventsAcceptedSchema = z.strictObject({ accepted: z.number().int().min(1) });
export const titleStartedSchema = z.strictObject({ workflow_id: z.string() });
export const healthSchema = z.strictObject({ status: z.literal('ok'), redis: z.enum(['up', 'down']), model_version: z.string().nullable() });
export const readySchema = z.object({
  ready: z.boolean(),
  reason: z.enum(['no_model', 'events_lag']).optional(),
  model_version: z.string().optional(),
  n_items: z.number().int().optional(),
  fresh: z.number().int().optional(),
  events_lag: z.object({ undelivered: z.number(), pending: z.number() }).nullable().optional(),
  events_lag_max: z.number().optional(),
  spool_bytes: z.number().optional(),
});
export const errorResponseSchema = z.strictObject({
  error: z.strictObject({
    code: z.string().meta({ examples: ['invalid_query', 'unknown_parameter', 'invalid_body', 'unknown_movie', 'not_ready'] }),
    message: z.string(),
    details: z.array(z.strictObject({ path: z.string(), code: z.string(), message: z.string() })),
  }),
});

// ---- GET /home-rows and GET /up-next (api/rows.ts, api/up-next.ts) -------------------------

export const homeRowsQuerySchema = z.strictObject({
  user_id: idString,
  rows: intString(1, 20).optional().meta({ description: 'rows on the screen, the top-picks row included (default ROWS_DEFAULT)' }),
  per_row: intString(1, 50).optional().meta({ description: 'titles per row (default ROWS_PER_ROW_DEFAULT)' }),
});
export type HomeRowsQuery = z.infer<typeof homeRowsQuerySchema>;

export const upNextQuerySchema = z.strictObject({
  user_id: idString,
  movie_id: idString.meta({ description: 'the title just finished; an id the model does not know gets the popular fallback' }),
  limit: intString(1, 100).optional().meta({ description: 'titles to return (default UP_NEXT_DEFAULT_LIMIT)' }),
});
export type UpNextQuery = z.infer<typeof upNextQuerySchema>;

const becauseOf = idString.optional().meta({ description: 'the watched title this item is recommended because of, where one applies' });
export const rowItemSchema = feedItemSchema.extend({ because_of: becauseOf });
export const ROW_KINDS = ['top_picks', 'trending', 'because_you_watched', 'trending_in_genre'] as const;
export const rowSchema = z.strictObject({
  kind: z.enum(ROW_KINDS),
  title: z.string().meta({ examples: ['Top picks for you', 'Because you watched Alien', 'Trending in Horror'] }),
  because_of: idString.optional(),
  genre: z.string().optional(),
  items: z.array(rowItemSchema),
});
export const rowsResponseSchema = z.strictObject({
  user_id: idString,
  model_version: z.string(),
  source: z.enum(SOURCES).meta({ description: 'how the top-picks row was built (as /home-feed says); fallback = Redis unavailable, rows from the in-memory lists' }),
  variant: z.string(),
  rows: z.array(rowSchema),
});

export const UP_NEXT_REASONS = ['next_in_franchise', 'similar', 'popular', 'trending'] as const;
export const UP_NEXT_SOURCES = ['personalized', 'fold_in', 'item_to_item', 'fallback'] as const;
export const upNextItemSchema = z.strictObject({
  movie_id: idString,
  title: z.string(),
  genres: z.array(z.string()),
  score: z.number(),
  reason: z.enum(UP_NEXT_REASONS),
  because_of: becauseOf,
});
export const upNextResponseSchema = z.strictObject({
  user_id: idString,
  movie_id: idString,
  model_version: z.string(),
  source: z.enum(UP_NEXT_SOURCES).meta({ description: 'item_to_item: the model lacks the user; fallback: the model lacks the title (popular titles of its genres)' }),
  items: z.array(upNextItemSchema),
});

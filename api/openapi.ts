// OpenAPI 3.1 description of the API. A test checks that every route Express registers is
// listed here and every path listed here is registered.

const error = {
  description: 'Invalid input',
  content: {
    'application/json': {
      schema: {
        type: 'object',
        required: ['error'],
        properties: {
          error: {
            type: 'object',
            required: ['code', 'message'],
            properties: {
              code: { type: 'string', examples: ['invalid_query', 'unknown_parameter', 'invalid_body', 'unknown_movie'] },
              message: { type: 'string' },
              details: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' }, code: { type: 'string' }, message: { type: 'string' } } } },
            },
          },
        },
      },
    },
  },
};

const id = { type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,64}$' };
const csv = (description: string) => ({ type: 'string', description });
const json = (schema: object, description: string) => ({ description, content: { 'application/json': { schema } } });

const feedItem = {
  type: 'object',
  required: ['movie_id', 'title', 'genres', 'score', 'reason'],
  properties: {
    movie_id: id,
    title: { type: 'string' },
    genres: { type: 'array', items: { type: 'string' } },
    score: { type: 'number' },
    reason: { enum: ['because_you_watched', 'trending', 'new_for_you', 'popular'] },
  },
};

const eventIn = {
  type: 'object',
  additionalProperties: false,
  required: ['user_id', 'movie_id', 'event_type', 'ts'],
  properties: {
    event_id: { type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,128}$', description: 'The dedupe key: the same id lands once in the warehouse. When absent, derived from (user_id, movie_id, event_type, ts, source), so a retried post is still a no-op.' },
    user_id: id,
    movie_id: { ...id, description: 'Must be in the loaded catalog or the fresh pool.' },
    event_type: { enum: ['watch', 'rating', 'search', 'browse', 'impression'] },
    ts: { type: 'string', format: 'date-time', description: 'Not in the future (EVENTS_MAX_FUTURE_SKEW_MS allowed).' },
    watch_seconds: { type: ['number', 'null'], minimum: 0 },
    duration_seconds: { type: ['number', 'null'], exclusiveMinimum: 0 },
    rating: { type: ['number', 'null'], minimum: 0.5, maximum: 5, multipleOf: 0.5, description: 'Required for rating events, absent otherwise.' },
    source: { type: ['string', 'null'], maxLength: 128 },
  },
};

const title = {
  type: 'object',
  additionalProperties: false,
  required: ['movie_id', 'title'],
  properties: {
    movie_id: id,
    title: { type: 'string', minLength: 1, maxLength: 300 },
    year: { type: ['integer', 'null'] },
    genres: { type: 'array', items: { type: 'string' } },
    tags: { type: 'array', items: { type: 'string' } },
    duration_seconds: { type: ['number', 'null'] },
    added_at: { type: 'string', format: 'date-time', description: 'Defaults to now.' },
  },
};

export function openApiDocument(): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: { title: 'movie-recs API', version: '1.0.0', description: 'Home feed, similar titles, event intake and title registration. Degrades to popular lists; never a 5xx for a valid feed request.' },
    paths: {
      '/home-feed': {
        get: {
          summary: 'Ranked home feed for a user',
          description:
            'Precomputed list minus titles watched since the model was built and `exclude`, with fresh titles in exploration slots (1-based feed positions, default 3,8,15, counted before `offset`). Cold users: fold-in of recent watches, else trending diversified by genre.',
          parameters: [
            { name: 'user_id', in: 'query', required: true, schema: id },
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500, default: 20 } },
            { name: 'offset', in: 'query', schema: { type: 'integer', minimum: 0, default: 0 } },
            { name: 'exclude', in: 'query', schema: csv('comma-separated movie ids') },
            { name: 'genres', in: 'query', schema: csv('comma-separated genre names (case-insensitive)') },
          ],
          responses: {
            200: json(
              {
                type: 'object',
                required: ['user_id', 'model_version', 'source', 'variant', 'items'],
                properties: {
                  user_id: id,
                  model_version: { type: ['string', 'null'] },
                  source: { enum: ['personalized', 'fold_in', 'cold_start', 'fallback'] },
                  variant: { type: 'string' },
                  items: { type: 'array', items: feedItem },
                },
              },
              'The feed',
            ),
            400: error,
          },
        },
      },
      '/movies/{id}/similar': {
        get: {
          summary: 'Titles similar to one title (inner product over item factors)',
          parameters: [
            { name: 'id', in: 'path', required: true, schema: id },
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500, default: 20 } },
          ],
          responses: {
            200: json({ type: 'object', properties: { movie_id: id, model_version: { type: 'string' }, items: { type: 'array', items: feedItem } } }, 'Similar titles'),
            400: error,
            404: { ...error, description: 'Unknown movie (code unknown_movie)' },
            503: { ...error, description: 'No model version loaded yet (code not_ready)' },
          },
        },
      },
      '/events': {
        post: {
          summary: 'Record events (to the events stream; watches also to recent activity)',
          requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', additionalProperties: false, required: ['events'], properties: { events: { type: 'array', minItems: 1, maxItems: 500, items: eventIn } } } } } },
          responses: {
            202: json({ type: 'object', properties: { accepted: { type: 'integer' } } }, 'Durable: in the Redis stream, or fsynced in the local spool while Redis is unavailable (replayed when it returns)'),
            400: error,
            413: { ...error, description: 'Body too large (code payload_too_large)' },
            503: { ...error, description: 'Nothing was stored; retry after Retry-After: Redis unavailable and the local spool full (code spool_full) or unwritable (code events_unavailable), or no catalog loaded (code not_ready)' },
          },
        },
      },
      '/titles': {
        post: {
          summary: 'Add a title (starts the addTitle workflow)',
          security: [{ bearer: [] }],
          requestBody: { required: true, content: { 'application/json': { schema: title } } },
          responses: {
            202: json({ type: 'object', properties: { workflow_id: { type: 'string' } } }, 'Workflow started'),
            400: error,
            401: { ...error, description: 'No bearer token' },
            403: { ...error, description: 'Wrong token' },
            503: { ...error, description: 'No title workflow configured (code not_configured) or it could not be started (code unavailable)' },
          },
        },
      },
      '/healthz': { get: { summary: 'Liveness of the process; reports Redis up/down', responses: { 200: json({ type: 'object', properties: { status: { const: 'ok' }, redis: { enum: ['up', 'down'] } } }, 'Alive') } } },
      '/readyz': { get: { summary: 'Ready when a model version is loaded and the warehouse drain is within EVENTS_LAG_READY_MAX of the events stream', responses: { 200: json({ type: 'object' }, 'Ready'), 503: json({ type: 'object' }, 'Not ready (reason no_model or events_lag)') } } },
      '/metrics': { get: { summary: 'Prometheus metrics', responses: { 200: { description: 'text/plain; version=0.0.4', content: { 'text/plain': { schema: { type: 'string' } } } } } } },
      '/openapi.json': { get: { summary: 'This document', responses: { 200: json({ type: 'object' }, 'OpenAPI 3.1') } } },
    },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
  };
}

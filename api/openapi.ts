// OpenAPI 3.1 description of the API, generated from the zod schemas that validate requests and
// shape responses (api/schemas.ts) with zod's own JSON Schema output: the document cannot
// disagree with the code. What is written here is only the prose (summaries, status meanings)
// and which schema belongs to which route. A test checks that every route Express registers is
// listed here and every path listed here is registered. /docs serves Swagger UI (swagger-ui-dist,
// from node_modules: no CDN) over /openapi.json.
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import express, { type Router } from 'express';
import { z } from 'zod';
import type { FeedItem } from './feed';
import type { FeedResponse } from './feed-response';
import type { RowsResponse } from './rows-routes';
import type { UpNextResponse } from './up-next';
import {
  emptyQuerySchema,
  errorResponseSchema,
  eventsAcceptedSchema,
  eventsBodySchema,
  feedItemSchema,
  feedResponseSchema,
  healthSchema,
  homeFeedQuerySchema,
  homeRowsQuerySchema,
  rowsResponseSchema,
  upNextQuerySchema,
  upNextResponseSchema,
  movieIdSchema,
  readySchema,
  similarQuerySchema,
  similarResponseSchema,
  titleBodySchema,
  titleStartedSchema,
} from './schemas';

// The feed code's types are exactly the documented response schemas (tsc fails otherwise).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _feedItemIsDocumented: Same<FeedItem, z.infer<typeof feedItemSchema>> = true;
const _feedResponseIsDocumented: Same<FeedResponse, z.infer<typeof feedResponseSchema>> = true;
const _rowsAreDocumented: Same<RowsResponse, z.infer<typeof rowsResponseSchema>> = true;
const _upNextIsDocumented: Same<UpNextResponse, z.infer<typeof upNextResponseSchema>> = true;
void [_feedItemIsDocumented, _feedResponseIsDocumented, _rowsAreDocumented, _upNextIsDocumented];

type Schema = z.ZodType;
type JsonSchema = Record<string, unknown>;

/** JSON Schema (2020-12, as OpenAPI 3.1 takes it) of what a client sends (input) or receives (output). */
function jsonSchema(schema: Schema, io: 'input' | 'output'): JsonSchema {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

const json = (schema: Schema, description: string) => ({ description, content: { 'application/json': { schema: jsonSchema(schema, 'output') } } });
const error = (description: string) => json(errorResponseSchema, description);

/** One parameter per key of a query (or path) object schema. */
function parameters(where: 'query' | 'path', schema: Schema | Record<string, Schema>): Array<Record<string, unknown>> {
  const obj = jsonSchema(schema instanceof z.ZodType ? schema : z.object(schema), 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(obj.properties ?? {}).map(([name, s]) => {
    const { description, ...rest } = s;
    return { name, in: where, required: where === 'path' || (obj.required ?? []).includes(name), ...(description ? { description } : {}), schema: rest };
  });
}

const body = (schema: Schema) => ({ required: true, content: { 'application/json': { schema: jsonSchema(schema, 'input') } } });

/** The schemas an app instance validates with (their limits follow its options). */
export interface DocumentedSchemas {
  feedQuery: ReturnType<typeof homeFeedQuerySchema>;
  eventsBody: ReturnType<typeof eventsBodySchema>;
}

export function openApiDocument(s: DocumentedSchemas = { feedQuery: homeFeedQuerySchema(1000), eventsBody: eventsBodySchema(500) }): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: { title: 'movie-recs API', version: '1.0.0', description: 'Home feed, similar titles, event intake and title registration. Degrades to popular lists; never a 5xx for a valid feed request. Every response carries an x-request-id header (the client\'s, when it sent a sane one).' },
    paths: {
      '/home-feed': {
        get: {
          summary: 'Ranked home feed for a user',
          description:
            'Precomputed list minus titles watched since the model was built and `exclude`, with fresh titles in exploration slots (1-based feed positions, default 3,8,15, counted before `offset`). Cold users: fold-in of recent watches, else trending diversified by genre. `limit` defaults to FEED_DEFAULT_LIMIT.',
          parameters: parameters('query', s.feedQuery),
          responses: { 200: json(feedResponseSchema, 'The feed'), 400: error('Invalid query (code invalid_query or unknown_parameter)') },
        },
      },
      '/home-rows': {
        get: {
          summary: 'The home screen as rows for a user',
          description:
            '"Top picks for you" (the home feed\'s personalised list, with its exploration slots — applied once per screen), then "Because you watched <title>" rows (the user\'s recent watches as anchors: their nearest neighbours in the factor space, re-scored by the user) alternating with "Trending in <genre>" rows for the genres the user leans to. No title appears twice on a screen, none the user has watched; items carry `because_of` where it applies. A user the model lacks gets "Trending now" and genre rows. Each row is logged as one impression slate (surface `home_rows.<row>.<kind>`).',
          parameters: parameters('query', homeRowsQuerySchema),
          responses: { 200: json(rowsResponseSchema, 'The rows'), 400: error('Invalid query (code invalid_query or unknown_parameter)'), 503: error('No model version loaded yet (code not_ready)') },
        },
      },
      '/up-next': {
        get: {
          summary: 'What to play after a title the user just finished (post-play)',
          description:
            'The next parts of the title\'s franchise (from titles: "Name 2", "Name: Part II"), then the title\'s nearest neighbours re-scored by the user (UP_NEXT_ITEM_WEIGHT); nothing the user was seen watching. A title the model does not know gets popular titles of its genres (source fallback); a user it does not know gets the neighbours in item-to-item order.',
          parameters: parameters('query', upNextQuerySchema),
          responses: { 200: json(upNextResponseSchema, 'Up next'), 400: error('Invalid query (code invalid_query or unknown_parameter)'), 503: error('No model version loaded yet (code not_ready)') },
        },
      },
      '/movies/{id}/similar': {
        get: {
          summary: 'Titles similar to one title (inner product over item factors)',
          parameters: [...parameters('path', { id: movieIdSchema }), ...parameters('query', similarQuerySchema)],
          responses: {
            200: json(similarResponseSchema, 'Similar titles'),
            400: error('Invalid id or query'),
            404: error('Unknown movie (code unknown_movie)'),
            503: error('No model version loaded yet (code not_ready)'),
          },
        },
      },
      '/events': {
        post: {
          summary: 'Record events (to the events stream; watches also to recent activity)',
          parameters: parameters('query', emptyQuerySchema),
          requestBody: body(s.eventsBody),
          responses: {
            202: json(eventsAcceptedSchema, 'Durable: in the Redis stream, or fsynced in the local spool while Redis is unavailable (replayed when it returns)'),
            400: error('Invalid body (code invalid_body, invalid_json; unknown_movie or ts_in_future in details)'),
            413: error('Body too large (code payload_too_large)'),
            503: error('Nothing was stored; retry after Retry-After: Redis unavailable and the local spool full (code spool_full) or unwritable (code events_unavailable), or no catalog loaded (code not_ready)'),
          },
        },
      },
      '/titles': {
        post: {
          summary: 'Add a title (starts the addTitle workflow)',
          security: [{ bearer: [] }],
          requestBody: body(titleBodySchema),
          responses: {
            202: json(titleStartedSchema, 'Workflow started'),
            400: error('Invalid body'),
            401: error('No bearer token'),
            403: error('Wrong token'),
            409: error('The title is already in the catalog (code already_exists)'),
            503: error('No title workflow configured (code not_configured) or it could not be started (code unavailable)'),
          },
        },
      },
      '/healthz': { get: { summary: 'Liveness of the process; reports Redis up/down', responses: { 200: json(healthSchema, 'Alive') } } },
      '/readyz': {
        get: {
          summary: 'Ready when a model version is loaded and the warehouse drain is within EVENTS_LAG_READY_MAX of the events stream',
          responses: { 200: json(readySchema, 'Ready'), 503: json(readySchema, 'Not ready (reason no_model or events_lag)') },
        },
      },
      '/metrics': { get: { summary: 'Prometheus metrics (prom-client; includes the default Node process metrics)', responses: { 200: { description: 'text/plain; version=0.0.4', content: { 'text/plain': { schema: { type: 'string' } } } } } } },
      '/openapi.json': { get: { summary: 'This document (generated from the zod schemas; human-readable at /docs)', responses: { 200: { description: 'OpenAPI 3.1', content: { 'application/json': { schema: { type: 'object' } } } } } } },
    },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
  };
}

const SWAGGER_UI_DIR = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

/** Swagger UI's static files from node_modules, pointed at this API's /openapi.json. */
export function docsRouter(): Router {
  const router = express.Router();
  // The package's initializer points at a demo URL; ours reads the document next door.
  router.get('/swagger-initializer.js', (_req, res) => {
    res
      .type('application/javascript')
      .send("window.onload = () => { window.ui = SwaggerUIBundle({ url: new URL('../openapi.json', window.location.href).href, dom_id: '#swagger-ui', deepLinking: true, validatorUrl: null, presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset], layout: 'StandaloneLayout' }); };\n");
  });
  router.use(express.static(SWAGGER_UI_DIR, { index: 'index.html', redirect: true, fallthrough: true }));
  return router;
}

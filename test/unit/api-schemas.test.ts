import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { adminTokenProblem, DEMO_ADMIN_TOKEN, loadConfig } from '../../config';
import { encodeEvent } from '../../api/store';
import { apiOptions, eventsBodySchema, homeFeedQuerySchema, HttpError, parseOr400, titleBodySchema } from '../../api/schemas';

const feedQuery = homeFeedQuerySchema(1000);
const events = eventsBodySchema(500);

function err400(fn: () => unknown): HttpError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(HttpError);
    expect((e as HttpError).status).toBe(400);
    return e as HttpError;
  }
  throw new Error('expected a 400');
}

const watch = { user_id: 'u1', movie_id: 'm1', event_type: 'watch', ts: '2024-06-01T10:00:00Z', watch_seconds: 3000, duration_seconds: 6000 };

describe('home-feed query', () => {
  it('parses limit, offset and comma lists', () => {
    expect(parseOr400(feedQuery, { user_id: 'u-1', limit: '50', offset: '10', exclude: 'm1, m2,,', genres: 'Comedy,Sci-Fi' }, 'query')).toEqual({
      user_id: 'u-1',
      limit: 50,
      offset: 10,
      exclude: ['m1', 'm2'],
      genres: ['Comedy', 'Sci-Fi'],
    });
  });

  it('an unknown parameter is a 400 unknown_parameter naming it', () => {
    const e = err400(() => parseOr400(feedQuery, { user_id: 'u1', limti: '5' }, 'query'));
    expect(e.code).toBe('unknown_parameter');
    expect(e.details[0].path).toBe('limti');
  });

  it('limits outside 1–500, repeated parameters and bad ids are 400 invalid_query', () => {
    for (const q of [{ user_id: 'u1', limit: '0' }, { user_id: 'u1', limit: '501' }, { user_id: 'u1', limit: '5.5' }, { user_id: ['a', 'b'] }, { user_id: 'bad id!' }, { user_id: 'x'.repeat(65) }, {}]) {
      expect(err400(() => parseOr400(feedQuery, q, 'query')).code).toBe('invalid_query');
    }
  });

  it('an offset deeper than FEED_MAX_OFFSET is refused', () => {
    expect(err400(() => parseOr400(feedQuery, { user_id: 'u1', offset: '1001' }, 'query')).code).toBe('invalid_query');
  });
});

describe('events body', () => {
  it('accepts EventRow-like events and normalises ts to ISO UTC', () => {
    const out = parseOr400(events, { events: [{ ...watch, ts: '2024-06-01T12:00:00+02:00' }, { user_id: 'u1', movie_id: 'm2', event_type: 'rating', ts: '2024-06-01T10:00:00Z', rating: 4.5 }] }, 'body');
    expect(out.events[0].ts).toBe('2024-06-01T10:00:00.000Z');
    expect(out.events[1].rating).toBe(4.5);
  });

  it('rejects ratings out of range, ratings on non-rating events and rating events without one', () => {
    for (const e of [
      { ...watch, event_type: 'rating', rating: 0 },
      { ...watch, event_type: 'rating', rating: 5.5 },
      { ...watch, event_type: 'rating', rating: 3.3 },
      { ...watch, event_type: 'rating' },
      { ...watch, rating: 4 },
    ]) {
      expect(err400(() => parseOr400(events, { events: [e] }, 'body')).code).toBe('invalid_body');
    }
  });

  it('rejects unparseable timestamps, negative seconds, unknown types and unknown fields', () => {
    for (const e of [
      { ...watch, ts: 'yesterday' },
      { ...watch, ts: '2024-13-45T99:00:00Z' },
      { ...watch, watch_seconds: -1 },
      { ...watch, duration_seconds: 0 },
      { ...watch, event_type: 'purchase' },
      { ...watch, device: 'tv' },
      { ...watch, user_id: '' },
    ]) {
      expect(err400(() => parseOr400(events, { events: [e] }, 'body')).code).toBe('invalid_body');
    }
  });

  it('needs 1–500 events', () => {
    expect(err400(() => parseOr400(events, { events: [] }, 'body')).code).toBe('invalid_body');
    expect(err400(() => parseOr400(events, { events: Array.from({ length: 501 }, () => watch) }, 'body')).code).toBe('invalid_body');
    expect(err400(() => parseOr400(events, [watch], 'body')).code).toBe('invalid_body');
  });
});

describe('title body', () => {
  it('fills defaults and rejects bad years', () => {
    const t = parseOr400(titleBodySchema, { movie_id: 'm-new', title: 'New', genres: ['Drama'] }, 'body');
    expect(t).toMatchObject({ movie_id: 'm-new', title: 'New', year: null, genres: ['Drama'], tags: [], duration_seconds: null });
    expect(err400(() => parseOr400(titleBodySchema, { movie_id: 'm', title: 'x', year: 1500 }, 'body')).code).toBe('invalid_body');
  });
});

describe('serving knobs', () => {
  it('default when config.ts does not name them, overridable, validated', () => {
    const cfg = loadConfig({});
    expect(apiOptions(cfg).EXPLORATION_BAR).toBe(0.25);
    expect(apiOptions(cfg, { EXPLORATION_BAR: 0.5 }).EXPLORATION_BAR).toBe(0.5);
    expect(() => apiOptions(cfg, { AB_BUCKETS: 0 })).toThrow();
  });
});

describe('event encoding for the stream', () => {
  it('is exactly JSON.stringify of the EventRow, including quotes, unicode and nulls', () => {
    fc.assert(
      fc.property(
        fc.record({
          event_id: fc.string(),
          user_id: fc.string(),
          movie_id: fc.string({ unit: 'binary' }),
          event_type: fc.constantFrom('watch', 'rating', 'search', 'browse', 'impression' as const),
          ts: fc.string(),
          watch_seconds: fc.option(fc.double({ noNaN: true, noDefaultInfinity: true }), { nil: null }),
          duration_seconds: fc.option(fc.integer(), { nil: null }),
          rating: fc.option(fc.double({ min: 0.5, max: 5, noNaN: true }), { nil: null }),
          source: fc.option(fc.string({ unit: 'binary' }), { nil: null }),
        }),
        (e) => encodeEvent(e) === JSON.stringify(e),
      ),
      { numRuns: 2000 },
    );
  });
});

describe('the operator token and the run mode', () => {
  it('production is the default mode, and there the token has no default', () => {
    const cfg = loadConfig({});
    expect(cfg.RECS_ENV).toBe('production');
    expect(cfg.ADMIN_TOKEN).toBeUndefined();
    expect(adminTokenProblem(cfg)).toMatch(/^ADMIN_TOKEN is not set/);
  });
  it('demo and test mode (also NODE_ENV=test) fall back to the public demo token; production refuses it', () => {
    expect(loadConfig({ RECS_ENV: 'demo' }).ADMIN_TOKEN).toBe(DEMO_ADMIN_TOKEN);
    expect(loadConfig({ NODE_ENV: 'test' })).toMatchObject({ RECS_ENV: 'test', ADMIN_TOKEN: DEMO_ADMIN_TOKEN });
    expect(adminTokenProblem(loadConfig({ RECS_ENV: 'demo' }))).toBeNull();
    expect(adminTokenProblem(loadConfig({ ADMIN_TOKEN: DEMO_ADMIN_TOKEN }))).toMatch(/public demo token/);
    expect(adminTokenProblem(loadConfig({ ADMIN_TOKEN: 'a-real-secret-token' }))).toBeNull();
    expect(() => loadConfig({ RECS_ENV: 'staging' })).toThrow(/RECS_ENV/);
  });
});

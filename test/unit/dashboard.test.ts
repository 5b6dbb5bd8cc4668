// The dashboard's pieces without services: run rows → views and charts, the codecs of what the
// worker publishes, the version panel, and the router with nothing published yet (and with Redis
// down) with the app's services faked.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FeedResponse } from '../../api/app';
import { operatorAuth } from '../../api/auth';
import { audienceView, dashboardRouter, historyRows } from '../../api/dashboard';
import type { WithSources } from '../../api/dashboard-data';
import { runCharts, runViews } from '../../api/dashboard-runs';
import { readVersionPanel } from '../../api/dashboard-versions';
import { HttpError } from '../../api/schemas';
import { AUDIENCE_BUCKETS, audienceBucket, dashboardKeys, decodeHistory, decodeHistoryEntry, encodeHistoryEntry } from '../../storage/dashboard-data';

const run = (version: string, created: string, passed: boolean, gate: number, models: Record<string, [number, number, number]>) =>
  Object.entries(models).map(([model, [ndcg, recall, cov]]) => ({
    version, created_at: created, data_as_of: created, cutoff: created, run_model: 'ials', params: '{"factors":16,"epochs":8}',
    gate_passed: passed, gate_reason: passed ? 'ok' : 'does not beat popularity', published: passed, live_version: null,
    gate_ndcg_10: gate, popularity_ndcg_10: 0.1, live_ndcg_10: null, n_users: 10, n_items: 5, model, ndcg_10: ndcg, recall_20: recall, coverage_10: cov,
  }));

describe('model runs', () => {
  const rows = [
    ...run('v20240602T000000Z', '2024-06-02T00:00:00Z', false, 0.09, { candidate: [0.09, 0.2, 0.5], popularity: [0.1, 0.25, 0.02] }),
    ...run('v20240601T000000Z', '2024-06-01T00:00:00Z', true, 0.3, { candidate: [0.2, 0.3, 0.4], ranked: [0.3, 0.35, 0.45], popularity: [0.1, 0.25, 0.02] }),
  ];

  it('one view per run, oldest first, with the numbers of the model the gate judged', () => {
    const v = runViews(rows);
    expect(v.map((r) => r.version)).toEqual(['v20240601T000000Z', 'v20240602T000000Z']);
    expect(v[0].gated_model).toBe('ranked');
    expect(v[0].recall_20).toBe(0.35);
    expect(v[1].gated_model).toBe('candidate');
    expect(v[1].gate_passed).toBe(false);
    expect(v[1].popularity.recall_20).toBe(0.25);
    expect(v[0].params).toEqual({ factors: 16, epochs: 8 });
  });

  it('a run without stored metrics still shows with the gate numbers of model_runs', () => {
    const v = runViews([{ ...rows[0], model: null, ndcg_10: null, recall_20: null, coverage_10: null }]);
    expect(v).toHaveLength(1);
    expect(v[0].ndcg_10).toBe(0.09);
    expect(v[0].recall_20).toBeNull();
  });

  it('three charts, each run marked pass or fail, popularity beside it', () => {
    const charts = runCharts(runViews(rows));
    expect(charts.map((c) => c.id)).toEqual(['ndcg_10', 'recall_20', 'coverage_10']);
    for (const c of charts) {
      expect(c.svg.match(/class="point pass"/g)).toHaveLength(1);
      expect(c.svg.match(/class="point fail"/g)).toHaveLength(1);
      expect(c.svg).toContain('data-series="popularity"');
    }
  });

  it('no runs: charts that say so', () => {
    for (const c of runCharts([])) expect(c.svg).toContain('no model runs yet');
  });
});

describe('what the worker publishes', () => {
  it('a history entry round-trips through its member, and the same event is the same member (a re-landed batch adds nothing)', () => {
    const e = { event_type: 'watch', movie_id: 'm7', watch_seconds: 3000, duration_seconds: 5400, rating: null, source: 'home' };
    const ts = Date.parse('2024-06-01T12:34:56Z');
    const m = encodeHistoryEntry(ts, e);
    expect(decodeHistoryEntry(m)).toEqual({ ts: '2024-06-01T12:34:56Z', ...e });
    expect(encodeHistoryEntry(ts, { ...e })).toBe(m);
    expect(encodeHistoryEntry(ts + 1, e)).not.toBe(m);
    expect(decodeHistoryEntry('not a line')).toBeNull();
    expect(decodeHistoryEntry('[1,2,3]')).toBeNull();
  });

  it('a source with a newline or a unit separator cannot split a history line; a stored history reads newest first up to the limit', () => {
    const ts = Date.parse('2024-06-01T00:00:00Z');
    const odd = encodeHistoryEntry(ts, { event_type: 'search', movie_id: 'm1', watch_seconds: null, duration_seconds: null, rating: null, source: 'a\nb' + String.fromCharCode(31) + 'c' });
    expect(odd).not.toContain('\n');
    expect(decodeHistoryEntry(odd)!.source).toBe('a b c');
    const lines = [2, 1, 0].map((d) => encodeHistoryEntry(ts + d * 1000, { event_type: 'watch', movie_id: `m${d}`, watch_seconds: 1, duration_seconds: 2, rating: null, source: null }));
    expect(decodeHistory(lines.join('\n'), 2).map((e) => e.movie_id)).toEqual(['m2', 'm1']);
    expect(() => encodeHistoryEntry(-1, { event_type: 'watch', movie_id: 'm1', watch_seconds: null, duration_seconds: null, rating: null, source: null })).toThrow(RangeError);
  });

  it('a title always lands in the same audience bucket, and the buckets are all used', () => {
    const ids = Array.from({ length: 2000 }, (_, i) => `m${i}`);
    const buckets = new Set(ids.map(audienceBucket));
    expect(buckets.size).toBe(AUDIENCE_BUCKETS);
    for (const b of buckets) expect(b >= 0 && b < AUDIENCE_BUCKETS).toBe(true);
    expect(dashboardKeys('p').audience('v20240601T000000Z', 'm1')).toBe(`p:dash:aud:v20240601T000000Z:${audienceBucket('m1')}`);
  });

  it('keys refuse ids that are not key-safe', () => {
    expect(() => dashboardKeys('p').history('a b')).toThrow(RangeError);
    expect(() => dashboardKeys('p').audience('not-a-version', 'm1')).toThrow(RangeError);
  });

  it('an audience view says whether nothing is live, nothing was published, or no user has the title', () => {
    expect(audienceView(null, null, 10).note).toMatch(/no live version/);
    expect(audienceView('v1', null, 10).note).toMatch(/no audience published for v1/);
    expect(audienceView('v1', { n: 0, u: [] }, 10)).toEqual({ version: 'v1', size: 0, users: [] });
    const v = audienceView('v1', { n: 3, u: [['u1', 1, 0.9], ['u2', 2, 0.8], ['u3', 5, null]] }, 2);
    expect(v).toEqual({ version: 'v1', size: 3, users: [{ user_id: 'u1', rank: 1, score: 0.9 }, { user_id: 'u2', rank: 2, score: 0.8 }] });
  });

  it('history rows carry no title when the serving snapshot does not know the id', () => {
    expect(historyRows([{ ts: '2024-06-01T00:00:00Z', event_type: 'watch', movie_id: 'm1', watch_seconds: 1, duration_seconds: 2, rating: null, source: null }], null)[0].title).toBeNull();
  });
});

describe('the version panel', () => {
  it('lists the live version first and the others as kept for rollback', async () => {
    const metas: Record<string, Record<string, string>> = {
      v20240602T000000Z: { model: 'ials', data_as_of: '2024-06-02T00:00:00.000Z', n_users: '10', metrics: '{"ndcg_10":0.3}', published_at: '2024-06-02T01:00:00.000Z' },
      v20240601T000000Z: { model: 'ials', data_as_of: '2024-06-01T00:00:00.000Z', n_users: '9' },
    };
    const p = await readVersionPanel({ live: async () => 'v20240602T000000Z', versions: async () => Object.keys(metas), meta: async (v) => metas[v] ?? {} });
    expect(p.live).toBe('v20240602T000000Z');
    expect(p.versions.map((v) => [v.version, v.role])).toEqual([
      ['v20240602T000000Z', 'live'],
      ['v20240601T000000Z', 'rollback'],
    ]);
    expect(p.versions[0].ndcg_10).toBe(0.3);
    expect(p.versions[0].n_users).toBe(10);
  });
});

const OPERATOR = 'unit-operator-token';
let now = Date.parse('2024-06-01T00:00:00Z');
const auth = operatorAuth(OPERATOR, 3600, () => now);
/** fetch as an operator (bearer token). */
const get = (url: string, init: RequestInit = {}) => fetch(url, { ...init, headers: { authorization: `Bearer ${OPERATOR}`, ...init.headers } });

/** Sources over an empty Redis (nothing published), or a Redis that is down. */
const notReady = async (): Promise<never> => {
  throw new HttpError(503, 'not_ready', 'no model version loaded yet');
};

const emptySources = (down: () => boolean): WithSources => async (fn) => {
  if (down()) throw new Error('connect ECONNREFUSED');
  return fn({
    versions: { live: async () => null, versions: async () => [], meta: async () => ({}) },
    published: { runs: async () => null, history: async () => null, audience: async () => null },
  });
};

describe('the dashboard router with nothing published yet', () => {
  let server: Server;
  let base: string;
  let down = false;
  const feed: FeedResponse = { user_id: 'u1', model_version: null, source: 'fallback', variant: 'control', items: [] };
  beforeAll(async () => {
    const app = express();
    app.use(
      '/dashboard',
      dashboardRouter({
        cfg: { REDIS_URL: 'redis://127.0.0.1:1', REDIS_PREFIX: 't', FEED_DEFAULT_LIMIT: 20 },
        state: { snapshot: () => null },
        feed: async (q) => ({ ...feed, user_id: q.user_id }),
        similar: () => {
          throw new HttpError(503, 'not_ready', 'no model version loaded yet');
        },
        homeRows: notReady,
        upNext: notReady,
        withSources: emptySources(() => down),
        auth,
      }),
    );
    app.use((err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      const e = err instanceof HttpError ? err : new HttpError(500, 'internal', String(err));
      if (e.status === 401) res.set('WWW-Authenticate', 'Bearer');
      res.status(e.status).json({ error: { code: e.code, message: e.message } });
    });
    server = createServer(app).listen(0);
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/dashboard`;
  });
  afterAll(() => {
    server?.close();
  });

  it('serves one page whose policy allows nothing but its own inline code and API', async () => {
    const r = await get(base);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/text\/html/);
    const csp = r.headers.get('content-security-policy')!;
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+'/);
    const html = await r.text();
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=/);
  });

  it('runs: empty lists, charts that say there is nothing yet, and a note that says nothing was published', async () => {
    const r = await get(`${base}/api/runs`);
    expect(r.status).toBe(200);
    const d = (await r.json()) as { runs: unknown[]; charts: { svg: string }[]; note: string; error?: unknown };
    expect(d.runs).toEqual([]);
    expect(d.charts).toHaveLength(3);
    for (const c of d.charts) expect(c.svg).toContain('empty');
    expect(d.note).toMatch(/nothing published yet/);
    expect(d.error).toBeUndefined();
  });

  it('Redis down: every panel answers 200 with a message, not a failure', async () => {
    down = true;
    try {
      const v = await get(`${base}/api/versions`);
      expect(v.status).toBe(200);
      const d = (await v.json()) as { live: null; versions: unknown[]; error: string };
      expect(d.versions).toEqual([]);
      expect(d.error).toMatch(/redis unavailable/);
      const runs = (await (await get(`${base}/api/runs`)).json()) as { runs: unknown[]; error: { message: string } };
      expect(runs.error.message).toMatch(/redis unavailable/);
      const user = (await (await get(`${base}/api/users/u1`)).json()) as { history_note: string; feed: FeedResponse };
      expect(user.history_note).toMatch(/redis unavailable/);
      expect(user.feed.source).toBe('fallback');
    } finally {
      down = false;
    }
  });

  it('a user lookup returns the feed and says there is no history yet, nor rows without a model', async () => {
    const d = (await (await get(`${base}/api/users/u1`)).json()) as { history: unknown[]; history_note: string; feed: FeedResponse; rows: null; rows_error: { code: string } };
    expect(d.history).toEqual([]);
    expect(d.history_note).toMatch(/no events held/);
    expect(d.feed.source).toBe('fallback');
    expect(d.rows).toBeNull();
    expect(d.rows_error.code).toBe('not_ready');
  });

  it('up next without a model answers 200 and says why', async () => {
    const r = await get(`${base}/api/users/u1/up-next?movie_id=m1`);
    expect(r.status).toBe(200);
    const d = (await r.json()) as { up_next: null; movie_title: null; error: { code: string } };
    expect(d).toMatchObject({ up_next: null, movie_title: null, error: { code: 'not_ready' } });
  });

  it('a title lookup without a model says why instead of failing', async () => {
    const r = await get(`${base}/api/titles/m1`);
    expect(r.status).toBe(200);
    const d = (await r.json()) as { similar: null; similar_error: { code: string }; audience: { note: string } };
    expect(d.similar_error.code).toBe('not_ready');
    expect(d.audience.note).toMatch(/no live version/);
  });

  it('bad ids and unknown parameters are 400s', async () => {
    expect((await get(`${base}/api/users/${encodeURIComponent('a b')}`)).status).toBe(400);
    expect((await get(`${base}/api/runs?limit=abc`)).status).toBe(400);
    expect((await get(`${base}/api/users/u1?x=1`)).status).toBe(400);
    expect((await get(`${base}/api/users/u1/up-next`)).status).toBe(400);
    expect((await get(`${base}/api/users/u1/up-next?movie_id=${encodeURIComponent('a b')}`)).status).toBe(400);
    expect((await get(`${base}/api/users/u1/up-next?movie_id=m1&limit=3`)).status).toBe(400);
  });
});

describe('the dashboard is for operators only', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    const app = express();
    app.use(
      '/dashboard',
      dashboardRouter({
        cfg: { REDIS_URL: 'redis://127.0.0.1:1', REDIS_PREFIX: 't', FEED_DEFAULT_LIMIT: 20 },
        state: { snapshot: () => null },
        feed: async (q) => ({ user_id: q.user_id, model_version: null, source: 'fallback', variant: 'control', items: [] }),
        similar: () => {
          throw new HttpError(503, 'not_ready', 'no model version loaded yet');
        },
        homeRows: notReady,
        upNext: notReady,
        withSources: emptySources(() => true),
        auth,
      }),
    );
    app.use((err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      const e = err instanceof HttpError ? err : new HttpError(500, 'internal', String(err));
      res.status(e.status).json({ error: { code: e.code, message: e.message } });
    });
    server = createServer(app).listen(0);
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/dashboard`;
  });
  afterAll(() => {
    server?.close();
  });

  it('without the token every route is a 401: the JSON ones with a code, the page as a sign-in form', async () => {
    for (const path of ['/api/runs', '/api/versions', '/api/users/u1', '/api/users/u1/up-next?movie_id=m1', '/api/titles/m1']) {
      const r = await fetch(base + path);
      expect(r.status).toBe(401);
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    }
    const page = await fetch(base, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(401);
    const html = await page.text();
    expect(html).toContain('<form id="login" method="post" action="/dashboard/login">');
    expect(html).not.toContain('runs-charts');
    expect(page.headers.get('content-security-policy')).toMatch(/form-action 'self'/);
  });

  it('a wrong bearer token is a 403; a wrong cookie or a wrong ?token= is a 401', async () => {
    expect((await fetch(`${base}/api/runs`, { headers: { authorization: 'Bearer not-the-token' } })).status).toBe(403);
    expect((await fetch(`${base}/api/runs`, { headers: { cookie: `recs_operator=${now + 60_000}.${'A'.repeat(43)}` } })).status).toBe(401);
    expect((await fetch(`${base}?token=nope`, { redirect: 'manual' })).status).toBe(401);
  });

  it('?token= trades the token for a session cookie and sends the browser to the bare page; the cookie opens every route until it expires', async () => {
    const r = await fetch(`${base}?token=${OPERATOR}`, { redirect: 'manual' });
    expect(r.status).toBe(303);
    expect(r.headers.get('location')).toBe('/dashboard');
    const setCookie = r.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/^recs_operator=\d+\.[A-Za-z0-9_-]{43}; Path=\/dashboard; Max-Age=3600; HttpOnly; SameSite=Strict$/);
    expect(setCookie).not.toContain(OPERATOR);
    const cookie = setCookie.split(';')[0];
    expect((await fetch(base, { headers: { cookie } })).status).toBe(200);
    expect((await fetch(`${base}/api/runs`, { headers: { cookie } })).status).toBe(200);
    now += 3601_000;
    try {
      expect((await fetch(`${base}/api/runs`, { headers: { cookie } })).status).toBe(401);
    } finally {
      now -= 3601_000;
    }
  });

  it('the sign-in form posts the token and gets the cookie; a wrong one gets the form again with 401', async () => {
    const post = (token: string) => fetch(`${base}/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token }).toString() });
    const ok = await post(OPERATOR);
    expect(ok.status).toBe(303);
    expect(ok.headers.get('set-cookie')).toMatch(/^recs_operator=/);
    const bad = await post('wrong-token');
    expect(bad.status).toBe(401);
    expect(bad.headers.get('set-cookie')).toBeNull();
    expect(await bad.text()).toContain('Wrong token.');
  });
});

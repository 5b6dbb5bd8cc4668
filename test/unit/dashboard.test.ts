// The dashboard's pieces without services: run rows → views and charts, the short-lived analytics
// cache, the version panel, and the router over an empty DATA_DIR with the app's services faked.
import { rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FeedResponse } from '../../api/app';
import { operatorAuth } from '../../api/auth';
import { cachedAnalytics, dashboardRouter, readVersionPanel, runCharts, runViews, type AnalyticsDb } from '../../api/dashboard';
import { HttpError } from '../../api/schemas';
import { tempDir } from '../helpers/paths';

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

describe('the analytics reader', () => {
  function fakeOpen() {
    const log = { opened: 0, closed: 0 };
    const open = async () => {
      log.opened++;
      return { views: ['x'], query: async () => ({ rows: [] }), close: () => void log.closed++ } satisfies AnalyticsDb & { close(): void };
    };
    return { log, open };
  }
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('reuses one database for requests within the TTL, and closes it after', async () => {
    const { log, open } = fakeOpen();
    const r = cachedAnalytics('/nowhere', 40, open);
    await r.use(async () => 1);
    await r.use(async () => 2);
    expect(log).toEqual({ opened: 1, closed: 0 });
    await sleep(80);
    expect(log.closed).toBe(1);
    await r.use(async () => 3);
    expect(log.opened).toBe(2);
    r.close();
    await sleep(5);
    expect(log.closed).toBe(2);
  });

  it('never closes a database while a query on it is still running', async () => {
    const { log, open } = fakeOpen();
    const r = cachedAnalytics('/nowhere', 20, open);
    const slow = r.use(async () => {
      await sleep(70);
      return log.closed;
    });
    await sleep(40);
    expect(log.closed).toBe(0);
    expect(await slow).toBe(0);
    await sleep(5);
    expect(log.closed).toBe(1);
  });

  it('does not cache a failed open', async () => {
    let n = 0;
    const r = cachedAnalytics('/nowhere', 1000, async () => {
      if (n++ === 0) throw new Error('disk gone');
      return { views: [], query: async () => ({ rows: [] }), close: () => {} };
    });
    await expect(r.use(async () => 1)).rejects.toThrow('disk gone');
    expect(await r.use(async () => 2)).toBe(2);
    r.close();
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

describe('the dashboard router with no data yet', () => {
  let server: Server;
  let base: string;
  const dataDir = tempDir('dash-empty');
  const feed: FeedResponse = { user_id: 'u1', model_version: null, source: 'fallback', variant: 'control', items: [] };
  beforeAll(async () => {
    const app = express();
    app.use(
      '/dashboard',
      dashboardRouter({
        cfg: { DATA_DIR: dataDir, REDIS_URL: 'redis://127.0.0.1:1', REDIS_PREFIX: 't', FEED_DEFAULT_LIMIT: 20 },
        state: { snapshot: () => null },
        feed: async (q) => ({ ...feed, user_id: q.user_id }),
        similar: () => {
          throw new HttpError(503, 'not_ready', 'no model version loaded yet');
        },
        withVersions: async () => {
          throw new Error('connect ECONNREFUSED');
        },
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
    rmSync(dataDir, { recursive: true, force: true });
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

  it('runs: empty lists and charts that say there is nothing yet', async () => {
    const d = (await (await get(`${base}/api/runs`)).json()) as { runs: unknown[]; charts: { svg: string }[] };
    expect(d.runs).toEqual([]);
    expect(d.charts).toHaveLength(3);
    for (const c of d.charts) expect(c.svg).toContain('empty');
  });

  it('versions: Redis down is a message, not a failure', async () => {
    const r = await get(`${base}/api/versions`);
    expect(r.status).toBe(200);
    const d = (await r.json()) as { live: null; versions: unknown[]; error: string };
    expect(d.versions).toEqual([]);
    expect(d.error).toMatch(/redis unavailable/);
  });

  it('a user lookup returns the feed and says there is no history yet', async () => {
    const d = (await (await get(`${base}/api/users/u1`)).json()) as { history: unknown[]; history_note: string; feed: FeedResponse };
    expect(d.history).toEqual([]);
    expect(d.history_note).toMatch(/no events/);
    expect(d.feed.source).toBe('fallback');
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
  });
});

describe('the dashboard is for operators only', () => {
  let server: Server;
  let base: string;
  const dataDir = tempDir('dash-auth');
  beforeAll(async () => {
    const app = express();
    app.use(
      '/dashboard',
      dashboardRouter({
        cfg: { DATA_DIR: dataDir, REDIS_URL: 'redis://127.0.0.1:1', REDIS_PREFIX: 't', FEED_DEFAULT_LIMIT: 20 },
        state: { snapshot: () => null },
        feed: async (q) => ({ user_id: q.user_id, model_version: null, source: 'fallback', variant: 'control', items: [] }),
        similar: () => {
          throw new HttpError(503, 'not_ready', 'no model version loaded yet');
        },
        withVersions: async () => {
          throw new Error('connect ECONNREFUSED');
        },
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
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('without the token every route is a 401: the JSON ones with a code, the page as a sign-in form', async () => {
    for (const path of ['/api/runs', '/api/versions', '/api/users/u1', '/api/titles/m1']) {
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

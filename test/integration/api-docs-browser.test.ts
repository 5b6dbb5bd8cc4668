// /docs in Debian's headless Chromium: Swagger UI, served from node_modules, renders the
// document the app generates from its zod schemas, and asks nothing of any other host.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type ApiApp } from '../../api/app';
import { apiOptions } from '../../api/schemas';
import { servingRedisOptions } from '../../api/server';
import { RedisFeedStore } from '../../api/store';
import { loadConfig } from '../../config';
import { tempDir } from '../helpers/paths';
import { prerequisite } from '../helpers/prerequisites';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HAVE_CHROMIUM = prerequisite(`Chromium (${CHROMIUM})`, existsSync(CHROMIUM), 'install the Debian package "chromium" (scripts/bootstrap.sh does as root) or set CHROMIUM_PATH.');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const SHOTS = process.env.DASHBOARD_SCREENSHOTS ?? join(tmpdir(), 'recs-dashboard-screenshots');

describe.skipIf(!HAVE_CHROMIUM)('the API reference page in headless Chromium', () => {
  let redis: Redis;
  let app: ApiApp;
  let server: Server;
  let base: string;
  let ctx: BrowserContext;
  let profile: string;

  beforeAll(async () => {
    const cfg = loadConfig({ ...process.env, DATA_DIR: tempDir('docs'), REDIS_PREFIX: `t-docs-${randomBytes(4).toString('hex')}` });
    redis = new Redis(cfg.REDIS_URL, servingRedisOptions(apiOptions(cfg)));
    redis.on('error', () => {});
    const store = new RedisFeedStore(redis, { prefix: cfg.REDIS_PREFIX, circuitOpenMs: 500, subscriber: () => redis.duplicate({ enableOfflineQueue: true, commandTimeout: undefined }) });
    app = createApp({ cfg, store, log: () => {}, fallbackFile: null });
    server = createServer(app.handler).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    profile = mkdtempSync(join(tmpdir(), 'recs-chromium-profile-'));
    ctx = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1280, height: 900 } });
  }, 60_000);

  afterAll(async () => {
    await ctx?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    server?.close();
    await app?.close();
    redis?.disconnect();
  });

  it('/docs renders every documented operation from /openapi.json, with no request to another host', async () => {
    const page = ctx.pages()[0] ?? (await ctx.newPage());
    const foreign: string[] = [];
    const errors: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(base) && !r.url().startsWith('data:')) foreign.push(r.url());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${base}/docs`);
    expect(new URL(page.url()).pathname).toBe('/docs/');
    await page.waitForSelector('.swagger-ui .opblock', { timeout: 20_000 });
    expect(await page.locator('.swagger-ui .info .title').first().textContent()).toContain('movie-recs API');
    const doc = (await (await fetch(`${base}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const operations = Object.values(doc.paths).reduce((n, ops) => n + Object.keys(ops).length, 0);
    expect(await page.locator('.swagger-ui .opblock').count()).toBe(operations);
    expect(await page.locator('.swagger-ui .opblock-summary-path[data-path="/home-feed"]').count()).toBe(1);
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: join(SHOTS, 'api-docs.png'), fullPage: false });
    expect(foreign).toEqual([]);
    expect(errors).toEqual([]);
  });
});

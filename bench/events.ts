// What durability costs POST /events: 202 latency and throughput when batches go to the Redis
// stream (AOF, appendfsync everysec) and when they go to the local spool (fdatasync before the
// 202, group commit), then how fast the spool is replayed when Redis returns. Self-contained: a
// private redis-server on a spare port (the shared one is untouched), a three-title version, the
// API app in-process with its own DATA_DIR.
// Run: npx tsx bench/events.ts [--posts 2000] [--batch 10] [--concurrency 16]. Writes bench/results/events.json.
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { createApp } from '../api/app';
import { apiOptions, type ApiOptions } from '../api/schemas';
import { servingRedisOptions } from '../api/server';
import { RedisFeedStore } from '../api/store';
import { loadConfig } from '../config';
import { encodeF32, keys } from '../storage/redis-keys';
import { freePort, startRedisServer } from '../scripts/redis-server';

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
};
const POSTS = Number(arg('posts', '2000'));
const BATCH = Number(arg('batch', '10'));
const CONCURRENCY = Number(arg('concurrency', '16'));
const VERSION = 'v20260101T000000Z';
const MOVIES = ['m1', 'm2', 'm3'];

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

async function metric(base: string, name: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : NaN;
}

/** POSTS posts of BATCH events, CONCURRENCY in flight: latency of each 202 and events/s overall. */
async function burst(base: string, tag: string) {
  const lat: number[] = [];
  const statuses = new Map<number, number>();
  let next = 0;
  const t0 = performance.now();
  const lane = async () => {
    for (let i = next++; i < POSTS; i = next++) {
      const events = Array.from({ length: BATCH }, (_, j) => ({ event_id: `${tag}-${i}-${j}`, user_id: `u${i % 1000}`, movie_id: MOVIES[j % 3], event_type: 'watch', ts: new Date(Date.UTC(2026, 0, 2) + i * 1000 + j).toISOString(), watch_seconds: 600, duration_seconds: 6000, source: 'bench' }));
      const s = performance.now();
      const r = await fetch(`${base}/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ events }) });
      await r.arrayBuffer();
      lat.push(performance.now() - s);
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
  const seconds = (performance.now() - t0) / 1000;
  const round = (x: number) => Math.round(x * 100) / 100;
  return { posts: POSTS, events: POSTS * BATCH, statuses: Object.fromEntries(statuses), p50_ms: round(quantile(lat, 0.5)), p99_ms: round(quantile(lat, 0.99)), max_ms: round(Math.max(...lat)), events_per_s: Math.round((POSTS * BATCH) / seconds) };
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'recs-bench-events-'));
  const redisDir = join(dir, 'redis');
  mkdirSync(redisDir);
  const port = await freePort();
  let redisProc = await startRedisServer(port, redisDir);
  const url = `redis://127.0.0.1:${port}`;
  const prefix = 'bench-events';
  const seed = new Redis(url);
  const ks = keys(prefix);
  await seed
    .pipeline()
    .hset(ks.versionMeta(VERSION), { created_at: JSON.stringify(new Date().toISOString()), data_as_of: JSON.stringify('2026-01-01T00:00:00.000Z'), k: '2', n_items: '3', n_users: '0', alpha0: '0.1', lambda: '0.01', nu: '1' })
    .set(ks.items(VERSION), JSON.stringify(MOVIES.map((id) => ({ movie_id: id, title: id, genres: ['Drama'], year: 2000, added_at: '2025-01-01T00:00:00.000Z' }))))
    .set(ks.itemFactors(VERSION), encodeF32(Float32Array.from([1, 0, 0.8, 0.2, 0.5, 0.5])))
    .set(ks.lists(VERSION), JSON.stringify({ popular: [0, 1, 2], trending: [2, 1, 0] }))
    .set(ks.live, VERSION)
    .exec();
  seed.disconnect();

  const cfg = loadConfig({ REDIS_URL: url, REDIS_PREFIX: prefix, DATA_DIR: join(dir, 'data'), ADMIN_TOKEN: 'bench-events-token' });
  const options: Partial<ApiOptions> = { SPOOL_REPLAY_MS: 100, REDIS_CIRCUIT_OPEN_MS: 200 };
  const client = new Redis(url, servingRedisOptions(apiOptions(cfg, options)));
  client.on('error', () => {});
  const store = new RedisFeedStore(client, { prefix, circuitOpenMs: 200 });
  const app = createApp({ cfg, store, options, log: () => {} });
  await once(client, 'ready');
  await app.start();
  const server = createServer(app.handler).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    console.log(`${POSTS} posts × ${BATCH} events, ${CONCURRENCY} in flight`);
    await burst(base, 'warm');
    const direct = await burst(base, 'direct');
    console.log(`into the stream (AOF everysec): p50 ${direct.p50_ms} ms, p99 ${direct.p99_ms} ms, max ${direct.max_ms} ms, ${direct.events_per_s.toLocaleString('en')} events/s`, direct.statuses);

    redisProc.kill('SIGKILL');
    await once(redisProc, 'exit');
    const fsyncsBefore = await metric(base, 'recs_events_spool_fsyncs');
    const spooled = await burst(base, 'spooled');
    const fsyncs = (await metric(base, 'recs_events_spool_fsyncs')) - fsyncsBefore;
    const spoolBytes = await metric(base, 'recs_events_spool_bytes');
    console.log(`into the spool (fdatasync before 202): p50 ${spooled.p50_ms} ms, p99 ${spooled.p99_ms} ms, max ${spooled.max_ms} ms, ${spooled.events_per_s.toLocaleString('en')} events/s; ${fsyncs} fsync rounds (${(spooled.posts / fsyncs).toFixed(1)} posts each), ${spoolBytes.toLocaleString('en')} bytes`, spooled.statuses);

    // Watch the spool from the moment Redis is restarted: the API reconnects and replays while
    // the probe here still waits for the AOF to load.
    const t0 = performance.now();
    let firstReplay = -1;
    let empty = -1;
    const watcher = (async () => {
      while (empty < 0) {
        const [replayedNow, bytes] = await Promise.all([metric(base, 'recs_events_spool_replayed'), metric(base, 'recs_events_spool_bytes')]);
        if (firstReplay < 0 && replayedNow > 0) firstReplay = performance.now();
        if (bytes === 0) empty = performance.now();
        else await new Promise((r) => setTimeout(r, 5));
      }
    })();
    redisProc = await startRedisServer(port, redisDir);
    const tUp = performance.now();
    await watcher;
    const sec = (ms: number) => Math.round(ms) / 1000;
    const replayed = {
      events: spooled.events,
      redis_restart_seconds: sec(tUp - t0),
      empty_after_restart_seconds: sec(empty - t0),
      // From the first replayed chunk seen (5 ms polling) to an empty spool: the replay's own pace.
      replay_seconds: sec(empty - firstReplay),
      events_per_s: Math.round(spooled.events / Math.max(0.001, (empty - firstReplay) / 1000)),
    };
    console.log(`spool empty ${replayed.empty_after_restart_seconds} s after Redis was restarted (its AOF load took ${replayed.redis_restart_seconds} s); the replay itself ${replayed.replay_seconds} s, ~${replayed.events_per_s.toLocaleString('en')} events/s`);
    const check = new Redis(url);
    const streamLen = await check.xlen(ks.events);
    check.disconnect();
    console.log(`stream length: ${streamLen.toLocaleString('en')} (warm-up + direct + spooled = ${(3 * POSTS * BATCH).toLocaleString('en')})`);

    const out = {
      script: 'bench/events.ts',
      at: new Date().toISOString(),
      machine: { cores: availableParallelism(), loadavg_1m: loadavg()[0], node: process.version },
      setup: { posts: POSTS, events_per_post: BATCH, concurrency: CONCURRENCY, redis: 'private redis-server, appendonly yes, appendfsync everysec', spool: 'DATA_DIR on the machine temp dir, fdatasync per round' },
      direct,
      spooled: { ...spooled, fsync_rounds: fsyncs, posts_per_fsync: Math.round((spooled.posts / fsyncs) * 10) / 10, spool_bytes: spoolBytes },
      replay: replayed,
      stream_length: streamLen,
    };
    const file = join(dirname(fileURLToPath(import.meta.url)), 'results', 'events.json');
    writeFileSync(file, JSON.stringify(out, null, 2) + '\n');
    console.log(`wrote ${file}`);
  } finally {
    server.close();
    await app.close();
    client.disconnect();
    redisProc.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);

// npx tsx bench/dashboard-memory.ts: Redis memory of what the worker publishes for the dashboard
// (storage/dashboard-data.ts) — a user's bounded history at a few lengths, and a title's audience
// entry — measured with MEMORY USAGE on the Redis at REDIS_URL, under a throwaway prefix that is
// deleted afterwards. Writes bench/results/dashboard-memory.json. The figures size
// DASHBOARD_HISTORY_LENGTH / DASHBOARD_HISTORY_TTL_SECONDS: memory ≈ users with an event landed
// within the TTL × bytes per user.
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { loadConfig } from '../config';
import { dashboardKeys, encodeHistoryEntry, HISTORY_MERGE_LUA, type AudienceEntry } from '../storage/dashboard-data';

const USERS = 2000;
const LENGTHS = [10, 20, 50];
const AUDIENCE_USERS = 50;
const TITLES = 500;
const SOURCES = ['home_feed', 'home_feed:3:personalized:control', 'search', 'up_next'];
const TYPES = ['watch', 'watch', 'watch', 'rating', 'browse'];

/** Deterministic pseudo-random in [0, 1) (mulberry32). */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function main() {
  const cfg = loadConfig();
  const redis = new Redis(cfg.REDIS_URL);
  const prefix = `bench-dash-${process.pid}`;
  const k = dashboardKeys(prefix);
  const rand = rng(7);
  const t0 = Date.parse('2026-01-01T00:00:00Z');
  const history: { length: number; users: number; bytesPerUser: number; bytesPerEntry: number }[] = [];
  try {
    for (const length of LENGTHS) {
      let total = 0;
      for (let u = 0; u < USERS; u++) {
        const key = k.history(`u${length}-${u}`);
        const lines: string[] = [];
        for (let i = 0; i < length; i++) {
          const ts = t0 + Math.floor(rand() * 365 * 86_400_000);
          const type = TYPES[Math.floor(rand() * TYPES.length)];
          const watch = type === 'watch';
          lines.push(encodeHistoryEntry(ts, { event_type: type, movie_id: `m${Math.floor(rand() * 100_000)}`, watch_seconds: watch ? Math.floor(rand() * 7200) : null, duration_seconds: watch ? 5400 : null, rating: type === 'rating' ? Math.ceil(rand() * 10) / 2 : null, source: SOURCES[Math.floor(rand() * SOURCES.length)] }));
        }
        await redis.eval(HISTORY_MERGE_LUA, 1, key, length, 3600, lines.join('\n')); // as the worker writes it
        total += Number(await redis.memory('USAGE', key, 'SAMPLES', 0));
      }
      history.push({ length, users: USERS, bytesPerUser: Math.round(total / USERS), bytesPerEntry: Math.round(total / USERS / length) });
    }
    // One version's audience: TITLES titles of AUDIENCE_USERS users each, spread over the buckets.
    const version = 'v20260101T000000Z';
    const keysUsed = new Set<string>();
    for (let t = 0; t < TITLES; t++) {
      const movieId = `m${t}`;
      const entry: AudienceEntry = { n: 1000 + Math.floor(rand() * 100_000), u: Array.from({ length: AUDIENCE_USERS }, (_, i) => [`u${Math.floor(rand() * 10_000_000)}`, 1 + Math.floor((i * 20) / AUDIENCE_USERS), Math.round(rand() * 1e6) / 1e6]) };
      const key = k.audience(version, movieId);
      keysUsed.add(key);
      await redis.hset(key, movieId, JSON.stringify(entry));
    }
    let audienceBytes = 0;
    for (const key of keysUsed) audienceBytes += Number(await redis.memory('USAGE', key, 'SAMPLES', 0));
    const audience = { titles: TITLES, usersPerTitle: AUDIENCE_USERS, bytesPerTitle: Math.round(audienceBytes / TITLES) };
    const info = await redis.info('server');
    const result = { date: new Date().toISOString(), redis: /redis_version:(\S+)/.exec(info)?.[1], history, audience, loadAverageAtEnd: loadavg() };
    console.log(JSON.stringify(result, null, 2));
    const dir = join(import.meta.dirname ?? __dirname, 'results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'dashboard-memory.json'), JSON.stringify(result, null, 2) + '\n');
  } finally {
    for (let cursor = '0'; ; ) {
      const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (found.length) await redis.del(...found);
      cursor = next;
      if (cursor === '0') break;
    }
    redis.disconnect();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

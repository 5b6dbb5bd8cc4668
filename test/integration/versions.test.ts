// The version registry on a real Redis: a version counts for KEEP_VERSIONS and rollback only once it
// is published; retired versions are expired through their shard key indexes (no SCAN); publish never
// lets older data replace newer.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPublishActivities } from '../../activities/publish';
import { loadConfig } from '../../config';
import { keys } from '../../storage/redis-keys';
import { StaleVersionError, VersionStore, type VersionMeta } from '../../storage/redis-versions';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6389';
const K = 2;

let redis: Redis; // the store's connection (MONITOR filters on it)
let other: Redis; // the test's own reads and cleanup
const prefixes: string[] = [];

beforeAll(() => {
  redis = new Redis(REDIS_URL);
  other = new Redis(REDIS_URL);
});
afterAll(async () => {
  for (const p of prefixes) {
    const found = await other.keys(`${p}:*`);
    for (let i = 0; i < found.length; i += 1000) await other.del(...found.slice(i, i + 1000));
  }
  redis.disconnect();
  other.disconnect();
});

function fresh(ttl = 3600) {
  const prefix = `t-versions-${randomUUID().slice(0, 8)}`;
  prefixes.push(prefix);
  const store = new VersionStore(redis, prefix, ttl);
  const cfg = loadConfig({ ...process.env, REDIS_URL, REDIS_PREFIX: prefix, KEEP_VERSIONS: '2', OLD_VERSION_TTL_SECONDS: '0' });
  // rollbackVersion and the refusal path of publishVersion touch Redis only.
  const acts = createPublishActivities({ cfg, versions: store, redis, wh: null as never });
  return { prefix, store, acts, k: keys(prefix) };
}

const users = (n: number, tag = 'u') => Array.from({ length: n }, (_, i) => `${tag}${i}`);

async function writeVersion(store: VersionStore, version: string, dataAsOf: string, ids: string[], shards = 2, writeShards = shards): Promise<void> {
  const meta: VersionMeta = {
    created_at: new Date().toISOString(), data_as_of: dataAsOf, trained_at: new Date().toISOString(), model: 'ials', k: K, n_items: 3,
    n_users: ids.length, alpha0: 0.1, lambda: 0.02, nu: 1, params: {}, recipe: {}, gate: {}, metrics: {},
  };
  const items = ['a', 'b', 'c'].map((m) => ({ movie_id: m, title: m, genres: [], year: null, added_at: '2024-01-01T00:00:00Z' }));
  await store.writeVersionData(version, meta, items, new Float32Array(3 * K), { popular: [0, 1], trending: [1] });
  const per = Math.ceil(ids.length / shards);
  for (let s = 0; s < writeShards; s++) {
    const rows = ids.slice(s * per, (s + 1) * per).map((userId) => ({ userId, userVec: new Float32Array(K), idx: [0, 1], score: [1, 0.5], n: 2 }));
    await store.writeUserLists(version, s, rows, 200);
  }
}

async function published(store: VersionStore, version: string, dataAsOf: string, ids: string[]): Promise<void> {
  await writeVersion(store, version, dataAsOf, ids);
  await store.publish(version, ids.length);
}

describe('registration', () => {
  it('a run that fails during scoring leaves the registry and rollback\'s default target unchanged', async () => {
    const { store, acts, k } = fresh();
    const ids = users(50);
    await published(store, 'v20240601T000000Z-a', '2024-06-01T00:00:00Z', ids);
    await published(store, 'v20240602T000000Z-b', '2024-06-02T00:00:00Z', ids);
    // The third run wrote its catalog and one shard of two, then died.
    await writeVersion(store, 'v20240603T000000Z-c', '2024-06-03T00:00:00Z', ids, 2, 1);
    expect(await store.versions()).toEqual(['v20240602T000000Z-b', 'v20240601T000000Z-a']);
    expect(await redis.zrange(k.pending, 0, -1)).toEqual(['v20240603T000000Z-c']);
    await expect(store.publish('v20240603T000000Z-c', ids.length)).rejects.toThrow(/25 user lists, expected 50/);
    expect(await store.versions()).toEqual(['v20240602T000000Z-b', 'v20240601T000000Z-a']);
    await expect(acts.rollbackVersion({ toVersion: 'v20240603T000000Z-c' })).rejects.toThrow(/not kept/);
    expect(await acts.rollbackVersion({})).toEqual({ from: 'v20240602T000000Z-b', to: 'v20240601T000000Z-a' });
  });
});

describe('expiry', () => {
  it('versions beyond the rollback window and abandoned runs are unlinked through their key index, without SCAN', async () => {
    const { store, acts, k, prefix } = fresh();
    const ids = users(700); // 2 shards × 2 write batches of ≤ 200 each
    const vs = ['v20240601T000000Z-a', 'v20240602T000000Z-b', 'v20240603T000000Z-c', 'v20240604T000000Z-d'];
    for (const [i, v] of vs.entries()) await published(store, v, `2024-06-0${i + 1}T00:00:00Z`, ids);
    await writeVersion(store, 'v20240605T000000Z-dead', '2024-06-05T00:00:00Z', ids, 2, 1); // a run that never published
    await redis.zadd(k.pending, Date.now() - 2 * 86400_000, 'v20240605T000000Z-dead'); // … two days ago
    const countKeys = async (v: string) => (await other.keys(`${prefix}:v:${v}:*`)).length + (await other.keys(`${prefix}:{ctl}:v:${v}:*`)).length;
    expect(await countKeys('v20240601T000000Z-a')).toBe(700 + 2 + 4); // lists, shard indexes, meta/items/factors/lists

    const addr = String(await redis.client('INFO')).match(/addr=(\S+)/)![1];
    const monitor = await other.duplicate().monitor();
    const commands: string[] = [];
    monitor.on('monitor', (_t: string, args: string[], source: string) => {
      if (source === addr) commands.push(String(args[0]).toLowerCase());
    });
    const retired = await acts.expireOldVersions(); // KEEP_VERSIONS=2, OLD_VERSION_TTL_SECONDS=0, abandoned after a day
    await new Promise((res) => setTimeout(res, 200));
    monitor.disconnect();

    expect(retired.sort()).toEqual(['v20240601T000000Z-a', 'v20240602T000000Z-b', 'v20240605T000000Z-dead']);
    for (const v of retired) expect(await countKeys(v)).toBe(0);
    expect(await countKeys('v20240604T000000Z-d')).toBe(706);
    expect(await countKeys('v20240603T000000Z-c')).toBe(706);
    expect(await store.versions()).toEqual(['v20240604T000000Z-d', 'v20240603T000000Z-c']);
    expect(await redis.zcard(k.pending)).toBe(0);
    expect(await redis.scard(k.expiring)).toBe(0);
    expect(commands.filter((c) => c === 'unlink').length).toBeGreaterThanOrEqual(2 * 700 + 350);
    expect(commands.filter((c) => ['scan', 'keys', 'hscan', 'sscan', 'zscan'].includes(c))).toEqual([]);
  });

  it('with a grace TTL, the retired version\'s lists and index get that TTL instead, and a retry resumes from the expiring set', async () => {
    const { store, k, prefix } = fresh(3600);
    const ids = users(300);
    const vs = ['v20240601T000000Z-a', 'v20240602T000000Z-b'];
    for (const [i, v] of vs.entries()) await published(store, v, `2024-06-0${i + 1}T00:00:00Z`, ids);
    // An earlier attempt took the version out of the registry and died before expiring its keys.
    await redis.multi().zrem(k.versions, vs[0]).sadd(k.expiring, vs[0]).exec();
    expect(await store.expireOldVersions(1, 60)).toEqual([vs[0]]);
    for (const key of [k.userList(vs[0], 'u0'), k.userList(vs[0], 'u299'), k.shardIndex(vs[0], 1), k.versionMeta(vs[0])]) {
      const ttl = await redis.ttl(key);
      expect(ttl, key).toBeGreaterThan(0);
      expect(ttl, key).toBeLessThanOrEqual(60);
    }
    expect(await redis.ttl(k.userList(vs[1], 'u0'))).toBeGreaterThan(60);
    expect(await other.exists(`${prefix}:v:${vs[0]}:u:u0`)).toBe(1);
  });
});

describe('publish order', () => {
  it('older data never replaces newer: the late run is refused (non-retryable) and stays out of the registry; rollback still goes back', async () => {
    const { store, acts, k } = fresh();
    const ids = users(20);
    await published(store, 'v20240601T000000Z-a', '2024-06-01T00:00:00Z', ids);
    // Two retrains: the one on newer data finishes first.
    await writeVersion(store, 'v20240602T000000Z-old', '2024-06-02T00:00:00Z', ids);
    await published(store, 'v20240602T000100Z-new', '2024-06-03T00:00:00Z', ids);
    await expect(store.publish('v20240602T000000Z-old', ids.length)).rejects.toBeInstanceOf(StaleVersionError);
    const err = await acts.publishVersion({ version: 'v20240602T000000Z-old', expectedUsers: ids.length }).catch((e: unknown) => e);
    expect(err).toMatchObject({ type: 'StaleData', nonRetryable: true });
    expect((err as Error).message).toMatch(/data as of 2024-06-02T00:00:00.000Z, older than live v20240602T000100Z-new \(data as of 2024-06-03T00:00:00.000Z\)/);
    expect(await redis.get(k.live)).toBe('v20240602T000100Z-new');
    expect(await store.versions()).toEqual(['v20240602T000100Z-new', 'v20240601T000000Z-a']);

    // Same data again (a retrain with no new events) publishes; an explicit rollback to older data is allowed.
    await published(store, 'v20240603T000000Z-same', '2024-06-03T00:00:00Z', ids);
    expect(await redis.get(k.live)).toBe('v20240603T000000Z-same');
    expect(await acts.rollbackVersion({ toVersion: 'v20240601T000000Z-a' })).toEqual({ from: 'v20240603T000000Z-same', to: 'v20240601T000000Z-a' });
    expect(await redis.get(k.live)).toBe('v20240601T000000Z-a');
  });
});

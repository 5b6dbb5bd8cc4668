// Versioned recommendation lists in Redis: write a whole version beside the live one, verify
// it, flip the `live` pointer atomically, notify API instances, keep K versions for rollback.
import type { Redis } from 'ioredis';
import { assertVersion, encodeF32, encodeUserList, keys, type Keys } from './redis-keys';

export interface VersionMeta {
  created_at: string;
  data_as_of: string;
  trained_at: string;
  model: string;
  k: number;
  n_items: number;
  n_users: number;
  alpha0: number;
  lambda: number;
  nu: number;
  /** The recipe (retrieval params) that produced the version: the gate retrains it as "live". */
  params: object;
  /** The recipe the version ships (activities/types.ts Recipe): the next run reads its light strategy. */
  recipe: object;
  /** The gate's outcome, release action and reason for this version. */
  gate: object;
  /** The shipped list's metrics on the gate holdout (slice all). */
  metrics: object;
}

export interface VersionCatalogItem {
  movie_id: string;
  title: string;
  genres: string[];
  year: number | null;
  added_at: string;
}

export class PublishError extends Error {}

export class VersionStore {
  readonly k: Keys;
  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly listTtlSeconds = 30 * 86400, // USER_LIST_TTL_SECONDS
  ) {
    this.k = keys(prefix);
  }

  async live(): Promise<string | null> {
    return this.redis.get(this.k.live);
  }

  async meta(version: string): Promise<Record<string, string>> {
    return this.redis.hgetall(this.k.versionMeta(version));
  }

  /** Version ids still in Redis, newest first. */
  async versions(): Promise<string[]> {
    return this.redis.zrevrange(this.k.versions, 0, -1);
  }

  /** The version's catalog, item factors and baseline lists; registers the version (not live). */
  async writeVersionData(
    version: string,
    meta: VersionMeta,
    items: VersionCatalogItem[],
    itemFactors: Float32Array, // n_items × k
    lists: { popular: number[]; trending: number[] },
  ): Promise<void> {
    assertVersion(version);
    if (itemFactors.length !== meta.n_items * meta.k) throw new RangeError(`item factors ${itemFactors.length} ≠ ${meta.n_items}×${meta.k}`);
    const fields: Record<string, string> = {};
    for (const [f, v] of Object.entries(meta)) fields[f] = typeof v === 'string' ? v : JSON.stringify(v);
    const ttl = this.listTtlSeconds;
    await execOrThrow(this.redis
      .multi()
      .del(this.k.versionMeta(version))
      .hset(this.k.versionMeta(version), fields)
      .set(this.k.items(version), JSON.stringify(items), 'EX', ttl)
      .set(this.k.itemFactors(version), encodeF32(itemFactors), 'EX', ttl)
      .set(this.k.lists(version), JSON.stringify(lists), 'EX', ttl)
      .expire(this.k.versionMeta(version), ttl)
      .zadd(this.k.versions, Date.now(), version));
  }

  /**
   * Write one shard's user lists (idempotent: same keys, same values) and record the shard's
   * count in the version's meta, so verification sums shards without scanning keys.
   */
  async writeUserLists(
    version: string,
    shard: number,
    rows: Iterable<{ userId: string; userVec: Float32Array; idx: ArrayLike<number>; score: ArrayLike<number>; n: number }> | AsyncIterable<{ userId: string; userVec: Float32Array; idx: ArrayLike<number>; score: ArrayLike<number>; n: number }>,
    batch = 500,
  ): Promise<number> {
    let pipe = this.redis.pipeline();
    let pending = 0;
    let written = 0;
    for await (const r of rows) {
      pipe.set(this.k.userList(version, r.userId), encodeUserList(r.userVec, r.idx, r.score, r.n), 'EX', this.listTtlSeconds);
      pending++;
      if (pending >= batch) {
        await execOrThrow(pipe);
        written += pending;
        pending = 0;
        pipe = this.redis.pipeline();
      }
    }
    if (pending) await execOrThrow(pipe);
    written += pending;
    await this.redis.hset(this.k.versionMeta(version), `shard:${shard}`, String(written));
    return written;
  }

  /** Sum of the shard counts recorded by writeUserLists. */
  async writtenUsers(version: string): Promise<number> {
    const m = await this.meta(version);
    let total = 0;
    for (const [f, v] of Object.entries(m)) if (f.startsWith('shard:')) total += Number(v);
    return total;
  }

  /**
   * Verify the version is complete, then flip `live` to it and notify. The flip is one MULTI:
   * readers see either the old or the new pointer, never a half-written version.
   */
  async publish(version: string, expectedUsers: number, kind: 'publish' | 'rollback' = 'publish'): Promise<{ previous: string | null }> {
    assertVersion(version);
    const m = await this.meta(version);
    if (!m.n_items) throw new PublishError(`version ${version} has no data in Redis`);
    const written = await this.writtenUsers(version);
    if (written !== expectedUsers) throw new PublishError(`version ${version} has ${written} user lists, expected ${expectedUsers}`);
    const sample = await this.redis.exists(this.k.items(version), this.k.itemFactors(version), this.k.lists(version));
    if (sample !== 3) throw new PublishError(`version ${version} is missing catalog, factors or lists (expired?)`);
    const previous = await this.live();
    const now = new Date().toISOString();
    await execOrThrow(this.redis
      .multi()
      .set(this.k.live, version)
      .hset(this.k.versionMeta(version), kind === 'publish' ? 'published_at' : 'rolled_back_to_at', now)
      .publish(this.k.channel, JSON.stringify({ type: kind, version, previous })));
    return { previous };
  }

  /**
   * Keep the live version and the newest `keep` versions; older ones get a short TTL on every
   * key (SCAN in batches, so it never blocks Redis) and leave the versions set.
   */
  async expireOldVersions(keep: number, ttlSeconds: number): Promise<string[]> {
    const live = await this.live();
    const all = await this.versions();
    const kept = new Set(all.slice(0, keep));
    if (live) kept.add(live);
    const old = all.filter((v) => !kept.has(v));
    for (const v of old) {
      const match = `${this.k.versionMeta(v).slice(0, -'meta'.length)}*`;
      let cursor = '0';
      do {
        const [next, found] = await this.redis.scan(cursor, 'MATCH', match, 'COUNT', 1000);
        cursor = next;
        if (found.length) {
          const p = this.redis.pipeline();
          for (const key of found) p.expire(key, ttlSeconds);
          await execOrThrow(p);
        }
      } while (cursor !== '0');
      await this.redis.zrem(this.k.versions, v);
    }
    return old;
  }
}

async function execOrThrow(p: ReturnType<Redis['pipeline']> | ReturnType<Redis['multi']>): Promise<void> {
  const res = await p.exec();
  for (const [err] of res ?? []) if (err) throw err;
}

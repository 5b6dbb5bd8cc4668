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

  /**
   * The version's catalog, item factors and baseline lists. The version is only *pending*: it enters
   * the registry (KEEP_VERSIONS, rollback targets) when publish has verified it.
   */
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
      .zadd(this.k.pending, 'NX', Date.now(), version));
  }

  /**
   * Write one shard's user lists (idempotent: same keys, same values) and record the shard's
   * count in the version's meta, so verification sums shards without scanning keys. Each batch's
   * user ids go to the shard's key index first, so expiry finds every list without SCAN.
   */
  async writeUserLists(
    version: string,
    shard: number,
    rows: Iterable<{ userId: string; userVec: Float32Array; idx: ArrayLike<number>; score: ArrayLike<number>; n: number }> | AsyncIterable<{ userId: string; userVec: Float32Array; idx: ArrayLike<number>; score: ArrayLike<number>; n: number }>,
    batch = 500,
  ): Promise<number> {
    const ttl = this.listTtlSeconds;
    const ix = this.k.shardIndex(version, shard);
    await this.redis.hset(this.k.versionMeta(version), `ix:${shard}`, '1');
    let written = 0;
    let buf: { userId: string; userVec: Float32Array; idx: ArrayLike<number>; score: ArrayLike<number>; n: number }[] = [];
    const flush = async () => {
      if (!buf.length) return;
      const pipe = this.redis.pipeline();
      pipe.hset(ix, buf[0].userId, buf.map((r) => r.userId).join(' ')).expire(ix, ttl);
      for (const r of buf) pipe.set(this.k.userList(version, r.userId), encodeUserList(r.userVec, r.idx, r.score, r.n), 'EX', ttl);
      await execOrThrow(pipe);
      written += buf.length;
      buf = [];
    };
    for await (const r of rows) {
      buf.push(r);
      if (buf.length >= batch) await flush();
    }
    await flush();
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
   * readers see either the old or the new pointer, never a half-written version. A publish (not a
   * rollback) registers the version in the same MULTI, and refuses data older than live's: two runs
   * finishing out of order cannot let the older data win (rollback is the explicit way back).
   */
  async publish(version: string, expectedUsers: number, kind: 'publish' | 'rollback' = 'publish'): Promise<{ previous: string | null }> {
    assertVersion(version);
    const m = await this.meta(version);
    if (!m.n_items) throw new PublishError(`version ${version} has no data in Redis`);
    const written = await this.writtenUsers(version);
    if (written !== expectedUsers) throw new PublishError(`version ${version} has ${written} user lists, expected ${expectedUsers}`);
    const sample = await this.redis.exists(this.k.items(version), this.k.itemFactors(version), this.k.lists(version));
    if (sample !== 3) throw new PublishError(`version ${version} is missing catalog, factors or lists (expired?)`);
    // WATCH needs a connection of its own: the shared one carries other activities' commands.
    const tx = this.redis.duplicate();
    try {
      for (let attempt = 0; attempt < 10; attempt++) {
        await tx.watch(this.k.live);
        const previous = await tx.get(this.k.live);
        if (kind === 'publish' && previous && previous !== version) {
          const ours = metaDate(m.data_as_of);
          const theirs = metaDate((await tx.hget(this.k.versionMeta(previous), 'data_as_of')) ?? undefined);
          if (ours !== null && theirs !== null && ours < theirs) {
            await tx.unwatch();
            throw new StaleVersionError(`version ${version} has data as of ${new Date(ours).toISOString()}, older than live ${previous} (data as of ${new Date(theirs).toISOString()}): not published; roll back explicitly to serve older data`);
          }
        }
        const now = new Date();
        const multi = tx.multi().set(this.k.live, version).hset(this.k.versionMeta(version), kind === 'publish' ? 'published_at' : 'rolled_back_to_at', now.toISOString());
        if (kind === 'publish') multi.zadd(this.k.versions, 'NX', now.getTime(), version).zrem(this.k.pending, version);
        const res = await multi.publish(this.k.channel, JSON.stringify({ type: kind, version, previous })).exec();
        if (res === null) continue; // live moved under us: check again
        for (const [err] of res) if (err) throw err;
        return { previous };
      }
      throw new Error(`publish ${version}: live kept changing during 10 attempts`);
    } finally {
      tx.disconnect();
    }
  }

  /**
   * Retire versions: every published version beyond the live one and the newest `keep`, and every
   * pending version older than `abandonedAfterSeconds` (a run that never published). They leave the
   * registry first (so rollback cannot pick a version being removed), then their keys are expired
   * through the shard key indexes in batches — no SCAN of the keyspace, so the work is bounded by the
   * retired versions' own keys. `ttlSeconds` 0 unlinks at once; otherwise keys get that TTL.
   * An interrupted run resumes from the `expiring` set.
   */
  async expireOldVersions(
    keep: number,
    ttlSeconds: number,
    opts: { abandonedAfterSeconds?: number; /** shard-index fields (write batches of ≤ 500 user ids) per round trip */ batch?: number; onProgress?: (p: ExpiryProgress) => void } = {},
  ): Promise<string[]> {
    const live = await this.live();
    const all = await this.versions();
    const kept = new Set(all.slice(0, keep));
    if (live) kept.add(live);
    const old = all.filter((v) => !kept.has(v));
    const abandonedBefore = Date.now() - 1000 * (opts.abandonedAfterSeconds ?? Number.POSITIVE_INFINITY);
    const abandoned = Number.isFinite(abandonedBefore)
      ? (await this.redis.zrangebyscore(this.k.pending, '-inf', `(${abandonedBefore}`)).filter((v) => v !== live)
      : [];
    const retire = [...old, ...abandoned];
    if (retire.length) {
      const tx = this.redis.multi().sadd(this.k.expiring, ...retire);
      if (old.length) tx.zrem(this.k.versions, ...old);
      if (abandoned.length) tx.zrem(this.k.pending, ...abandoned);
      await execOrThrow(tx);
    }
    const expiring = await this.redis.smembers(this.k.expiring);
    for (const v of expiring) {
      await this.expireVersion(v, ttlSeconds, opts.batch ?? 4, opts.onProgress);
      await this.redis.srem(this.k.expiring, v);
    }
    return expiring;
  }

  /** Expire (or unlink) one version's keys: its user lists via the shard indexes, then the indexes and the version's own keys. */
  private async expireVersion(version: string, ttlSeconds: number, batch: number, onProgress?: (p: ExpiryProgress) => void): Promise<void> {
    const drop = (p: ReturnType<Redis['pipeline']>, key: string) => (ttlSeconds > 0 ? p.expire(key, ttlSeconds) : p.unlink(key));
    const shards = Object.keys(await this.meta(version)).filter((f) => f.startsWith('ix:')).map((f) => Number(f.slice(3))).sort((a, b) => a - b);
    let keysDone = 0;
    for (const shard of shards) {
      const ix = this.k.shardIndex(version, shard);
      const fields = await this.redis.hkeys(ix);
      for (let i = 0; i < fields.length; i += batch) {
        // A few index fields (each one write batch of user ids) per round trip of EXPIRE/UNLINK.
        const values = await this.redis.hmget(ix, ...fields.slice(i, i + batch));
        const ids = values.flatMap((s) => (s ? s.split(' ') : []));
        const p = this.redis.pipeline();
        for (const id of ids) drop(p, this.k.userList(version, id));
        await execOrThrow(p);
        keysDone += ids.length;
        onProgress?.({ version, shard, shards: shards.length, keys: keysDone });
      }
      const p = this.redis.pipeline();
      drop(p, ix);
      await execOrThrow(p);
    }
    const p = this.redis.pipeline();
    for (const key of [this.k.items(version), this.k.itemFactors(version), this.k.lists(version), this.k.versionMeta(version)]) drop(p, key);
    await execOrThrow(p);
    onProgress?.({ version, shard: null, shards: shards.length, keys: keysDone });
  }
}

export interface ExpiryProgress {
  version: string;
  /** The shard being expired; null once the version's own keys are done. */
  shard: number | null;
  shards: number;
  /** User-list keys expired so far in this version. */
  keys: number;
}

/** Publish refused: the version's data is older than the live version's. */
export class StaleVersionError extends PublishError {}

function metaDate(v: string | undefined): number | null {
  if (!v) return null;
  let s = v;
  try {
    const j: unknown = JSON.parse(v);
    if (typeof j === 'string') s = j;
  } catch {
    // stored raw
  }
  const t = Date.parse(s);
  return Number.isFinite(t) ? t : null;
}

async function execOrThrow(p: ReturnType<Redis['pipeline']> | ReturnType<Redis['multi']>): Promise<void> {
  const res = await p.exec();
  for (const [err] of res ?? []) if (err) throw err;
}

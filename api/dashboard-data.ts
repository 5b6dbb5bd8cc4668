// Where the dashboard's numbers come from: Redis only. The version registry the publish step
// writes, and the runs, per-user histories and per-title audiences the warehouse worker publishes
// for it (storage/dashboard-data.ts). The dashboard is rarely open, so each request opens a
// short-lived connection with tight timeouts instead of sharing the feed's.
import { Redis } from 'ioredis';
import type { Config } from '../config';
import { dashboardKeys, decodeHistory, type AudienceEntry, type HistoryEntry, type PublishedRuns } from '../storage/dashboard-data';
import { VersionStore } from '../storage/redis-versions';
import type { VersionReader } from './dashboard-versions';

/** What the worker published for the dashboard. */
export interface PublishedReader {
  /** The run rows of the last evaluation or publish; null when nothing was published yet. */
  runs(): Promise<PublishedRuns | null>;
  /** The user's newest `limit` interactions, newest first; null when none is held for them. */
  history(userId: string, limit: number): Promise<HistoryEntry[] | null>;
  /**
   * The title's predicted audience in `version`: `null` when the version's audience was never
   * published, an empty audience when it was and no user's top 20 holds the title.
   */
  audience(version: string, movieId: string): Promise<AudienceEntry | null>;
}

export interface DashboardSources {
  versions: VersionReader;
  published: PublishedReader;
}

/** Runs `fn` with the dashboard's readers over one connection. */
export type WithSources = <T>(fn: (s: DashboardSources) => Promise<T>) => Promise<T>;

export class RedisPublishedReader implements PublishedReader {
  private readonly k: ReturnType<typeof dashboardKeys>;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.k = dashboardKeys(prefix);
  }

  async runs(): Promise<PublishedRuns | null> {
    const raw = await this.redis.get(this.k.runs);
    if (raw === null) return null;
    const v = JSON.parse(raw) as PublishedRuns;
    return Array.isArray(v?.rows) ? v : null;
  }

  async history(userId: string, limit: number): Promise<HistoryEntry[] | null> {
    const value = await this.redis.get(this.k.history(userId));
    return value === null ? null : decodeHistory(value, limit);
  }

  async audience(version: string, movieId: string): Promise<AudienceEntry | null> {
    const [done, raw] = await Promise.all([this.redis.get(this.k.audienceDone(version)), this.redis.hget(this.k.audience(version, movieId), movieId)]);
    if (done === null) return null;
    return raw === null ? { n: 0, u: [] } : (JSON.parse(raw) as AudienceEntry);
  }
}

/** A connection opened for the request and closed after it; fails fast while Redis is down. */
export function shortLivedSources(cfg: Pick<Config, 'REDIS_URL' | 'REDIS_PREFIX'>, timeoutMs: number): WithSources {
  return async <T>(fn: (s: DashboardSources) => Promise<T>): Promise<T> => {
    const redis = new Redis(cfg.REDIS_URL, { lazyConnect: true, connectTimeout: timeoutMs, commandTimeout: timeoutMs, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
    redis.on('error', () => {});
    try {
      await redis.connect();
      return await fn({ versions: new VersionStore(redis, cfg.REDIS_PREFIX), published: new RedisPublishedReader(redis, cfg.REDIS_PREFIX) });
    } finally {
      redis.disconnect();
    }
  };
}

// The API's only view of Redis: a small reader/writer interface (FeedStore) and its ioredis
// implementation. Every call goes through a circuit so that, while Redis is down or hung, a
// request fails in microseconds (and the feed falls back) instead of waiting for a timeout.
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Socket } from 'node:net';
import type { EventRow } from '../model/types';
import { EVENTS_GROUP, keys as keySchema, type Keys } from '../storage/redis-keys';
import { Circuit } from './circuit';
import { encodeEvent, isEncoded, type AppendOptions, type EncodedEvents } from './event-encoding';
import type { ExplorationStore } from './exploration';

// The circuit, the event encoding and the buffered writer live in their own files; importers
// know them by this module too.
export { Circuit, StoreUnavailableError } from './circuit';
export { encodeEvent, isEncoded, type AppendOptions, type EncodedEvents } from './event-encoding';
export { BufferedEventWriter } from './event-writer';

/** What one home-feed request needs from Redis, read in one pipelined round trip. */
export interface FeedRead {
  /** The live pointer now (may differ from the version the request was served with). */
  live: string | null;
  /** The user's encoded list in the requested version (storage/redis-keys.ts codec), or null. */
  list: Buffer | null;
  /** Watches newer than `sinceMs`: movie_id → ts ms. */
  recent: Map<string, number>;
}

/** Everything the pipeline wrote for one version, raw. */
export interface VersionBlob {
  meta: Record<string, string>;
  items: string | null; // JSON
  itemFactors: Buffer | null; // Float32 LE, nItems × k
  lists: string | null; // JSON
}

/** The warehouse group's backlog on the events stream. */
export interface StreamLag {
  /** Entries never delivered to the group (XINFO GROUPS `lag`; the stream length when Redis cannot tell). */
  undelivered: number;
  /** Entries delivered and not yet acknowledged. */
  pending: number;
}

export interface FeedStore extends ExplorationStore {
  /** GET live, GET userList(version, user), ZRANGEBYSCORE recent (sinceMs, +inf]: one pipeline. */
  readFeed(version: string, userId: string, sinceMs: number): Promise<FeedRead>;
  readLive(): Promise<string | null>;
  readVersion(version: string): Promise<VersionBlob>;
  /** The fresh-title hash: movie_id → JSON. */
  readFresh(): Promise<Record<string, string>>;
  /**
   * XADD each event to the stream; ZADD watches to the users' recent sets (trimmed, TTL). One
   * pipeline. An EncodedEvents chunk holds events already encoded (stream only: impressions).
   */
  appendEvents(events: ReadonlyArray<EventRow | EncodedEvents>, opts: AppendOptions): Promise<void>;
  /**
   * Replay lines [from, to) of a spool segment (api/spool.ts) into the stream — only when the
   * segment's recorded offset is `from` — and record `to`, in one script; the watches among them
   * also go to the recent sets. Returns the recorded offset afterwards.
   */
  appendSpooled(segment: string, from: number, to: number, lines: string[], opts: AppendOptions): Promise<number>;
  /** The recorded replay offset of a spool segment (0 when none). */
  spoolOffset(segment: string): Promise<number>;
  forgetSpool(segment: string): Promise<void>;
  /** Create the warehouse consumer group at the start of the stream if it does not exist. */
  ensureEventsGroup(): Promise<void>;
  /** The warehouse group's backlog; null when the group does not exist. */
  eventsLag(): Promise<StreamLag | null>;
  /** True when Redis answered PING within the command timeout. */
  ping(): Promise<boolean>;
  /** Subscribe to the notify channel; resolves to an unsubscribe function. */
  subscribe(onMessage: (message: string) => void): Promise<() => Promise<void>>;
  /** True when the circuit is open (Redis recently failed); callers may skip straight to a fallback. */
  isDegraded(): boolean;
}

type PipelineResult = [Error | null, unknown][] | null;

function check(results: PipelineResult): unknown[] {
  if (!results) throw new Error('pipeline returned nothing');
  return results.map(([err, v]) => {
    if (err) throw err;
    return v;
  });
}

export interface RedisFeedStoreOptions {
  prefix: string;
  circuitOpenMs: number;
  /** Builds the subscriber connection (a duplicate of the main client). */
  subscriber?: () => Redis;
  /** Connection for big reads (a version's catalog and factors, tens of MB) with a longer timeout. */
  bulk?: Redis;
}

const NEWLINE = Buffer.from('\n');

/**
 * XADD KEYS[1] * e <json> for each newline-separated JSON in ARGV[1] (encoded JSON never holds a
 * raw newline); returns the number added. One argument per batch keeps the client from building a
 * protocol frame per event. No MAXLEN: only the drain trims, below what its group acknowledged.
 */
export const XADD_EVENTS_LUA = `local blob, from, n = ARGV[1], 1, 0
while from <= #blob do
  local to = string.find(blob, '\\n', from, true) or (#blob + 1)
  redis.call('XADD', KEYS[1], '*', 'e', string.sub(blob, from, to - 1))
  n = n + 1
  from = to + 1
end
return n`;

/**
 * A spool segment's chunk, exactly once: KEYS[1] the stream, KEYS[2] the segment's offset key;
 * ARGV[1] from, ARGV[2] to, ARGV[3] offset TTL (s), ARGV[4] newline-separated JSON. When the
 * recorded offset is not `from` (another replay got there first) nothing is written. Returns the
 * recorded offset afterwards.
 */
export const XADD_SPOOLED_LUA = `local at = tonumber(redis.call('GET', KEYS[2]) or '0')
if at ~= tonumber(ARGV[1]) then return at end
local blob, from = ARGV[4], 1
while from <= #blob do
  local to = string.find(blob, '\\n', from, true) or (#blob + 1)
  redis.call('XADD', KEYS[1], '*', 'e', string.sub(blob, from, to - 1))
  from = to + 1
end
redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3])
return tonumber(ARGV[2])`;

/** How long a spool segment's replay offset outlives its last chunk (the segment is deleted right after). */
const SPOOL_OFFSET_TTL_SECONDS = 7 * 24 * 3600;

export class RedisFeedStore implements FeedStore {
  readonly keys: Keys;
  /** Guards the serving reads; its state is what isDegraded() reports. */
  readonly circuit: Circuit;
  /** Guards background writes and syncs, so a slow batch write never sends feeds to the fallback. */
  readonly backgroundCircuit: Circuit;
  private readonly xaddSha = createHash('sha1').update(XADD_EVENTS_LUA).digest('hex');

  constructor(
    private readonly redis: Redis,
    private readonly opts: RedisFeedStoreOptions,
  ) {
    this.keys = keySchema(opts.prefix);
    this.circuit = new Circuit(opts.circuitOpenMs, () => redis.status === 'ready');
    this.backgroundCircuit = new Circuit(opts.circuitOpenMs, () => redis.status === 'ready');
  }

  private corked: Socket | null = null;

  /**
   * Hold this event-loop turn's commands in the socket and write them together once the turn's
   * I/O callbacks have run (setImmediate): every feed read of the turn shares one write syscall
   * (each cost ~30 µs here) and one round trip, as ioredis' auto-pipelining would, without its
   * Pipeline objects, which under load outlived scavenges (~1 MB promoted per scavenge at
   * 2 000 feeds/s: the feed's GC tail; docs/decisions.md). Replies still match commands in order.
   */
  private batchWrites(): void {
    if (this.corked) return;
    const stream = this.redis.stream;
    if (!stream) return;
    stream.cork();
    this.corked = stream;
    setImmediate(() => {
      this.corked = null;
      stream.uncork();
    });
  }

  isDegraded(): boolean {
    return this.circuit.isOpen();
  }

  readFeed(version: string, userId: string, sinceMs: number): Promise<FeedRead> {
    return this.circuit.run('readFeed', async () => {
      const listKey = this.keys.userList(version, userId);
      const recentKey = this.keys.recent(userId);
      this.batchWrites();
      const [live, list, flat] = await Promise.all([this.redis.get(this.keys.live), this.redis.getBuffer(listKey), this.redis.zrangebyscore(recentKey, `(${sinceMs}`, '+inf', 'WITHSCORES')]);
      const recent = new Map<string, number>();
      for (let i = 0; i + 1 < flat.length; i += 2) recent.set(flat[i], Number(flat[i + 1]));
      return { live, list, recent };
    });
  }

  readLive(): Promise<string | null> {
    return this.circuit.run('readLive', () => this.redis.get(this.keys.live));
  }

  readVersion(version: string): Promise<VersionBlob> {
    return this.circuit.run('readVersion', async () => {
      const [meta, items, itemFactors, lists] = check(
        await (this.opts.bulk ?? this.redis)
          .pipeline()
          .hgetall(this.keys.versionMeta(version))
          .get(this.keys.items(version))
          .getBuffer(this.keys.itemFactors(version))
          .get(this.keys.lists(version))
          .exec(),
      ) as [Record<string, string>, string | null, Buffer | null, string | null];
      return { meta, items, itemFactors, lists };
    });
  }

  readFresh(): Promise<Record<string, string>> {
    return this.circuit.run('readFresh', () => this.redis.hgetall(this.keys.fresh));
  }

  appendEvents(events: ReadonlyArray<EventRow | EncodedEvents>, opts: AppendOptions): Promise<void> {
    if (events.length === 0) return Promise.resolve();
    return this.backgroundCircuit.run('appendEvents', async () => {
      const p = this.redis.pipeline();
      // One script call runs `XADD events MAXLEN ~ n * e <json>` per event (the stream contract),
      // instead of one client command (object, promise, timeout timer) per event.
      const parts: Buffer[] = [];
      for (const e of events) {
        if (parts.length > 0) parts.push(NEWLINE);
        parts.push(isEncoded(e) ? e.data : Buffer.from(encodeEvent(e)));
      }
      const blob = Buffer.concat(parts);
      p.evalsha(this.xaddSha, 1, this.keys.events, blob);
      this.addRecent(p, events.filter((e): e is EventRow => !isEncoded(e)), opts);
      const results = await p.exec();
      if (results?.[0]?.[0] && /NOSCRIPT/.test(results[0][0].message)) {
        // Script cache empty (Redis restarted): load it and write the events (the rest succeeded).
        await this.redis.script('LOAD', XADD_EVENTS_LUA);
        await this.redis.evalsha(this.xaddSha, 1, this.keys.events, blob);
        check(results.slice(1) as PipelineResult);
        return;
      }
      check(results);
    });
  }

  /** ZADD the watches among `events` to their users' recent sets (trimmed, TTL refreshed). */
  private addRecent(p: ReturnType<Redis['pipeline']>, events: ReadonlyArray<EventRow>, opts: AppendOptions): void {
    const touched = new Set<string>();
    for (const e of events) {
      if (e.event_type !== 'watch') continue;
      const key = this.keys.recent(e.user_id);
      // GT: a late-arriving older watch never moves a newer one back in time.
      p.zadd(key, 'GT', Date.parse(e.ts), e.movie_id);
      touched.add(key);
    }
    for (const key of touched) {
      p.zremrangebyrank(key, 0, -(opts.recentMax + 1));
      p.expire(key, opts.recentTtlSeconds);
    }
  }

  appendSpooled(segment: string, from: number, to: number, lines: string[], opts: AppendOptions): Promise<number> {
    return this.backgroundCircuit.run('appendSpooled', async () => {
      const p = this.redis.pipeline();
      p.eval(XADD_SPOOLED_LUA, 2, this.keys.events, this.keys.spoolOffset(segment), from, to, SPOOL_OFFSET_TTL_SECONDS, lines.join('\n'));
      const rows: EventRow[] = [];
      for (const line of lines) {
        const e = JSON.parse(line) as EventRow;
        if (e.event_type === 'watch' && typeof e.user_id === 'string' && typeof e.movie_id === 'string') rows.push(e);
      }
      this.addRecent(p, rows, opts); // idempotent (ZADD GT): harmless when the chunk was already replayed
      const [at] = check(await p.exec());
      return Number(at);
    });
  }

  spoolOffset(segment: string): Promise<number> {
    return this.backgroundCircuit.run('spoolOffset', async () => Number((await this.redis.get(this.keys.spoolOffset(segment))) ?? 0));
  }

  forgetSpool(segment: string): Promise<void> {
    return this.backgroundCircuit.run('forgetSpool', async () => void (await this.redis.del(this.keys.spoolOffset(segment))));
  }

  ensureEventsGroup(): Promise<void> {
    return this.backgroundCircuit.run('ensureEventsGroup', async () => {
      try {
        await this.redis.call('XGROUP', 'CREATE', this.keys.events, EVENTS_GROUP, '0', 'MKSTREAM');
      } catch (e) {
        if (!(e instanceof Error && e.message.startsWith('BUSYGROUP'))) throw e;
      }
    });
  }

  eventsLag(): Promise<StreamLag | null> {
    return this.backgroundCircuit.run('eventsLag', async () => {
      let groups: unknown[][];
      try {
        groups = (await this.redis.call('XINFO', 'GROUPS', this.keys.events)) as unknown[][];
      } catch (e) {
        if (e instanceof Error && /no such key/i.test(e.message)) return null;
        throw e;
      }
      for (const flat of groups) {
        const g: Record<string, unknown> = {};
        for (let i = 0; i + 1 < flat.length; i += 2) g[String(flat[i])] = flat[i + 1];
        if (g.name !== EVENTS_GROUP) continue;
        // `lag` is null when Redis cannot compute it (entries deleted mid-stream): the length bounds it.
        const undelivered = g.lag === null || g.lag === undefined ? Number(await this.redis.xlen(this.keys.events)) : Number(g.lag);
        return { undelivered, pending: Number(g.pending ?? 0) };
      }
      return null;
    });
  }

  syncExploration(deltas: Map<string, number>): Promise<Record<string, string>> {
    return this.backgroundCircuit.run('syncExploration', async () => {
      const p = this.redis.pipeline();
      for (const [field, d] of deltas) p.hincrby(this.keys.exploration, field, d);
      p.hgetall(this.keys.exploration);
      const out = check(await p.exec());
      return out[out.length - 1] as Record<string, string>;
    });
  }

  async ping(): Promise<boolean> {
    try {
      return (await this.circuit.run('ping', () => this.redis.ping())) === 'PONG';
    } catch {
      return false;
    }
  }

  async subscribe(onMessage: (message: string) => void): Promise<() => Promise<void>> {
    if (!this.opts.subscriber) return async () => {};
    const sub = this.opts.subscriber();
    sub.on('error', () => {}); // reconnects by itself; the poll fallback covers the gap
    sub.on('message', (channel: string, message: string) => {
      if (channel === this.keys.channel) onMessage(message);
    });
    try {
      await sub.subscribe(this.keys.channel);
    } catch {
      // Not connected yet: ioredis subscribes on connect (autoResubscribe covers later reconnects).
    }
    return async () => {
      sub.disconnect();
    };
  }
}

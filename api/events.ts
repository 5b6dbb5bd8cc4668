// What POST /events promises: 202 means durable. A batch is acknowledged only once it is in the
// Redis stream (AOF on, scripts/services.sh) or, while Redis cannot take it, fsynced in the local
// spool (api/spool.ts), which is replayed into the stream, in order and exactly once, when Redis
// returns. While the spool holds anything, new batches queue behind it, so the stream keeps the
// order the API acknowledged them in. A full or unwritable spool is a 503 with Retry-After.
//
// Every event has an id the client can repeat: the client's `event_id`, or one derived from the
// event's content, so a retried POST lands once (the drain dedupes by event_id, sql/stg_events_validated.sql).
import { createHash } from 'node:crypto';
import type { EventRow } from '../model/types';
import { HttpError } from './schemas';
import { EventSpool, SpoolFullError } from './spool';
import { encodeEvent, type AppendOptions, type FeedStore, type StreamLag } from './store';

/**
 * The id of an event posted without one: a hash of (user, title, type, ts, source), so the same
 * event posted again gets the same id. `ts` is the normalised ISO string (the schema's transform),
 * so equal instants written differently agree.
 */
export function deriveEventId(e: Pick<EventRow, 'user_id' | 'movie_id' | 'event_type' | 'ts' | 'source'>): string {
  const key = JSON.stringify([e.user_id, e.movie_id, e.event_type, e.ts, e.source ?? null]);
  return `h-${createHash('sha256').update(key).digest('hex').slice(0, 32)}`;
}

export interface EventIntakeOptions extends AppendOptions {
  /** How often the spool is replayed while Redis is up (ms). */
  replayMs: number;
  /** How often the warehouse group's lag is read (ms). */
  lagPollMs: number;
  /** /readyz fails while undelivered + pending entries exceed this (0: never). */
  lagReadyMax: number;
  /** Retry-After of a 503 when the spool is full (s). */
  retryAfterSeconds: number;
}

export type IntakePath = 'direct' | 'spooled';

export class EventIntake {
  private replayTimer: ReturnType<typeof setInterval> | null = null;
  private lagTimer: ReturnType<typeof setInterval> | null = null;
  private groupReady = false;
  /** The last lag read (null: not read yet, or no group). */
  lag: StreamLag | null = null;

  constructor(
    private readonly store: FeedStore,
    readonly spool: EventSpool,
    private readonly opts: EventIntakeOptions,
    private readonly onError: (what: string, e: unknown) => void = () => {},
  ) {}

  /** Make `rows` durable; resolves with where they went, or throws a 503 HttpError. */
  async accept(rows: EventRow[]): Promise<IntakePath> {
    if (this.spool.isEmpty() && !this.store.isDegraded()) {
      try {
        await this.store.appendEvents(rows, this.opts);
        return 'direct';
      } catch (e) {
        // Not acknowledged by Redis (down, timed out, or OOM). A timed-out write may still land:
        // the spooled copy has the same event ids, so the drain keeps one.
        this.onError('event_write', e);
      }
    }
    try {
      await this.spool.append(rows.map(encodeEvent));
    } catch (e) {
      if (e instanceof SpoolFullError) throw new HttpError(503, 'spool_full', 'events cannot be stored right now (Redis is unavailable and the local spool is full); retry later', [], this.opts.retryAfterSeconds);
      this.onError('spool_write', e);
      throw new HttpError(503, 'events_unavailable', 'events cannot be stored right now (Redis is unavailable and the local spool cannot be written); retry later', [], this.opts.retryAfterSeconds);
    }
    return 'spooled';
  }

  /** Replay the spool into the stream now (no-op when it is empty or Redis is known down). */
  async replay(): Promise<number> {
    if (this.store.isDegraded()) return 0;
    const store = this.store;
    const opts = this.opts;
    return this.spool.replay({
      offset: (segment) => store.spoolOffset(segment),
      append: (segment, from, to, lines) => store.appendSpooled(segment, from, to, lines, opts),
      forget: (segment) => store.forgetSpool(segment),
    });
  }

  /** Read the warehouse group's lag (creating the group first, so lag counts from the first event). */
  async readLag(): Promise<StreamLag | null> {
    if (!this.groupReady) {
      await this.store.ensureEventsGroup();
      this.groupReady = true;
    }
    this.lag = await this.store.eventsLag();
    if (this.lag === null) this.groupReady = false; // the stream was deleted: recreate next time
    return this.lag;
  }

  /** true while the drain is further behind than the readiness bound. */
  lagExceeded(): boolean {
    return this.opts.lagReadyMax > 0 && this.lag !== null && this.lag.undelivered + this.lag.pending > this.opts.lagReadyMax;
  }

  async start(): Promise<void> {
    await this.readLag().catch((e) => this.onError('events_lag', e));
    await this.replay().catch((e) => this.onError('spool_replay', e));
    this.replayTimer = setInterval(() => void this.replay().catch((e) => this.onError('spool_replay', e)), this.opts.replayMs);
    this.replayTimer.unref();
    this.lagTimer = setInterval(() => void this.readLag().catch((e) => this.onError('events_lag', e)), this.opts.lagPollMs);
    this.lagTimer.unref();
  }

  /** Stop the timers; replay what can be replayed; close the open segment (what is left stays on disk). */
  async close(): Promise<void> {
    if (this.replayTimer) clearInterval(this.replayTimer);
    if (this.lagTimer) clearInterval(this.lagTimer);
    this.replayTimer = this.lagTimer = null;
    await this.replay().catch(() => undefined);
    await this.spool.close();
  }
}

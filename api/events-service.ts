// The events service: what POST /events means (validate against the catalog and the clock, give
// every event an id, make the batch durable through api/events.ts's intake) and the API's write
// path to the events stream — the intake with its local spool, and the buffered writer that
// carries the feed's impression slates. It owns their timers and their gauges on /metrics.
import { join } from 'node:path';
import type { Config } from '../config';
import type { EventRow } from '../model/types';
import { deriveEventId, EventIntake } from './events';
import type { ExplorationStats } from './exploration';
import type { Logger } from './logging';
import type { ApiMetrics } from './metrics';
import { HttpError, parseOr400, type ApiOptions, type ErrorDetail, type eventsBodySchema } from './schemas';
import { EventSpool } from './spool';
import type { ServingState } from './state';
import { BufferedEventWriter, type FeedStore, type StreamLag } from './store';

/** What /readyz reports of the event path. */
export interface EventsReadiness {
  lag: StreamLag | null;
  spoolBytes: number;
  /** true while the warehouse drain is further behind than EVENTS_LAG_READY_MAX. */
  lagExceeded: boolean;
}

export interface EventsServiceDeps {
  cfg: Pick<Config, 'DATA_DIR' | 'REDIS_PREFIX' | 'RECENT_MAX'>;
  opts: ApiOptions;
  eventsBody: ReturnType<typeof eventsBodySchema>;
  store: FeedStore;
  state: ServingState;
  stats: ExplorationStats;
  metrics: ApiMetrics;
  clock: () => number;
  /** Rate-limited: a Redis outage must not print a line per request. */
  logSome: Logger;
}

export class EventsService {
  /** Impression slates and other lines bound for the stream, buffered off-heap. */
  readonly impressions: BufferedEventWriter;
  private readonly spool: EventSpool;
  private readonly intake: EventIntake;

  constructor(private readonly deps: EventsServiceDeps) {
    const { cfg, opts, store, metrics, logSome } = deps;
    const appendOpts = { recentMax: cfg.RECENT_MAX, recentTtlSeconds: opts.RECENT_TTL_SECONDS };
    const writer = new BufferedEventWriter(store, { ...appendOpts, flushMs: opts.IMPRESSION_FLUSH_MS, batch: opts.EVENT_WRITE_BATCH, maxBuffered: opts.EVENT_BUFFER_MAX, concurrency: opts.EVENT_WRITE_CONCURRENCY }, (e) => {
      metrics.errors.inc({ where: 'event_write' });
      logSome('warn', 'event write failed; kept in buffer', { error: (e as Error).message, buffered: writer.buffered });
    });
    const spool = new EventSpool(join(cfg.DATA_DIR, 'spool', cfg.REDIS_PREFIX), { maxBytes: opts.SPOOL_MAX_BYTES, segmentBytes: opts.SPOOL_SEGMENT_BYTES, replayBatch: opts.EVENT_WRITE_BATCH });
    const intake = new EventIntake(
      store,
      spool,
      { ...appendOpts, replayMs: opts.SPOOL_REPLAY_MS, lagPollMs: opts.EVENTS_LAG_POLL_MS, lagReadyMax: opts.EVENTS_LAG_READY_MAX, retryAfterSeconds: opts.SPOOL_RETRY_AFTER_SECONDS },
      (what, e) => {
        metrics.errors.inc({ where: what });
        logSome('warn', `${what} failed`, { error: (e as Error).message, spool_bytes: spool.bytes });
      },
    );
    this.impressions = writer;
    this.spool = spool;
    this.intake = intake;

    const gauge = (name: string, help: string, read: () => number) => metrics.addGauge({ name, help, read: () => [{ labels: {}, value: read() }] });
    gauge('recs_events_buffered', 'Impressions waiting in memory to be written to the stream.', () => writer.buffered);
    gauge('recs_events_dropped', 'Impressions dropped because the memory buffer was full (since start).', () => writer.dropped);
    gauge('recs_events_spool_bytes', 'Bytes of acknowledged events in the local spool, not yet replayed into the stream.', () => spool.bytes);
    gauge('recs_events_spool_replayed', 'Spooled events replayed into the stream (since start).', () => spool.replayed);
    gauge('recs_events_spool_fsyncs', 'Write + fdatasync rounds of the spool (since start); each commits every batch queued before it began.', () => spool.rounds);
    gauge('recs_events_spool_corrupt_lines', 'Spool lines that were not JSON (a torn, unacknowledged write) and were skipped (since start).', () => spool.corrupt);
    metrics.addGauge({
      name: 'recs_events_stream_lag',
      help: 'Events stream entries the warehouse drain has not acknowledged: state="undelivered" never read, state="pending" read and not yet landed.',
      read: () => (intake.lag ? [{ labels: { state: 'undelivered' }, value: intake.lag.undelivered }, { labels: { state: 'pending' }, value: intake.lag.pending }] : []),
    });
  }

  /** Validate and make durable a POST /events body; resolves with the number accepted (400/503 as HttpError). */
  async accept(body: unknown): Promise<number> {
    const { opts, state, stats, metrics } = this.deps;
    const parsed = parseOr400(this.deps.eventsBody, body, 'body');
    const snap = state.snapshot();
    if (!snap) throw new HttpError(503, 'not_ready', 'no catalog loaded yet; retry shortly');
    const now = this.deps.clock();
    const issues: ErrorDetail[] = [];
    parsed.events.forEach((e, i) => {
      if (!snap.v.indexById.has(e.movie_id) && !snap.freshById.has(e.movie_id))
        issues.push({ path: `events.${i}.movie_id`, code: 'unknown_movie', message: `movie ${e.movie_id} is not in the catalog` });
      if (Date.parse(e.ts) > now + opts.EVENTS_MAX_FUTURE_SKEW_MS) issues.push({ path: `events.${i}.ts`, code: 'ts_in_future', message: `ts ${e.ts} is in the future` });
    });
    if (issues.length > 0) throw new HttpError(400, 'invalid_body', issues.slice(0, 3).map((d) => `${d.path}: ${d.message}`).join('; '), issues.slice(0, 50));
    const rows: EventRow[] = parsed.events.map((e) => ({
      event_id: e.event_id ?? deriveEventId({ ...e, source: e.source ?? null }),
      user_id: e.user_id,
      movie_id: e.movie_id,
      event_type: e.event_type,
      ts: e.ts,
      watch_seconds: e.watch_seconds ?? null,
      duration_seconds: e.duration_seconds ?? null,
      rating: e.rating ?? null,
      source: e.source ?? null,
    }));
    const how = await this.intake.accept(rows);
    metrics.events.inc({ how }, rows.length);
    for (const r of rows) if (r.event_type === 'watch' && snap.freshById.has(r.movie_id)) stats.recordWatch(r.movie_id);
    return rows.length;
  }


  readiness(): EventsReadiness {
    return { lag: this.intake.lag, spoolBytes: this.spool.bytes, lagExceeded: this.intake.lagExceeded() };
  }

  start(): Promise<void> {
    return this.intake.start();
  }

  /** Write buffered lines and replay the spool now. */
  async flush(): Promise<void> {
    await this.impressions.flush();
    await this.intake.replay().catch(() => 0); // failures are counted and logged by the intake's timer path too
  }

  async close(): Promise<void> {
    await this.impressions.close();
    await this.intake.close();
  }
}

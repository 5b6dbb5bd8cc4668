// drainEvents: move events the API posted to the Redis stream into the warehouse, batch by batch:
// read (entries stale in dead consumers' pending lists first, then new ones) → land in DuckDB
// inside wh.exclusive (validated, deduplicated by event_id, bad rows quarantined, analysts'
// Parquet written) → only then XACK. A crash between landing and ack re-delivers the batch to
// the next drain, and landing it again writes nothing: at-least-once delivery, exactly-once rows.
//
// Every attempt is its own consumer of the group, so an attempt that failed or whose worker died
// leaves its unacknowledged entries to be claimed (XAUTOCLAIM) after `claimIdleMs`; consumers
// left with nothing pending are removed at the end of each call.
import { ApplicationFailure, Context } from '@temporalio/activity';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { z } from 'zod';
import { analyticsPaths, copyToParquet, writeAnalystsDb } from '../storage/analytics';
import { dashboardPublisher } from '../storage/dashboard-publish';
import { EventStreamConsumer, landEventBatch, type LandedBatch, type StreamEntry } from '../storage/events-stream';
import { keys } from '../storage/redis-keys';
import type { ActivityDeps } from './deps';
import { inActivity, progress, withHeartbeat } from './heartbeat';

/** Knobs of one drain call; every one has a default here (the workflow passes them through). */
export const DRAIN_DEFAULTS = {
  /** Batches (read → land → ack cycles) per activity call. */
  maxBatches: 20,
  /** Stream entries per batch (XREADGROUP / XAUTOCLAIM COUNT). */
  batchSize: 5000,
  /** How long a read waits for new entries when there are none (XREADGROUP BLOCK). */
  blockMs: 1000,
  /**
   * An entry pending this long belongs to a consumer presumed dead and is claimed. Far above the
   * seconds a live consumer holds a batch between read and ack; also the delay before a crashed
   * drain's batch is retried.
   */
  claimIdleMs: 120_000,
  /** Consumers with nothing pending and idle this long are removed from the group. */
  consumerIdleMs: 3_600_000,
} as const;

const inputSchema = z
  .object({
    maxBatches: z.number().int().min(1).max(100_000),
    batchSize: z.number().int().min(1).max(100_000),
    blockMs: z.number().int().min(0).max(30_000), // below the workflow's 1-minute heartbeat timeout
    claimIdleMs: z.number().int().min(0).max(7 * 24 * 3600 * 1000),
    consumerIdleMs: z.number().int().min(0),
  })
  .partial()
  .strict();

export type DrainEventsActivityInput = z.infer<typeof inputSchema>;

export interface DrainEventsOut {
  batches: number;
  /** Stream entries landed (incl. re-deliveries). */
  entries: number;
  ingested: number;
  duplicates: number;
  quarantined: number;
  /** Entries taken over from consumers that died before acknowledging them. */
  claimed: number;
  /** Pending entries whose data the stream's MAXLEN trimmed before anyone landed them. */
  lost: number;
  /** true when the stream had nothing more to drain (the call did not stop at maxBatches). */
  empty: boolean;
  /** Entries still pending in the group at the end (other consumers' in-flight or stale batches). */
  pending: number;
}

export function createDrainActivities({ cfg, wh, redis }: Pick<ActivityDeps, 'cfg' | 'wh' | 'redis'>) {
  const stream = keys(cfg.REDIS_PREFIX).events;
  const paths = analyticsPaths(cfg.DATA_DIR);
  const dashboard = dashboardPublisher(cfg, redis);

  /** Land one batch and write its analysts' Parquet (rewritten if a re-delivered batch gets here again). */
  const land = (entries: StreamEntry[]): Promise<LandedBatch> =>
    wh.exclusive(async () => {
      const r = await landEventBatch(wh, stream, entries);
      if (r.ingested > 0) await copyToParquet(wh, 'exp_analytics_events_batch', { batch_id: r.batchId }, paths.eventsBatch(r.batchId));
      if (r.quarantined > 0) await copyToParquet(wh, 'exp_analytics_quarantine_batch', { source_hash: r.batchId }, paths.quarantineBatch(r.batchId));
      await dashboard.histories(wh, r.batchId, r.rowsRead); // the operators' user lookup
      return r;
    });

  return {
    async drainEvents(input: DrainEventsActivityInput = {}): Promise<DrainEventsOut> {
      const parsed = inputSchema.safeParse(input ?? {});
      if (!parsed.success) {
        const msg = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
        throw ApplicationFailure.nonRetryable(`bad drain input: ${msg}`, 'BadInput');
      }
      const o = { ...DRAIN_DEFAULTS, ...parsed.data };
      const ctx = inActivity() ? Context.current() : null;
      const consumerName = `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
      // BLOCK holds a connection for its whole wait: keep it off the worker's shared client.
      const conn = redis.duplicate();
      const consumer = new EventStreamConsumer(conn, stream, consumerName);
      const out: DrainEventsOut = { batches: 0, entries: 0, ingested: 0, duplicates: 0, quarantined: 0, claimed: 0, lost: 0, empty: false, pending: 0 };
      try {
        await consumer.ensureGroup();
        let claimCursor = '0-0';
        let claimDone = false;
        while (out.batches < o.maxBatches) {
          // Stop between batches when cancelled (worker shutdown, workflow cancel): never between
          // landing and ack, so a graceful stop leaves nothing pending.
          if (ctx?.cancellationSignal.aborted) await ctx.cancelled;
          let entries: StreamEntry[] = [];
          let reclaimed = false;
          while (!claimDone && entries.length === 0) {
            const c = await consumer.claimStale(o.claimIdleMs, o.batchSize, claimCursor);
            claimCursor = c.cursor;
            claimDone = c.cursor === '0-0';
            out.lost += c.deleted.length;
            if (c.deleted.length) ctx?.log.warn(`events stream: ${c.deleted.length} pending entries were trimmed before they were landed (first ids: ${c.deleted.slice(0, 5).join(', ')})`);
            entries = c.entries;
            reclaimed = entries.length > 0;
          }
          if (entries.length === 0) entries = await consumer.readNew(o.batchSize, o.blockMs);
          if (entries.length === 0) {
            out.empty = true;
            break;
          }
          const details = () => ({ step: 'drain events', batch: out.batches + 1, size: entries.length, first: entries[0].id, landedSoFar: out.entries });
          const r = await withHeartbeat(details, () => land(entries));
          await consumer.ack(entries.map((e) => e.id));
          out.batches += 1;
          out.entries += entries.length;
          out.ingested += r.alreadyLanded ? 0 : r.ingested;
          out.duplicates += r.alreadyLanded ? r.rowsRead - r.quarantined : r.duplicates;
          out.quarantined += r.quarantined;
          if (reclaimed) out.claimed += entries.length;
          progress({ step: 'drained batch', batch: out.batches, batchId: r.batchId, alreadyLanded: r.alreadyLanded, reclaimed, ...out });
        }
        if (out.batches > 0) {
          await consumer.trimDelivered();
          await writeAnalystsDb(cfg.DATA_DIR).catch(() => undefined); // best effort: a reader may hold it
        }
        out.pending = await consumer.pendingCount();
        return out;
      } finally {
        await consumer.removeIdleConsumers(o.consumerIdleMs).catch(() => undefined);
        conn.disconnect();
      }
    },
  };
}

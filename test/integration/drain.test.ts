// The event drain on real services: events posted to the Redis stream the way the API writes them,
// drained by the drainEvents workflow on a real worker into the worker's DuckDB. The warehouse is
// read only while the worker is stopped (it owns the file), read-only.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DrainEventsInput, DrainEventsResult } from '../../workflows/drain-events';
import type { EventRow } from '../../model/types';
import { openAnalytics } from '../../storage/analytics';
import { warehousePath } from '../../storage/clients';
import { Warehouse } from '../../storage/duckdb';
import { EventStreamConsumer, EVENTS_GROUP, landEventBatch } from '../../storage/events-stream';
import { ingestFile, initSchema } from '../../storage/ingest';
import { keys } from '../../storage/redis-keys';
import { startPipeline, type TestPipeline } from '../helpers/pipeline';
import { FIXTURES } from '../helpers/paths';

let p: TestPipeline;
let stream: string;

function event(n: number, over: Partial<Record<keyof EventRow, unknown>> = {}): EventRow {
  return {
    event_id: `ev-${n}`,
    user_id: `u${n % 13}`,
    movie_id: `m${(n % 3) + 1}`, // the catalog fixture holds m1..m3
    event_type: 'watch',
    ts: new Date(Date.UTC(2026, 0, 5) + n * 60_000).toISOString(),
    watch_seconds: 1200,
    duration_seconds: 6000,
    rating: null,
    source: 'home_feed:3',
    ...over,
  } as EventRow;
}

/** XADD like the API (api/store.ts appendEvents): one entry per event, field `e`. A string is written as is. */
async function post(rows: (EventRow | string | { field: string; value: string })[]): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < rows.length; i += 500) {
    const pipe = p.redis.pipeline();
    for (const r of rows.slice(i, i + 500)) {
      if (typeof r === 'object' && 'field' in r) pipe.xadd(stream, 'MAXLEN', '~', 10_000_000, '*', r.field, r.value);
      else pipe.xadd(stream, 'MAXLEN', '~', 10_000_000, '*', 'e', typeof r === 'string' ? r : JSON.stringify(r));
    }
    for (const [err, id] of (await pipe.exec())!) {
      if (err) throw err;
      ids.push(id as string);
    }
  }
  return ids;
}

function drain(input: DrainEventsInput) {
  return p.client.workflow.start('drainEvents', { taskQueue: p.taskQueue, workflowId: `drain-test-${Date.now()}-${Math.random().toString(36).slice(2, 6)}`, args: [input] });
}

/** Entries the group has delivered so far (0 before the first drain created it). */
async function entriesRead(): Promise<number> {
  if (!(await p.redis.exists(stream))) return 0;
  const groups = (await p.redis.call('XINFO', 'GROUPS', stream)) as (string | number)[][];
  const g = groups.map((flat) => Object.fromEntries(Array.from({ length: flat.length / 2 }, (_, i) => [flat[2 * i], flat[2 * i + 1]]))).find((x) => x.name === EVENTS_GROUP);
  return g ? Number(g['entries-read']) : 0;
}

const pendingCount = () => new EventStreamConsumer(p.redis, stream, 'test').pendingCount();

/** Look into the warehouse file with the worker stopped (it owns the file), then restart it. */
async function inWarehouse<T>(fn: (wh: Warehouse) => Promise<T>, opts: { readOnly?: boolean } = { readOnly: true }): Promise<T> {
  await p.stopWorker();
  const wh = await Warehouse.open(warehousePath(p.cfg), opts);
  try {
    return await fn(wh);
  } finally {
    wh.close();
    await p.startWorker();
  }
}

/** (event_id, rows) of the given ids that are in the warehouse. */
async function eventCounts(wh: Warehouse, ids: string[]): Promise<Map<string, number>> {
  const rows = await wh.query<{ event_id: string; n: bigint }>('SELECT event_id, count(*) AS n FROM events WHERE list_contains($ids::VARCHAR[], event_id) GROUP BY event_id', { ids: `[${ids.join(',')}]` });
  return new Map(rows.map((r) => [r.event_id, Number(r.n)]));
}

beforeAll(async () => {
  p = await startPipeline('drain');
  stream = keys(p.cfg.REDIS_PREFIX).events;
  // The catalog the events refer to (m1..m3), ingested the way a world's titles are.
  await inWarehouse(async (wh) => {
    await initSchema(wh);
    await ingestFile(wh, 'titles', join(FIXTURES, 'ingest', 'movies.csv'));
  }, { readOnly: false });
});
afterAll(async () => p?.close());

describe('the event drain', () => {
  it('lands posted events once each: a duplicate post once, bad entries in quarantine with a reason, analysts see them, nothing stays pending, totals survive continue-as-new', async () => {
    const good = Array.from({ length: 20 }, (_, i) => event(i));
    await post([
      ...good.slice(0, 10),
      good[4], // posted twice (a client retry)
      event(100, { event_type: 'like' }),
      'not json at all',
      event(101, { movie_id: 'm404' }),
      { field: 'x', value: 'an entry without the e field' },
      ...good.slice(10),
    ]);
    // One batch per activity call and a new run every two calls: 4 batches + the call that finds
    // the stream empty = 5 calls over 3 runs.
    const r = (await (await drain({ batchSize: 7, blockMs: 100, batchesPerActivity: 1, iterationsBeforeContinueAsNew: 2 })).result()) as DrainEventsResult;
    expect(r).toMatchObject({ entries: 25, ingested: 20, duplicates: 1, quarantined: 4, claimed: 0, lost: 0, empty: true, pending: 0 });
    expect(r).toMatchObject({ batches: 4, calls: 5, runs: 3 }); // ceil(25 / 7) batches
    expect(await pendingCount()).toBe(0);

    await inWarehouse(async (wh) => {
      const counts = await eventCounts(wh, good.map((e) => e.event_id));
      expect(counts.size).toBe(20);
      expect([...counts.values()].every((n) => n === 1)).toBe(true);
      const row = await wh.query<Record<string, unknown>>("SELECT user_id, movie_id, event_type, strftime(ts, '%Y-%m-%dT%H:%M:%S.000Z') AS ts, watch_seconds, duration_seconds, rating, source FROM events WHERE event_id = 'ev-7'");
      const { event_id: _id, ...rest } = good[7];
      expect(row).toEqual([rest]);
      const q = await wh.query<{ reason: string; payload: string | null }>("SELECT reason, json_extract_string(raw, 'payload') AS payload FROM quarantine WHERE kind = 'event' ORDER BY reason");
      expect(q.map((x) => x.reason)).toEqual(['missing_event_id', 'missing_event_id', 'unknown_event_type', 'unknown_title']);
      // Nothing is lost: the raw text of the entry that was not JSON is kept.
      expect(q.map((x) => x.payload)).toContain('not json at all');
    });

    const a = await openAnalytics(p.cfg.DATA_DIR);
    try {
      expect((await a.query('SELECT count(*)::INTEGER AS n, count(DISTINCT event_id)::INTEGER AS d FROM events')).rows).toEqual([{ n: 20, d: 20 }]);
      expect((await a.query('SELECT count(*)::INTEGER AS n FROM quarantine')).rows).toEqual([{ n: 4 }]);
    } finally {
      a.close();
    }
  }, 180_000);

  it('a worker stopped in the middle of a long drain: the next worker finishes it, every event lands exactly once, and drained entries leave the stream', async () => {
    const events = Array.from({ length: 4000 }, (_, i) => event(10_000 + i));
    const readBefore = await entriesRead();
    await post(events);
    const lenAfterPost = await p.redis.xlen(stream);
    const handle = await drain({ batchSize: 20, batchesPerActivity: 1000, maxBatches: 10_000, blockMs: 100, claimIdleMs: 1000 });

    // Wait until the drain is well under way, then stop the worker under it.
    for (let i = 0; (await entriesRead()) - readBefore < 400; i++) {
      if (i > 1200) throw new Error('the drain never got going');
      await new Promise((r) => setTimeout(r, 25));
    }
    await p.stopWorker();
    const deliveredAtStop = (await entriesRead()) - readBefore;
    expect(deliveredAtStop).toBeLessThan(events.length); // it really was stopped mid-drain
    expect(await pendingCount()).toBe(0); // a graceful stop lands and acks the batch in hand

    await p.startWorker();
    const r = (await handle.result()) as DrainEventsResult;
    expect(r.empty).toBe(true);
    // The first worker's attempt landed and acked what it had read; the next one landed the rest.
    expect(r.ingested).toBe(events.length - deliveredAtStop);
    expect(await pendingCount()).toBe(0);
    expect(await p.redis.xlen(stream)).toBeLessThan(lenAfterPost); // acknowledged entries were trimmed

    await inWarehouse(async (wh) => {
      const counts = await eventCounts(wh, events.map((e) => e.event_id));
      expect(counts.size).toBe(events.length);
      expect([...counts.values()].filter((n) => n !== 1)).toEqual([]);
    });
  }, 240_000);

  it('a worker that died after landing a batch but before acking it: the next drain claims the batch, landing it again writes nothing twice', async () => {
    const good = Array.from({ length: 30 }, (_, i) => event(50_000 + i));
    const bad = [event(50_100, { rating: 9, event_type: 'rating', watch_seconds: null }), event(50_101, { user_id: '' })];
    const ids = await post([...good.slice(0, 5), bad[0], ...good.slice(5, 12), bad[1], ...good.slice(12)]);

    // The dying worker: it reads 20 entries, lands them, and is gone before XACK.
    await p.stopWorker();
    const dead = new EventStreamConsumer(p.redis, stream, 'worker-that-died');
    const batch = await dead.readNew(20, 0);
    expect(batch.map((e) => e.id)).toEqual(ids.slice(0, 20));
    const wh = await Warehouse.open(warehousePath(p.cfg));
    const landed = await wh.exclusive(() => landEventBatch(wh, stream, batch));
    wh.close();
    expect(landed).toMatchObject({ rowsRead: 20, ingested: 18, quarantined: 2, alreadyLanded: false });
    expect(await pendingCount()).toBe(20);
    await p.startWorker();

    // Smaller batches than the dead worker's: the re-delivered entries land in other batch
    // compositions, so the row-level dedupe (not the batch record) is what keeps them single.
    const r = (await (await drain({ batchSize: 6, blockMs: 100, claimIdleMs: 500, consumerIdleMs: 0 })).result()) as DrainEventsResult;
    expect(r).toMatchObject({ claimed: 20, entries: 32, ingested: 12, duplicates: 18, quarantined: 2, lost: 0, empty: true, pending: 0 });
    expect(await pendingCount()).toBe(0);
    // The dead consumer, left with nothing pending, is forgotten.
    const consumers = (await p.redis.call('XINFO', 'CONSUMERS', stream, EVENTS_GROUP)) as unknown[];
    expect(consumers).toEqual([]);

    await inWarehouse(async (wh) => {
      const counts = await eventCounts(wh, good.map((e) => e.event_id));
      expect(counts.size).toBe(30);
      expect([...counts.values()].filter((n) => n !== 1)).toEqual([]);
      const q = await wh.query<{ stream_id: string; n: bigint; reasons: string }>(
        "SELECT json_extract_string(raw, 'stream_id') AS stream_id, count(*) AS n, string_agg(reason, ',') AS reasons FROM quarantine WHERE list_contains($ids::VARCHAR[], json_extract_string(raw, 'stream_id')) GROUP BY 1 ORDER BY reasons",
        { ids: `[${[ids[5], ids[13]].join(',')}]` },
      );
      expect(q).toEqual([
        { stream_id: ids[13], n: 1n, reasons: 'missing_user_id' },
        { stream_id: ids[5], n: 1n, reasons: 'rating_out_of_range' },
      ]);
      // Over the whole file: no event_id twice.
      expect(await wh.query('SELECT count(*) = count(DISTINCT event_id) AS unique_ids FROM events')).toEqual([{ unique_ids: true }]);
    });
  }, 180_000);

  it('an impression slate lands as one impression row per item, with its position and source; an unknown title among them goes to quarantine; landing it again writes nothing twice', async () => {
    const slate = (id: string, items: string[], offset: number) =>
      JSON.stringify({ event_id: id, user_id: 'u-slate', event_type: 'impression', ts: '2026-01-06T10:00:00.000Z', surface: 'home_feed', feed_source: 'personalized', variant: 'control', model_version: 'v20260101T000000Z', offset, items });
    const ids = await post([slate('imp-r1', ['m2', 'm1', 'm3'], 0), event(60_000), slate('imp-r2', ['m3', 'm404'], 20)]);
    await p.stopWorker();
    const dead = new EventStreamConsumer(p.redis, stream, 'slate-reader');
    const batch = await dead.readNew(10, 0);
    expect(batch.map((e) => e.id)).toEqual(ids);
    const wh = await Warehouse.open(warehousePath(p.cfg));
    try {
      expect(await wh.exclusive(() => landEventBatch(wh, stream, batch))).toMatchObject({ rowsRead: 6, ingested: 5, quarantined: 1 });
      // Delivered again in another batch (a crash before XACK): nothing new.
      expect(await wh.exclusive(() => landEventBatch(wh, stream, batch.slice(0, 1)))).toMatchObject({ rowsRead: 3, ingested: 0, duplicates: 3, quarantined: 0 });
      const rows = await wh.query<{ event_id: string; movie_id: string; source: string; event_type: string }>(
        "SELECT event_id, movie_id, source, event_type FROM events WHERE user_id = 'u-slate' ORDER BY event_id",
      );
      expect(rows).toEqual([
        { event_id: 'imp-r1-1', movie_id: 'm2', source: 'home_feed:1:personalized:control', event_type: 'impression' },
        { event_id: 'imp-r1-2', movie_id: 'm1', source: 'home_feed:2:personalized:control', event_type: 'impression' },
        { event_id: 'imp-r1-3', movie_id: 'm3', source: 'home_feed:3:personalized:control', event_type: 'impression' },
        { event_id: 'imp-r2-21', movie_id: 'm3', source: 'home_feed:21:personalized:control', event_type: 'impression' },
      ]);
      const q = await wh.query<{ reason: string; movie_id: string; pos: string }>(
        "SELECT reason, json_extract_string(raw, 'movie_id') AS movie_id, json_extract_string(raw, 'slate_position') AS pos FROM quarantine WHERE json_extract_string(raw, 'stream_id') = $id",
        { id: ids[2] },
      );
      expect(q).toEqual([{ reason: 'unknown_title', movie_id: 'm404', pos: '22' }]);
    } finally {
      wh.close();
      await dead.ack(ids);
      await p.startWorker();
    }
  }, 120_000);
});

// The API's event stream → the warehouse. The API appends one entry per posted event
// (`XADD <prefix>:events * e <JSON of EventRow>`, no MAXLEN: nothing undelivered is ever trimmed);
// the drain reads it with the consumer group `warehouse`, lands each batch in DuckDB, only then
// acknowledges it, and trims what every group has acknowledged (trimDelivered).
//
// Delivery is at-least-once: an entry read by a consumer that dies before its XACK stays in the
// group's pending list and is claimed by the next consumer (XAUTOCLAIM, once it has been idle
// long enough). Landing is idempotent, so rows are exactly-once: good rows dedupe by event_id
// (the validation the file ingest uses), bad ones by their stream entry id in the quarantine.
//
// Two halves: `EventStreamConsumer` (Redis consumer-group commands) and `landEventBatch`
// (DuckDB; the caller holds `wh.exclusive`).
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Warehouse } from './duckdb';
import { EVENTS_GROUP } from './redis-keys';

export { EVENTS_GROUP };
/** The field of a stream entry that holds the event's JSON. */
export const EVENT_FIELD = 'e';

export interface StreamEntry {
  /** Redis entry id `<ms>-<seq>`. */
  id: string;
  /** The `e` field (JSON of an EventRow as the API wrote it), or null when the entry has none. */
  payload: string | null;
}

type RawEntry = [string, string[] | null];

function toEntry([id, fields]: RawEntry): StreamEntry {
  let payload: string | null = null;
  for (let i = 0; fields && i + 1 < fields.length; i += 2) if (fields[i] === EVENT_FIELD) payload = fields[i + 1];
  return { id, payload };
}

// The lowest entry id any consumer group may still need: per group, the oldest pending entry, or
// else its last-delivered id (entries are delivered in id order, so every older entry is
// acknowledged). XTRIM MINID removes only entries below it (`~`: whole macro nodes, never more).
// One script, so no delivery or ack can slip between reading the groups and trimming.
const TRIM_DELIVERED_LUA = `
local function parse(id) local ms, seq = string.match(id, '^(%d+)-(%d+)$') return tonumber(ms), tonumber(seq) end
local function less(a, b) local am, as = parse(a) local bm, bs = parse(b) return am < bm or (am == bm and as < bs) end
local groups = redis.call('XINFO', 'GROUPS', KEYS[1])
local minid = nil
for _, g in ipairs(groups) do
  local name, last
  for i = 1, #g, 2 do
    if g[i] == 'name' then name = g[i + 1] elseif g[i] == 'last-delivered-id' then last = g[i + 1] end
  end
  local need = last
  local p = redis.call('XPENDING', KEYS[1], name)
  if p[1] > 0 and less(p[2], need) then need = p[2] end
  if minid == nil or less(need, minid) then minid = need end
end
if minid == nil then return 0 end
return redis.call('XTRIM', KEYS[1], 'MINID', '~', minid)
`;

// Forget consumers that hold no pending entries and have been idle at least ARGV[2] ms (or are
// ARGV[3], the caller itself, done). Atomic: a consumer with pending entries is never deleted,
// because deleting it would make those entries unclaimable.
const REMOVE_IDLE_CONSUMERS_LUA = `
local removed = 0
for _, c in ipairs(redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])) do
  local name, pending, idle
  for i = 1, #c, 2 do
    if c[i] == 'name' then name = c[i + 1] elseif c[i] == 'pending' then pending = c[i + 1] elseif c[i] == 'idle' then idle = c[i + 1] end
  end
  if pending == 0 and (idle >= tonumber(ARGV[2]) or name == ARGV[3]) then
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], name)
    removed = removed + 1
  end
end
return removed
`;

/**
 * One consumer of the events stream's group. Give it a connection of its own when it blocks:
 * XREADGROUP … BLOCK holds the connection for the whole wait.
 */
export class EventStreamConsumer {
  constructor(
    private readonly redis: Redis,
    readonly stream: string,
    readonly consumer: string,
    readonly group = EVENTS_GROUP,
  ) {}

  /** Create the group at the start of the stream (MKSTREAM: the stream may not exist yet). True if created. */
  async ensureGroup(): Promise<boolean> {
    try {
      await this.redis.call('XGROUP', 'CREATE', this.stream, this.group, '0', 'MKSTREAM');
      return true;
    } catch (e) {
      if (e instanceof Error && e.message.startsWith('BUSYGROUP')) return false;
      throw e;
    }
  }

  /** Up to `count` entries never delivered to the group, waiting at most `blockMs` for the first. */
  async readNew(count: number, blockMs: number): Promise<StreamEntry[]> {
    const args: (string | number)[] = ['GROUP', this.group, this.consumer, 'COUNT', count];
    if (blockMs > 0) args.push('BLOCK', blockMs); // BLOCK 0 would wait forever
    const r = (await this.redis.call('XREADGROUP', ...args, 'STREAMS', this.stream, '>')) as [string, RawEntry[]][] | null;
    return r && r.length ? r[0][1].map(toEntry) : [];
  }

  /**
   * Take over up to `count` entries pending (delivered, never acknowledged) for at least
   * `minIdleMs` — entries of a consumer that died — scanning the pending list from `cursor`.
   * `cursor` comes back `0-0` when the scan is complete. `deleted`: pending ids whose entries were
   * trimmed from the stream before anyone landed them (Redis drops them from the pending list).
   */
  async claimStale(minIdleMs: number, count: number, cursor = '0-0'): Promise<{ cursor: string; entries: StreamEntry[]; deleted: string[] }> {
    const r = (await this.redis.call('XAUTOCLAIM', this.stream, this.group, this.consumer, minIdleMs, cursor, 'COUNT', count)) as [string, RawEntry[], string[]?];
    // A claimed id whose entry is gone comes back with null fields on some Redis versions.
    const entries = r[1].filter((e) => e[1] !== null).map(toEntry);
    const deleted = [...(r[2] ?? []), ...r[1].filter((e) => e[1] === null).map((e) => e[0])];
    return { cursor: r[0], entries, deleted };
  }

  /** Acknowledge entries: they leave the pending list. Returns how many were pending. */
  async ack(ids: string[]): Promise<number> {
    if (ids.length === 0) return 0;
    return (await this.redis.call('XACK', this.stream, this.group, ...ids)) as number;
  }

  /** Entries delivered to the group and not yet acknowledged (all consumers). */
  async pendingCount(): Promise<number> {
    try {
      const r = (await this.redis.call('XPENDING', this.stream, this.group)) as [number, ...unknown[]];
      return Number(r[0]);
    } catch (e) {
      if (e instanceof Error && /NOGROUP/.test(e.message)) return 0;
      throw e;
    }
  }

  /** Remove entries every group has acknowledged (see TRIM_DELIVERED_LUA). Returns how many. */
  async trimDelivered(): Promise<number> {
    return (await this.redis.eval(TRIM_DELIVERED_LUA, 1, this.stream)) as number;
  }

  /** Forget idle consumers without pending entries, and this one when it has none. */
  async removeIdleConsumers(minIdleMs: number): Promise<number> {
    return (await this.redis.eval(REMOVE_IDLE_CONSUMERS_LUA, 1, this.stream, this.group, minIdleMs, this.consumer)) as number;
  }
}

// ---- landing a batch in the warehouse ------------------------------------------------------

export interface LandedBatch {
  /** `events-stream:<sha256 of the stream key and entry ids>`: events.batch_id, quarantine.source_hash, ingest_batches.source_hash. */
  batchId: string;
  rowsRead: number;
  ingested: number;
  /** Good rows whose event_id was already in the warehouse or earlier in the batch (incl. re-deliveries). */
  duplicates: number;
  /** Bad rows of the batch; one written to quarantine per stream entry, ever. */
  quarantined: number;
  /** true when this exact batch (same entries) was landed before: nothing was written again. */
  alreadyLanded: boolean;
}

export function streamBatchId(stream: string, entries: StreamEntry[]): string {
  const h = createHash('sha256').update(stream);
  for (const e of entries) h.update(`\n${e.id}`);
  return `events-stream:${h.digest('hex')}`;
}

type CountsRow = { rows_read: bigint; ingested: bigint; duplicates: bigint; quarantined: bigint };

/**
 * Land stream entries in the warehouse with the file ingest's validation, dedupe and quarantine,
 * in one transaction. Idempotent: landing the same entries again (in any batches) writes no row
 * twice. The caller holds `wh.exclusive` (staging uses TEMP tables on the shared connection).
 */
export async function landEventBatch(wh: Warehouse, stream: string, entries: StreamEntry[], now = new Date()): Promise<LandedBatch> {
  if (entries.length === 0) throw new RangeError('landEventBatch needs at least one entry');
  const batchId = streamBatchId(stream, entries);
  const earlier = await wh.rows<CountsRow>('get_ingest_batch', { source_hash: batchId });
  if (earlier.length) {
    const e = earlier[0];
    return { batchId, rowsRead: Number(e.rows_read), ingested: Number(e.ingested), duplicates: Number(e.duplicates), quarantined: Number(e.quarantined), alreadyLanded: true };
  }
  const nowIso = now.toISOString();
  const staged = JSON.stringify(entries.map((e, i) => ({ row_no: i + 1, stream_id: e.id, payload: e.payload })));
  await wh.conn.run('BEGIN TRANSACTION');
  try {
    await wh.exec('stg_events_stream', { entries: staged, stream_key: stream });
    await wh.exec('stg_events_validated', { now: nowIso });
    const [c] = await wh.rows<CountsRow>('rpt_events_ingest_counts');
    await wh.exec('ins_events', { batch_id: batchId });
    await wh.exec('ins_quarantine_events_stream', { source_hash: batchId, now: nowIso });
    const source = `redis-stream:${stream}#${entries[0].id}..${entries[entries.length - 1].id}`;
    await wh.exec('ins_ingest_batch', { source_hash: batchId, kind: 'events', source, ...c, now: nowIso });
    await wh.conn.run('COMMIT');
    return { batchId, rowsRead: Number(c.rows_read), ingested: Number(c.ingested), duplicates: Number(c.duplicates), quarantined: Number(c.quarantined), alreadyLanded: false };
  } catch (e) {
    await wh.conn.run('ROLLBACK');
    throw e;
  }
}

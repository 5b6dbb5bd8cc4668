// Redis key schema and value codecs. Every key the project writes is built here, from a
// validated prefix and ids checked against ID_RE, so no caller splices raw input into a key.

export const ID_RE = /^[A-Za-z0-9_.:-]{1,64}$/;
export const VERSION_RE = /^v[0-9]{8}T[0-9]{6}Z?[A-Za-z0-9-]*$/;

export function assertId(kind: string, id: string): string {
  if (!ID_RE.test(id)) throw new RangeError(`${kind} must match ${ID_RE}, got ${JSON.stringify(id)}`);
  return id;
}

export function assertVersion(v: string): string {
  if (!VERSION_RE.test(v)) throw new RangeError(`version must match ${VERSION_RE}, got ${JSON.stringify(v)}`);
  return v;
}

function shardNumber(n: number): number {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`shard must be a non-negative integer, got ${n}`);
  return n;
}

export function keys(prefix: string) {
  // Redis Cluster: the pointer, the registry and every version's small keys share the `{ctl}` hash
  // tag, so the MULTIs that flip `live` or write a version's catalog run in one slot. User lists and
  // shard key indexes carry no tag: they spread over the cluster by key.
  const ctl = `${prefix}:{ctl}`;
  return {
    /** STRING: the live version id. Flipped atomically by publish/rollback. */
    live: `${ctl}:live`,
    /** ZSET: version id → published-at ms: the published versions still in Redis (rollback targets, KEEP_VERSIONS). */
    versions: `${ctl}:versions`,
    /** ZSET: version id → written-at ms: versions whose data is being written and that are not yet published. */
    pending: `${ctl}:pending`,
    /** SET: versions taken out of the registry whose keys are being expired (an interrupted expiry resumes them). */
    expiring: `${ctl}:expiring`,
    /** HASH: per-version metadata fields (JSON values); `shard:<n>` = lists written, `ix:<n>` = shard n has a key index. */
    versionMeta: (v: string) => `${ctl}:v:${assertVersion(v)}:meta`,
    /** STRING (binary, codec below): a user's top-N list and factor vector. */
    userList: (v: string, userId: string) => `${prefix}:v:${assertVersion(v)}:u:${assertId('user_id', userId)}`,
    /** HASH: the user ids whose lists shard `n` wrote: field = first user id of a write batch, value = the batch's ids, space-separated. */
    shardIndex: (v: string, shard: number) => `${prefix}:v:${assertVersion(v)}:ix:${shardNumber(shard)}`,
    /** STRING (binary Float32 LE): item factors, nItems × k row-major, in the order of `items`. */
    itemFactors: (v: string) => `${ctl}:v:${assertVersion(v)}:item_factors`,
    /** STRING (JSON): the version's catalog: [{movie_id,title,genres,year,added_at}] in item-index order. */
    items: (v: string) => `${ctl}:v:${assertVersion(v)}:items`,
    /** STRING (JSON): popularity/trending lists of the version: {popular: [idx...], trending: [idx...]}. */
    lists: (v: string) => `${ctl}:v:${assertVersion(v)}:lists`,
    /** ZSET: movie_id → ts ms of the user's recent watches (since the list was built), trimmed. */
    recent: (userId: string) => `${prefix}:recent:${assertId('user_id', userId)}`,
    /** HASH: movie_id → JSON of a title added after the live model (with its content vector). */
    fresh: `${prefix}:fresh`,
    /** STREAM: events posted to the API, drained into the warehouse by the consumer group EVENTS_GROUP. */
    events: `${prefix}:events`,
    /** STRING: bytes of an API spool segment (api/spool.ts) already replayed into `events`; set with the XADDs, atomically. */
    spoolOffset: (segment: string) => `${prefix}:spool:${assertId('spool segment', segment)}`,
    /** PUB/SUB channel: a version was published/rolled back, or a title was added. */
    channel: `${prefix}:notify`,
    /** HASH: exploration counts of fresh titles, fields `i:<movie_id>` (impressions) and `w:<movie_id>` (watches). */
    exploration: `${prefix}:explore`,
  };
}
export type Keys = ReturnType<typeof keys>;

/** The consumer group of the warehouse drain on the events stream (the API creates it, so lag counts from the first event). */
export const EVENTS_GROUP = 'warehouse';

// ---- user list codec -------------------------------------------------------------------
// Layout (little-endian):
//   u8 format=1 | u8 reserved | u16 k | u32 n | f32 userVec[k] | u32 itemIndex[n] | f32 score[n]
// itemIndex refers to the version's `items` order. ~4 KiB for 500 items at k=64.

export interface UserList {
  userVec: Float32Array; // k
  itemIndex: Uint32Array; // n, best first
  score: Float32Array; // n
}

const HEADER = 8;

export function encodeUserList(userVec: Float32Array, itemIndex: ArrayLike<number>, score: ArrayLike<number>, n = itemIndex.length): Buffer {
  const k = userVec.length;
  if (score.length < n || itemIndex.length < n) throw new RangeError(`need ${n} items and scores, got ${itemIndex.length} and ${score.length}`);
  const buf = Buffer.allocUnsafe(HEADER + 4 * k + 8 * n);
  buf.writeUInt8(1, 0);
  buf.writeUInt8(0, 1);
  buf.writeUInt16LE(k, 2);
  buf.writeUInt32LE(n, 4);
  let o = HEADER;
  for (let i = 0; i < k; i++, o += 4) buf.writeFloatLE(userVec[i], o);
  for (let i = 0; i < n; i++, o += 4) buf.writeUInt32LE(itemIndex[i], o);
  for (let i = 0; i < n; i++, o += 4) buf.writeFloatLE(score[i], o);
  return buf;
}

export function decodeUserList(buf: Buffer): UserList {
  if (buf.length < HEADER || buf.readUInt8(0) !== 1) throw new RangeError('not a user list (format byte ≠ 1)');
  const k = buf.readUInt16LE(2);
  const n = buf.readUInt32LE(4);
  if (buf.length !== HEADER + 4 * k + 8 * n) throw new RangeError(`user list length ${buf.length} ≠ ${HEADER + 4 * k + 8 * n} for k=${k} n=${n}`);
  // Copy into aligned arrays (Buffer offsets from Redis need not be 4-aligned).
  const body = new Uint8Array(buf.buffer, buf.byteOffset + HEADER, buf.length - HEADER).slice();
  return {
    userVec: new Float32Array(body.buffer, 0, k),
    itemIndex: new Uint32Array(body.buffer, 4 * k, n),
    score: new Float32Array(body.buffer, 4 * k + 4 * n, n),
  };
}

export function encodeF32(a: Float32Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

export function decodeF32(buf: Buffer): Float32Array {
  return new Float32Array(new Uint8Array(buf).buffer.slice(0));
}

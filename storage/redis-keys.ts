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
// Format 2 (written), little-endian, 20-byte header:
//   u8 format=2 | u8 idxBits | u8 scoreBits | u8 reserved | u16 k | u16 n | f32 vecScale
//   | f32 scoreMin | f32 scoreMax | i16 userVec[k] | itemIndex[n] | score[n]
// userVec[j] = i16 × vecScale (vecScale = max|x|/32767); itemIndex: n fields of idxBits bits
// (the bit length of the list's largest index), packed LSB-first, byte-padded; score: n fields of
// scoreBits bits, s = scoreMin + q·(scoreMax − scoreMin)/(2^scoreBits − 1), packed the same way.
// Scores are quantised over each list's own range, so a sorted list stays sorted (ties may merge).
// At 10⁵ titles, k=64, N=500: 20 + 128 + 1063 + 813 = 2024 bytes, inside jemalloc's 2 KiB size
// class (MEMORY USAGE ≈ 2.1 KB with the key; bench/score.ts measures it) — format 1 took 4.3 KB.
// Format 1 (still read, so a version written before the deploy keeps serving):
//   u8 format=1 | u8 reserved | u16 k | u32 n | f32 userVec[k] | u32 itemIndex[n] | f32 score[n]
// itemIndex refers to the version's `items` order.

/** Bits per stored score in format 2: 13 is the widest that keeps a 10⁵-title, k=64, N=500 list in the 2 KiB class; steps of range/8191. */
export const LIST_SCORE_BITS = 13;

export interface UserList {
  userVec: Float32Array; // k
  itemIndex: Uint32Array; // n, best first
  score: Float32Array; // n
}

/** Where the parts of an encoded list are (either format): read in place with listItem/listScore/listUserVec. */
export interface ListLayout {
  format: 1 | 2;
  k: number;
  n: number;
  vecOff: number;
  vecScale: number;
  idxOff: number;
  idxBits: number;
  scoreOff: number;
  scoreBits: number;
  scoreMin: number;
  scoreStep: number;
}

const HEADER1 = 8;
const HEADER2 = 20;
const packedBytes = (n: number, bits: number) => Math.ceil((n * bits) / 8);

/** Write field r (bits wide, ≤ 24) of a packed LSB-first bit array starting at byte `off`. */
function putBits(buf: Buffer, off: number, bits: number, r: number, v: number): void {
  let p = r * bits;
  for (let left = bits; left > 0; ) {
    const byte = off + (p >>> 3), sh = p & 7, take = Math.min(8 - sh, left);
    buf[byte] |= (v & ((1 << take) - 1)) << sh;
    v >>>= take;
    p += take;
    left -= take;
  }
}

/** Field r (bits wide, ≤ 24) of a packed LSB-first bit array starting at byte `off` (bytes past the buffer read as 0). */
function getBits(buf: Buffer, off: number, bits: number, r: number): number {
  const p = r * bits;
  const o = off + (p >>> 3);
  const word = (buf[o] | (buf[o + 1] << 8) | (buf[o + 2] << 16) | (buf[o + 3] << 24)) >>> (p & 7);
  return word & ((1 << bits) - 1);
}

export function encodeUserList(userVec: Float32Array, itemIndex: ArrayLike<number>, score: ArrayLike<number>, n = itemIndex.length): Buffer {
  const k = userVec.length;
  if (score.length < n || itemIndex.length < n) throw new RangeError(`need ${n} items and scores, got ${itemIndex.length} and ${score.length}`);
  if (n > 0xffff || k > 0xffff) throw new RangeError(`a list holds at most 65535 items and factors, got n=${n} k=${k}`);
  let maxIdx = 0, lo = Infinity, hi = -Infinity, vmax = 0;
  for (let r = 0; r < n; r++) {
    const i = itemIndex[r], s = score[r];
    if (!Number.isInteger(i) || i < 0 || i >= 1 << 24) throw new RangeError(`item index must be an integer in [0, 2^24), got ${i} at rank ${r}`);
    if (!Number.isFinite(s)) throw new RangeError(`score must be finite, got ${s} at rank ${r}`);
    if (i > maxIdx) maxIdx = i;
    if (s < lo) lo = s;
    if (s > hi) hi = s;
  }
  for (let j = 0; j < k; j++) vmax = Math.max(vmax, Math.abs(userVec[j]));
  if (!Number.isFinite(vmax)) throw new RangeError('user vector must be finite');
  if (n === 0) lo = hi = 0;
  const idxBits = Math.max(1, 32 - Math.clz32(maxIdx));
  const scoreBits = LIST_SCORE_BITS;
  const levels = (1 << scoreBits) - 1;
  const vecScale = vmax / 32767;
  const idxOff = HEADER2 + 2 * k;
  const scoreOff = idxOff + packedBytes(n, idxBits);
  const buf = Buffer.alloc(scoreOff + packedBytes(n, scoreBits));
  buf.writeUInt8(2, 0);
  buf.writeUInt8(idxBits, 1);
  buf.writeUInt8(scoreBits, 2);
  buf.writeUInt16LE(k, 4);
  buf.writeUInt16LE(n, 6);
  buf.writeFloatLE(vecScale, 8);
  buf.writeFloatLE(lo, 12);
  buf.writeFloatLE(hi, 16);
  for (let j = 0; j < k; j++) buf.writeInt16LE(vecScale > 0 ? Math.round(userVec[j] / vecScale) : 0, HEADER2 + 2 * j);
  // Quantise against the stored (float32) range, so decoding maps q = levels back to exactly scoreMax.
  const fLo = buf.readFloatLE(12), span = buf.readFloatLE(16) - fLo;
  for (let r = 0; r < n; r++) {
    putBits(buf, idxOff, idxBits, r, itemIndex[r]);
    const q = span > 0 ? Math.min(levels, Math.max(0, Math.round(((score[r] - fLo) / span) * levels))) : 0;
    putBits(buf, scoreOff, scoreBits, r, q);
  }
  return buf;
}

/** The layout of an encoded list (format 1 or 2), checked against its length; throws RangeError otherwise. Reads the header only. */
export function listLayout(buf: Buffer): ListLayout {
  const format = buf.length >= HEADER1 ? buf[0] : 0;
  if (format === 1) {
    const k = buf.readUInt16LE(2);
    const n = buf.readUInt32LE(4);
    if (buf.length !== HEADER1 + 4 * k + 8 * n) throw new RangeError(`user list length ${buf.length} ≠ ${HEADER1 + 4 * k + 8 * n} for k=${k} n=${n}`);
    return { format, k, n, vecOff: HEADER1, vecScale: 1, idxOff: HEADER1 + 4 * k, idxBits: 32, scoreOff: HEADER1 + 4 * k + 4 * n, scoreBits: 32, scoreMin: 0, scoreStep: 1 };
  }
  if (format === 2 && buf.length >= HEADER2) {
    const idxBits = buf[1], scoreBits = buf[2];
    const k = buf.readUInt16LE(4), n = buf.readUInt16LE(6);
    if (idxBits < 1 || idxBits > 24 || scoreBits < 1 || scoreBits > 24) throw new RangeError(`user list field widths out of range (index ${idxBits}, score ${scoreBits} bits)`);
    const idxOff = HEADER2 + 2 * k, scoreOff = idxOff + packedBytes(n, idxBits), len = scoreOff + packedBytes(n, scoreBits);
    if (buf.length !== len) throw new RangeError(`user list length ${buf.length} ≠ ${len} for k=${k} n=${n}`);
    const scoreMin = buf.readFloatLE(12);
    return { format, k, n, vecOff: HEADER2, vecScale: buf.readFloatLE(8), idxOff, idxBits, scoreOff, scoreBits, scoreMin, scoreStep: (buf.readFloatLE(16) - scoreMin) / ((1 << scoreBits) - 1) };
  }
  throw new RangeError(`not a user list (format byte ${format}, expected 1 or 2)`);
}

/** Item index at rank r of an encoded list, read in place. */
export function listItem(buf: Buffer, L: ListLayout, r: number): number {
  return L.format === 1 ? buf.readUInt32LE(L.idxOff + 4 * r) : getBits(buf, L.idxOff, L.idxBits, r);
}

/** Score at rank r of an encoded list, read in place. */
export function listScore(buf: Buffer, L: ListLayout, r: number): number {
  return L.format === 1 ? buf.readFloatLE(L.scoreOff + 4 * r) : L.scoreMin + getBits(buf, L.scoreOff, L.scoreBits, r) * L.scoreStep;
}

/** Copy the user vector of an encoded list into `out` (length ≤ k). */
export function listUserVec(buf: Buffer, L: ListLayout, out: Float32Array): Float32Array {
  if (L.format === 1) for (let j = 0; j < out.length; j++) out[j] = buf.readFloatLE(L.vecOff + 4 * j);
  else for (let j = 0; j < out.length; j++) out[j] = buf.readInt16LE(L.vecOff + 2 * j) * L.vecScale;
  return out;
}

/** Decode into fresh arrays (tools and tests; the API reads in place with listLayout). */
export function decodeUserList(buf: Buffer): UserList {
  const L = listLayout(buf);
  const itemIndex = new Uint32Array(L.n), score = new Float32Array(L.n);
  for (let r = 0; r < L.n; r++) {
    itemIndex[r] = listItem(buf, L, r);
    score[r] = listScore(buf, L, r);
  }
  return { userVec: listUserVec(buf, L, new Float32Array(L.k)), itemIndex, score };
}

/** A list in format 1 (what versions written before format 2 hold): for tests and benchmarks of the old layout. */
export function encodeUserListV1(userVec: Float32Array, itemIndex: ArrayLike<number>, score: ArrayLike<number>, n = itemIndex.length): Buffer {
  const k = userVec.length;
  const buf = Buffer.allocUnsafe(HEADER1 + 4 * k + 8 * n);
  buf.writeUInt8(1, 0);
  buf.writeUInt8(0, 1);
  buf.writeUInt16LE(k, 2);
  buf.writeUInt32LE(n, 4);
  let o = HEADER1;
  for (let i = 0; i < k; i++, o += 4) buf.writeFloatLE(userVec[i], o);
  for (let i = 0; i < n; i++, o += 4) buf.writeUInt32LE(itemIndex[i], o);
  for (let i = 0; i < n; i++, o += 4) buf.writeFloatLE(score[i], o);
  return buf;
}

export function encodeF32(a: Float32Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

export function decodeF32(buf: Buffer): Float32Array {
  return new Float32Array(new Uint8Array(buf).buffer.slice(0));
}

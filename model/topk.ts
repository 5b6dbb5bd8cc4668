// Partial top-N selection over a dense score vector with a binary min-heap (see scan() for the
// sampled threshold that keeps the heap small on long vectors). Order: higher score
// first; equal scores → lower index first, so the result equals a stable full sort by score.
// Excluded indices (a user's training items) and NaN scores are never selected.

const PACK = 2 ** 21;
const MAX_PACKED_INDEX = PACK; // vectors longer than this are ordered by heap pops instead

export class TopN {
  readonly n: number;
  private readonly hIdx: Int32Array; // heap of the n best so far; root = the worst of them
  private readonly hScore: Float32Array;
  private size = 0;
  private saved = new Float32Array(64);
  private readonly keys: Float64Array;
  private readonly f32 = new Float32Array(1);
  private readonly u32 = new Uint32Array(this.f32.buffer);

  constructor(n: number) {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`n must be a positive integer, got ${n}`);
    this.n = n;
    this.hIdx = new Int32Array(n);
    this.hScore = new Float32Array(n);
    this.keys = new Float64Array(n);
  }

  /**
   * Top-n of scores[from .. from+len) (indices relative to `from`), skipping `exclude` (indices in
   * [0, len), e.g. a Csr row; any order). Writes n indices and scores into outIdx/outScore at
   * `outOffset`, best first, padded with −1 / −Infinity when fewer than n can be chosen. Returns
   * how many were chosen. `scores` is left as it was.
   */
  select(
    scores: Float32Array,
    from: number,
    len: number,
    exclude: ArrayLike<number> | null,
    outIdx: Int32Array,
    outScore: Float32Array,
    outOffset = 0,
  ): number {
    const nEx = exclude ? exclude.length : 0;
    if (this.saved.length < nEx) this.saved = new Float32Array(Math.max(nEx, this.saved.length * 2));
    for (let j = 0; j < nEx; j++) {
      const i = exclude![j];
      if (i < 0 || i >= len) throw new RangeError(`excluded index ${i} is outside [0, ${len})`);
      this.saved[j] = scores[from + i];
      scores[from + i] = NaN;
    }
    const chosen = this.scan(scores, from, len);
    for (let j = nEx - 1; j >= 0; j--) scores[from + exclude![j]] = this.saved[j];
    // Pop the worst first: fill from the back.
    for (let p = this.n - 1; p >= chosen; p--) {
      outIdx[outOffset + p] = -1;
      outScore[outOffset + p] = -Infinity;
    }
    if (len > MAX_PACKED_INDEX) {
      for (let p = chosen - 1; p >= 0; p--) {
        outIdx[outOffset + p] = this.hIdx[0];
        outScore[outOffset + p] = this.hScore[0];
        this.pop();
      }
      return chosen;
    }
    // Order the chosen by one native numeric sort of packed keys: (order-preserving bits of the
    // score) · 2^21 + (2^21 − 1 − index) is larger exactly when the entry ranks higher, and stays
    // below 2^53, so it is an exact Float64.
    const keys = this.keys;
    for (let p = 0; p < chosen; p++) {
      this.f32[0] = this.hScore[p];
      const b = this.u32[0];
      const ordered = b & 0x80000000 ? ~b >>> 0 : (b | 0x80000000) >>> 0;
      keys[p] = ordered * PACK + (MAX_PACKED_INDEX - 1 - this.hIdx[p]);
    }
    const sorted = keys.subarray(0, chosen).sort();
    for (let p = 0; p < chosen; p++) {
      const i = MAX_PACKED_INDEX - 1 - (sorted[chosen - 1 - p] % PACK);
      outIdx[outOffset + p] = i;
      outScore[outOffset + p] = scores[from + i];
    }
    return chosen;
  }

  /**
   * Long vectors: a threshold from a strided sample (the m-th best of every 8th score, m chosen so
   * about 2n scores pass it), one branch-predictable pass collecting the scores ≥ threshold, then
   * the heap over those candidates only. Exact: everything left out scores below ≥ n candidates.
   * Falls back to the plain heap scan when the sample was unlucky (fewer than n candidates).
   */
  private scan(scores: Float32Array, from: number, len: number): number {
    const n = this.n, stride = 8;
    if (len < 16 * n) return this.heapScan(scores, from, len, null, len);
    const nSample = Math.floor(len / stride);
    const m = Math.min(n, Math.ceil((2 * n * nSample) / len));
    this.size = 0;
    for (let j = 0; j < nSample; j++) {
      const s = scores[from + j * stride];
      if (s !== s) continue;
      if (this.size < m) this.push(j * stride, s);
      else if (s > this.hScore[0]) this.replaceRoot(j * stride, s);
    }
    if (this.size === m) {
      const thr = this.hScore[0];
      if (this.cand.length < len) this.cand = new Int32Array(len);
      const cand = this.cand;
      let c = 0;
      for (let i = 0; i < len; i++) if (scores[from + i] >= thr) cand[c++] = i;
      if (c >= n) return this.heapScan(scores, from, c, cand, len);
    }
    return this.heapScan(scores, from, len, null, len);
  }

  private cand = new Int32Array(0);

  /** Heap top-n over positions list[0..count) (ascending), or over 0..count when list is null. */
  private heapScan(scores: Float32Array, from: number, count: number, list: Int32Array | null, _len: number): number {
    const n = this.n, hScore = this.hScore;
    this.size = 0;
    let j = 0;
    for (; j < count && this.size < n; j++) {
      const i = list ? list[j] : j;
      const s = scores[from + i];
      if (s !== s) continue; // NaN: excluded
      this.push(i, s);
    }
    if (this.size < n) return this.size;
    // Positions ascend, so an equal score never beats the root: strict > only.
    let root = hScore[0];
    if (list) {
      for (; j < count; j++) {
        const i = list[j];
        const s = scores[from + i];
        if (!(s > root)) continue;
        this.replaceRoot(i, s);
        root = hScore[0];
      }
    } else {
      for (; j < count; j++) {
        const s = scores[from + j];
        if (!(s > root)) continue;
        this.replaceRoot(j, s);
        root = hScore[0];
      }
    }
    return n;
  }

  /** Sift-up insert (the heap has room): worse = lower score, or equal score and higher index. */
  private push(idx: number, s: number): void {
    const hIdx = this.hIdx, hScore = this.hScore;
    let c = this.size++;
    while (c > 0) {
      const p = (c - 1) >> 1;
      if (hScore[p] < s || (hScore[p] === s && hIdx[p] > idx)) break;
      hIdx[c] = hIdx[p];
      hScore[c] = hScore[p];
      c = p;
    }
    hIdx[c] = idx;
    hScore[c] = s;
  }

  private replaceRoot(idx: number, s: number): void {
    const hIdx = this.hIdx, hScore = this.hScore, size = this.size;
    let c = 0;
    for (;;) {
      const l = 2 * c + 1;
      if (l >= size) break;
      const r = l + 1;
      // pick the worse child
      let w = l;
      if (r < size && (hScore[r] < hScore[l] || (hScore[r] === hScore[l] && hIdx[r] > hIdx[l]))) w = r;
      if (hScore[w] > s || (hScore[w] === s && hIdx[w] < idx)) break;
      hIdx[c] = hIdx[w];
      hScore[c] = hScore[w];
      c = w;
    }
    hIdx[c] = idx;
    hScore[c] = s;
  }

  private pop(): void {
    const last = --this.size;
    if (last <= 0) return;
    const idx = this.hIdx[last], s = this.hScore[last];
    this.replaceRoot(idx, s);
  }
}

/** Convenience: top-n of a whole score vector. */
export function topN(scores: Float32Array, n: number, exclude: ArrayLike<number> | null = null): { idx: Int32Array; score: Float32Array } {
  const idx = new Int32Array(n), score = new Float32Array(n);
  new TopN(n).select(scores, 0, scores.length, exclude, idx, score, 0);
  return { idx, score };
}

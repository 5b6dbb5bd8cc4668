// Seeded pseudo-random numbers for the synthetic world: xoshiro128** (Blackman & Vigna 2018)
// seeded through splitmix32. 32-bit integer arithmetic only (Math.imul), so a seed gives
// the same stream on every machine and Node version. Not for cryptography.

/** splitmix32 step: a well-mixed 32-bit value from any 32-bit state (used to seed and to hash). */
export function mix32(x: number): number {
  x = (x + 0x9e3779b9) | 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/**
 * A deterministic generator. `new Rng(seed, stream)` gives independent streams for the same
 * seed (e.g. one per user), so parts of the world can be drawn in any order without
 * changing each other.
 */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spareNormal = NaN;

  constructor(seed: number, stream = 0) {
    if (!Number.isFinite(seed) || !Number.isFinite(stream)) throw new RangeError(`seed and stream must be finite numbers, got ${seed}, ${stream}`);
    // Fold the (possibly > 32-bit) seed and the stream number into four state words.
    let s = mix32((seed >>> 0) ^ mix32(Math.floor(seed / 4294967296) >>> 0));
    s = mix32(s ^ mix32((stream >>> 0) + 0x632be5ab));
    this.a = s = mix32(s);
    this.b = s = mix32(s);
    this.c = s = mix32(s);
    this.d = mix32(s);
    if ((this.a | this.b | this.c | this.d) === 0) this.d = 1; // the all-zero state is a fixed point
  }

  /** Next uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const r = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return r;
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  float(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.float();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    if (!(n >= 1)) throw new RangeError(`int(n) needs n ≥ 1, got ${n}`);
    return Math.floor(this.float() * n);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.float() < p;
  }

  /** Standard normal (Marsaglia polar method; the second value of each pair is kept). */
  normal(): number {
    if (!Number.isNaN(this.spareNormal)) {
      const v = this.spareNormal;
      this.spareNormal = NaN;
      return v;
    }
    let u: number, v: number, s: number;
    do {
      u = 2 * this.float() - 1;
      v = 2 * this.float() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const f = Math.sqrt((-2 * Math.log(s)) / s);
    this.spareNormal = v * f;
    return u * f;
  }

  /** Exponential with the given mean. */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.float());
  }

  /** Poisson-distributed count (Knuth for small means, rounded normal approximation above 50). */
  poisson(mean: number): number {
    if (mean <= 0) return 0;
    if (mean > 50) return Math.max(0, Math.round(mean + Math.sqrt(mean) * this.normal()));
    const limit = Math.exp(-mean);
    let k = 0;
    let p = this.float();
    while (p > limit) {
      k++;
      p *= this.float();
    }
    return k;
  }

  /** Index drawn with probability proportional to weights[i] (linear scan; for short lists). */
  weightedIndex(weights: ArrayLike<number>, total?: number): number {
    let sum = total ?? 0;
    if (total === undefined) for (let i = 0; i < weights.length; i++) sum += weights[i];
    let x = this.float() * sum;
    for (let i = 0; i < weights.length; i++) {
      x -= weights[i];
      if (x < 0) return i;
    }
    return weights.length - 1;
  }

  /** In-place Fisher–Yates shuffle. */
  shuffle<T extends { length: number; [i: number]: unknown }>(arr: T): T {
    for (let i = arr.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = arr[i];
      arr[i] = arr[j];
      arr[j] = t;
    }
    return arr;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** Index of the first entry of an ascending cumulative array that exceeds x (binary search). */
export function searchCumulative(cum: Float64Array, n: number, x: number): number {
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cum[mid] > x) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * Weighted sampling with updates (a Fenwick tree over non-negative weights): build O(n), draw and
 * change one weight O(log n). Used where a user's pull toward each title changes as they watch.
 */
export class WeightedSampler {
  readonly n: number;
  private readonly tree: Float64Array; // n + 1, 1-based Fenwick sums
  private readonly w: Float64Array; // n, current weights
  private topStep: number;
  total = 0;

  constructor(n: number) {
    if (!(n >= 1)) throw new RangeError(`WeightedSampler needs n ≥ 1, got ${n}`);
    this.n = n;
    this.tree = new Float64Array(n + 1);
    this.w = new Float64Array(n);
    this.topStep = 1;
    while (this.topStep * 2 <= n) this.topStep *= 2;
  }

  /** Replace all weights by a_i · b_i (entries ≥ 0); call rebuild() before sampling. */
  setProduct(a: Float64Array, b: Float64Array): void {
    const { n, w } = this;
    for (let i = 0; i < n; i++) w[i] = a[i] * b[i];
  }

  /** Replace all weights (entries ≥ 0) and rebuild. */
  build(weights: ArrayLike<number>): void {
    for (let i = 0; i < this.n; i++) this.w[i] = weights[i];
    this.rebuild();
  }

  /** The current weights, to edit in place before rebuild(). */
  get weights(): Float64Array {
    return this.w;
  }

  /** Recompute the tree and the total after weights were edited in place. */
  rebuild(): void {
    const { n, tree, w } = this;
    tree.fill(0);
    let total = 0;
    for (let i = 1; i <= n; i++) {
      const x = w[i - 1];
      total += x;
      tree[i] += x;
      const j = i + (i & -i);
      if (j <= n) tree[j] += tree[i];
    }
    this.total = total;
  }

  weight(i: number): number {
    return this.w[i];
  }

  /** w_i ← w_i · factor. */
  scale(i: number, factor: number): void {
    const delta = this.w[i] * (factor - 1);
    this.w[i] += delta;
    this.total += delta;
    for (let j = i + 1; j <= this.n; j += j & -j) this.tree[j] += delta;
  }

  /** Index i with P(i) = w_i / total, from a uniform u ∈ [0, 1). */
  sample(u: number): number {
    let x = u * this.total;
    let pos = 0;
    for (let step = this.topStep; step > 0; step >>= 1) {
      const next = pos + step;
      if (next <= this.n && this.tree[next] <= x) {
        pos = next;
        x -= this.tree[next];
      }
    }
    return Math.min(pos, this.n - 1);
  }
}

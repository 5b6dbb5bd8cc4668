// Percentile bootstrap over users: 95 % intervals of a mean and of a paired difference of means.
// Users are the unit of resampling (their metrics are independent draws; items within a user
// are not), so an interval says how much the figure would move with another sample of users.
// One seeded PRNG (model/random.ts): the same data give the same interval every run.
import { mulberry32 } from './random';

/** Bootstrap settings: resamples and seed (named configuration: EVAL_BOOTSTRAP_SAMPLES). */
export interface BootstrapOptions {
  samples: number;
  seed: number;
  /** Two-sided coverage; 0.95 → the 2.5 % and 97.5 % percentiles. */
  level?: number;
}

export interface Interval {
  n: number;
  mean: number;
  lo: number;
  hi: number;
}

/** Resampled means of `x` (B draws of n indices with replacement) — the shared kernel. */
function resampledMeans(xs: Float64Array[], o: BootstrapOptions): Float64Array[] {
  const n = xs[0].length;
  const out = xs.map(() => new Float64Array(o.samples));
  if (n === 0) return out;
  const rand = mulberry32(o.seed >>> 0);
  const sums = new Float64Array(xs.length);
  for (let b = 0; b < o.samples; b++) {
    sums.fill(0);
    for (let j = 0; j < n; j++) {
      const i = Math.floor(rand() * n);
      for (let s = 0; s < xs.length; s++) sums[s] += xs[s][i];
    }
    for (let s = 0; s < xs.length; s++) out[s][b] = sums[s] / n;
  }
  return out;
}

function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = q * (sorted.length - 1);
  const a = Math.floor(pos), b = Math.ceil(pos);
  return sorted[a] + (sorted[b] - sorted[a]) * (pos - a);
}

const mean = (x: Float64Array) => {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  return x.length ? s / x.length : NaN;
};

/** 95 % percentile-bootstrap interval of the mean of per-user values `x`. */
export function bootstrapMean(x: Float64Array, o: BootstrapOptions): Interval {
  const [m] = resampledMeans([x], o);
  m.sort();
  const a = (1 - (o.level ?? 0.95)) / 2;
  return { n: x.length, mean: mean(x), lo: percentile(m, a), hi: percentile(m, 1 - a) };
}

/** Intervals of several per-user series at once, on one shared set of resampled users. */
export function bootstrapMeans(xs: Float64Array[], o: BootstrapOptions): Interval[] {
  if (xs.length === 0) return [];
  const ms = resampledMeans(xs, o);
  const a = (1 - (o.level ?? 0.95)) / 2;
  return xs.map((x, s) => {
    const m = ms[s].sort();
    return { n: x.length, mean: mean(x), lo: percentile(m, a), hi: percentile(m, 1 - a) };
  });
}

/** A paired comparison of system A against baseline B on the same users (one value each). */
export interface PairedComparison {
  n: number;
  a: number; // mean of A
  b: number; // mean of B
  diff: number; // mean(A − B)
  diffLo: number;
  diffHi: number;
  /** Relative lift mean(A)/mean(B) − 1 and its interval (the ratio of resampled means). */
  lift: number;
  liftLo: number;
  liftHi: number;
}

/**
 * Paired bootstrap: resample users, recompute mean(A), mean(B) on the same draw. The difference's
 * interval is narrow when A and B move together per user (most of the variance is the user's),
 * which is why the gate pairs instead of comparing two separate intervals.
 */
export function pairedComparison(a: Float64Array, b: Float64Array, o: BootstrapOptions): PairedComparison {
  if (a.length !== b.length) throw new RangeError(`paired samples need equal lengths, got ${a.length} and ${b.length}`);
  const n = a.length;
  const ma = mean(a), mb = mean(b);
  if (n === 0) return { n, a: NaN, b: NaN, diff: NaN, diffLo: NaN, diffHi: NaN, lift: NaN, liftLo: NaN, liftHi: NaN };
  const [ra, rb] = resampledMeans([a, b], o);
  const d = new Float64Array(o.samples);
  const l = new Float64Array(o.samples);
  for (let s = 0; s < o.samples; s++) {
    d[s] = ra[s] - rb[s];
    l[s] = rb[s] > 0 ? ra[s] / rb[s] - 1 : ra[s] > 0 ? Infinity : 0;
  }
  d.sort();
  l.sort();
  const q = (1 - (o.level ?? 0.95)) / 2;
  return {
    n,
    a: ma,
    b: mb,
    diff: ma - mb,
    diffLo: percentile(d, q),
    diffHi: percentile(d, 1 - q),
    lift: mb > 0 ? ma / mb - 1 : ma > 0 ? Infinity : 0,
    liftLo: percentile(l, q),
    liftHi: percentile(l, 1 - q),
  };
}

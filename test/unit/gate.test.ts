import { describe, expect, it } from 'vitest';
import { bootstrapMean, pairedComparison } from '../../model/bootstrap';
import { decideGate, decideLightStrategy, decideRanker, decideRelease, nonRegression, superiority } from '../../model/gate';
import { mulberry32 } from '../../model/random';

const o = { samples: 1000, seed: 7 };
/** n per-user NDCG-like values around `mean` (clipped to [0, 1]), seeded. */
function users(n: number, mean: number, seed: number, spread = 0.2): Float64Array {
  const r = mulberry32(seed);
  return Float64Array.from({ length: n }, () => Math.min(1, Math.max(0, mean + (r() - 0.5) * 2 * spread)));
}
const plus = (x: Float64Array, d: number) => x.map((v) => v + d);

describe('bootstrap intervals over users', () => {
  it('cover the mean and narrow as the sample grows', () => {
    const small = bootstrapMean(users(50, 0.3, 1), o);
    const big = bootstrapMean(users(5000, 0.3, 1), o);
    expect(small.lo).toBeLessThan(small.mean);
    expect(small.hi).toBeGreaterThan(small.mean);
    expect(big.hi - big.lo).toBeLessThan((small.hi - small.lo) / 5);
    expect(big.n).toBe(5000);
  });

  it('pair the users: a constant per-user gain has a zero-width difference interval however noisy the users are', () => {
    const b = users(300, 0.3, 2, 0.3);
    const c = pairedComparison(plus(b, 0.05), b, o);
    expect(c.diff).toBeCloseTo(0.05, 10);
    expect(c.diffLo).toBeCloseTo(0.05, 10);
    expect(c.diffHi).toBeCloseTo(0.05, 10);
    expect(c.liftLo).toBeGreaterThan(0);
  });

  it('refuse unpaired samples', () => {
    expect(() => pairedComparison(new Float64Array(3), new Float64Array(4), o)).toThrow(RangeError);
  });
});

describe('the gate decides on the interval of the paired difference', () => {
  const pop = users(2000, 0.1, 3);
  it('passes a candidate clearly better than popularity, and says the sample size and interval', () => {
    const c = superiority('vs_popularity', 'ndcg_10', plus(pop, 0.05), pop, 0, o, ['shipped', 'popularity']);
    expect(c.outcome).toBe('pass');
    expect(c.reason).toMatch(/n=2000/);
    expect(c.reason).toMatch(/95% CI \[\+\d/);
  });

  it('fails a candidate clearly worse than popularity', () => {
    expect(superiority('vs_popularity', 'ndcg_10', plus(pop, -0.03), pop, 0, o, ['shipped', 'popularity']).outcome).toBe('fail');
  });

  it('is inconclusive on a handful of noisy users', () => {
    const few = users(20, 0.1, 4, 0.1);
    const noisy = users(20, 0.11, 5, 0.1);
    expect(superiority('vs_popularity', 'ndcg_10', noisy, few, 0, o, ['shipped', 'popularity']).outcome).toBe('inconclusive');
  });

  it('holds back a clear regression against live, but not noise around it', () => {
    const live = users(2000, 0.2, 6);
    expect(nonRegression('vs_live', 'ndcg_10', plus(live, -0.02), live, 0.02, o, ['shipped', 'live']).outcome).toBe('fail');
    expect(nonRegression('vs_live', 'ndcg_10', plus(live, 0.001), live, 0.02, o, ['shipped', 'live']).outcome).toBe('pass');
    const d = decideGate(superiority('vs_popularity', 'ndcg_10', plus(pop, 0.05), pop, 0, o, ['shipped', 'popularity']), [nonRegression('vs_live', 'ndcg_10', plus(live, -0.02), live, 0.02, o, ['shipped', 'live'])]);
    expect(d.outcome).toBe('fail');
    expect(d.reason).toMatch(/^fail: vs live: .*regresses/);
  });

  it('an unchanged system against live (identical lists) can still pass, and a changed one can still fail: the check is never skipped', () => {
    const live = users(500, 0.2, 8);
    expect(nonRegression('vs_live', 'ndcg_10', live, live, 0.02, o, ['shipped', 'live']).outcome).toBe('pass');
  });
});

describe('a ranker that re-sorts everything', () => {
  it('does not pass the gate when the retrieval order alone does not beat popularity (its factors ship too)', () => {
    const pop = users(1000, 0.1, 14);
    const shipped = superiority('vs_popularity', 'ndcg_10', plus(pop, 0.05), pop, 0, o, ['shipped', 'popularity']);
    const retrieval = superiority('retrieval_vs_popularity', 'ndcg_10', plus(pop, -0.04), pop, 0, o, ['retrieval order', 'popularity']);
    const d = decideGate([shipped, retrieval]);
    expect(d.outcome).toBe('fail');
    expect(d.reason).toMatch(/^fail: retrieval vs popularity: retrieval order /);
    expect(decideGate([shipped, superiority('retrieval_vs_popularity', 'ndcg_10', plus(pop, 0.03), pop, 0, o, ['retrieval order', 'popularity'])]).outcome).toBe('pass');
  });
});

describe('the release policy', () => {
  const pass = decideGate(superiority('vs_popularity', 'ndcg_10', plus(users(500, 0.1, 9), 0.05), users(500, 0.1, 9), 0, o, ['a', 'b']));
  const fail = decideGate(superiority('vs_popularity', 'ndcg_10', plus(users(500, 0.1, 9), -0.05), users(500, 0.1, 9), 0, o, ['a', 'b']));
  const unsure = decideGate(superiority('vs_popularity', 'ndcg_10', users(10, 0.1, 10), users(10, 0.1, 11), 0, o, ['a', 'b']));
  it('publishes on pass', () => expect(decideRelease(pass, 'v1').action).toBe('publish'));
  it('keeps live on fail or inconclusive', () => {
    expect(decideRelease(fail, 'v1').action).toBe('keep_live');
    expect(unsure.outcome).toBe('inconclusive');
    expect(decideRelease(unsure, 'v1').action).toBe('keep_live');
  });
  it('publishes a baseline when nothing is live, so a feed is never empty', () => {
    expect(decideRelease(fail, null)).toMatchObject({ action: 'publish_baseline', reason: expect.stringMatching(/^baseline published/) });
    expect(decideRelease(unsure, null).action).toBe('publish_baseline');
  });
});

describe('the ranked order and the light users', () => {
  it('ships the ranked order only when it beats the retrieval order', () => {
    const r = users(1000, 0.2, 12);
    expect(decideRanker(superiority('ranked_vs_retrieval', 'ndcg_10', plus(r, 0.02), r, 0, o, ['ranked', 'retrieval'])).ranked).toBe(true);
    const off = decideRanker(superiority('ranked_vs_retrieval', 'ndcg_10', plus(r, -0.02), r, 0, o, ['ranked', 'retrieval']));
    expect(off.ranked).toBe(false);
    expect(off.reason).toMatch(/^ranker off: ranked 0\.\d+ vs retrieval 0\.\d+/);
    expect(decideRanker(null, 'not trained').reason).toBe('ranker off: not trained');
  });

  it('gives light users a baseline only where it is significantly better on them', () => {
    const model = users(1000, 0.2, 13);
    const light = Uint8Array.from({ length: 1000 }, (_, j) => (j < 400 ? 1 : 0));
    const popBetterOnLight = model.map((v, j) => (j < 400 ? v + 0.05 : v - 0.1));
    expect(decideLightStrategy(model, { popularity: popBetterOnLight, trending: plus(model, -0.01) }, light, o).strategy).toBe('popularity');
    expect(decideLightStrategy(model, { popularity: plus(model, -0.01) }, light, o).strategy).toBe('model');
  });
});

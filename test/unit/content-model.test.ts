import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  buildContentVocabulary,
  contentFeatureDim,
  evaluateContentModel,
  evaluateFactorPredictions,
  featurizeTitles,
  fnv1a32,
  titleWords,
  trainContentModel,
  type ContentModel,
} from '../../model/content';
import { mulberry32 } from '../../model/ranker';
import { initTf } from '../../model/tf-backend';
import type { Title } from '../../model/types';
import { loadContentModel, saveContentModel } from '../../storage/tf-models';

function title(id: string, genres: string[], extra: Partial<Title> = {}): Title {
  return { movie_id: id, title: `Title ${id}`, year: 2000, genres, tags: [], duration_seconds: 6000, added_at: '2024-01-01T00:00:00Z', ...extra };
}

/**
 * A synthetic catalog whose factors are a function of genres: f = popularity · (Σ_g E_g + noise),
 * with a random genre embedding E. Tags and years are noise. Users have random factors; a title's
 * watchers are the 40 users with the highest noisy affinity u·f.
 */
function syntheticWorld(seed: number) {
  const rand = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  const G = 10, k = 8, nTitles = 1200, nUsers = 2000;
  const E = Array.from({ length: G }, () => Array.from({ length: k }, gauss));
  const titles: Title[] = [];
  const factors = new Float32Array(nTitles * k);
  for (let i = 0; i < nTitles; i++) {
    const gs = new Set<number>();
    const m = 1 + Math.floor(rand() * 3);
    while (gs.size < m) gs.add(Math.floor(rand() * G));
    const popularity = Math.exp(0.7 * gauss());
    for (let j = 0; j < k; j++) {
      let v = 0.4 * gauss();
      for (const g of gs) v += E[g][j];
      factors[i * k + j] = popularity * v;
    }
    titles.push(title(`m${i}`, [...gs].map((g) => `Genre ${g}`), { year: 1970 + Math.floor(rand() * 50), tags: rand() < 0.5 ? [`noise ${Math.floor(rand() * 40)}`] : [] }));
  }
  const userFactors = Float32Array.from({ length: nUsers * k }, gauss);
  const indptr = new Int32Array(nTitles + 1);
  const indices: number[] = [];
  for (let t = 0; t < nTitles; t++) {
    const norm = Math.max(1e-9, Math.hypot(...factors.subarray(t * k, t * k + k)));
    const affinity = Array.from({ length: nUsers }, (_, u) => {
      let s = 0;
      for (let j = 0; j < k; j++) s += userFactors[u * k + j] * factors[t * k + j];
      return [s / norm + 1.5 * gauss(), u] as const;
    });
    affinity.sort((a, b) => b[0] - a[0]);
    indices.push(...affinity.slice(0, 40).map(([, u]) => u).sort((a, b) => a - b));
    indptr[t + 1] = indices.length;
  }
  return { titles, factors, k, userFactors, nUsers, watchers: { indptr, indices: Int32Array.from(indices) } };
}

describe('the content → factor model', () => {
  const world = syntheticWorld(11);
  const nWarm = 1000;
  const warm = world.titles.slice(0, nWarm);
  const heldOut = world.titles.slice(nWarm);
  const heldOutFactors = world.factors.slice(nWarm * world.k);
  // Watchers of the held-out titles only, re-based to start at row 0.
  const base = world.watchers.indptr[nWarm];
  const heldOutWatchers = {
    indptr: Int32Array.from(world.watchers.indptr.subarray(nWarm), (p) => p - base),
    indices: world.watchers.indices.subarray(base),
  };
  let model: ContentModel;

  beforeAll(async () => {
    vi.spyOn(console, 'info').mockImplementation(() => undefined);
    await initTf('wasm');
    model = await trainContentModel(warm, world.factors.slice(0, nWarm * world.k), world.k, { maxEpochs: 40, seed: 3 });
  });
  afterAll(() => {
    model?.dispose();
    vi.restoreAllMocks();
  });

  it('recovers factors that are a function of genres: held-out cosine is far above a shuffled baseline', () => {
    const ev = evaluateContentModel(model, heldOut, heldOutFactors, world.userFactors, heldOutWatchers, { withOracle: false });
    expect(ev.nTitles).toBe(heldOut.length);
    expect(ev.meanCosine).toBeGreaterThan(0.8);
    expect(ev.meanCosine - ev.shuffledMeanCosine).toBeGreaterThan(0.5);
  });

  it("puts held-out titles' real watchers in the predicted top-A audience at least 3× as often as a random audience", () => {
    const ev = evaluateContentModel(model, heldOut, heldOutFactors, world.userFactors, heldOutWatchers, { audienceSize: 200 });
    expect(ev.randomHitRate).toBeCloseTo(200 / world.nUsers, 12);
    expect(ev.nWatchers).toBe(heldOut.length * 40);
    expect(ev.lift).toBeGreaterThan(3);
    expect(ev.oracleLift).toBeGreaterThan(3);
    expect(ev.lift).toBeLessThanOrEqual(ev.oracleLift * 1.05);
  });

  it('gives every embedded vector the median warm factor norm, so scores sit on the warm scale', () => {
    const v = model.embed(heldOut.slice(0, 5));
    for (let r = 0; r < 5; r++) expect(Math.hypot(...v.subarray(r * world.k, (r + 1) * world.k))).toBeCloseTo(model.outputNorm, 4);
    expect(model.outputNorm).toBeGreaterThan(0);
  });

  it('embeds identically after a save and load round trip, vocabulary included', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'content-'));
    try {
      await saveContentModel(model, dir);
      const loaded = await loadContentModel(dir);
      expect(loaded.vocabulary).toEqual(model.vocabulary);
      expect(loaded.k).toBe(world.k);
      const a = model.embed(heldOut);
      const b = loaded.embed(heldOut);
      let maxDiff = 0;
      for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
      expect(maxDiff).toBeLessThan(1e-6);
      loaded.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('skips warm titles whose factor is zero (no direction to learn) instead of training on them', async () => {
    const titles = warm.slice(0, 60);
    const f = world.factors.slice(0, 60 * world.k);
    f.fill(0, 0, 10 * world.k);
    const m = await trainContentModel(titles, f, world.k, { maxEpochs: 1 });
    expect(m.nTrain + m.nValid).toBe(50);
    m.dispose();
  });

  it('refuses factors whose length does not match titles × k', async () => {
    await expect(trainContentModel(warm.slice(0, 10), new Float32Array(79), 8)).rejects.toThrow(/itemFactors must hold titles × k = 10 × 8 = 80 values, got 79/);
  });
});

describe('content features', () => {
  const training = [title('a', ['Drama', 'Comedy'], { year: 1990 }), title('b', ['drama '], { year: 2010 }), title('c', ['Horror'], { year: null })];
  const vocab = buildContentVocabulary(training, { tagBuckets: 16, wordBuckets: 8, yearBucketYears: 10 });

  it('builds a sorted, normalised genre vocabulary from the training titles', () => {
    expect(vocab.genres).toEqual(['comedy', 'drama', 'horror']);
    expect(vocab.yearMin).toBe(1990);
    expect(vocab.yearMax).toBe(2010);
  });

  it('multi-hot encodes known genres and flags an unseen one instead of dropping it silently', () => {
    const x = featurizeTitles([title('n', ['Comedy', 'Space Western'])], vocab);
    expect(x).toHaveLength(contentFeatureDim(vocab));
    expect(Array.from(x.subarray(0, 4))).toEqual([1, 0, 0, 1]); // comedy, drama, horror, unknown
  });

  it('marks a missing year and puts a known year in its bucket, clamping years outside the training range', () => {
    const [missing, early] = [featurizeTitles([title('x', [], { year: null })], vocab), featurizeTitles([title('y', [], { year: 1800 })], vocab)];
    const yearMissing = 5; // after 3 genres, unknown flag, year z
    const firstBucket = 6;
    expect(missing[yearMissing]).toBe(1);
    expect(early[yearMissing]).toBe(0);
    expect(early[firstBucket]).toBe(1);
  });

  it('hashes tags into a unit-norm block that is the same for the same tags in any order', () => {
    const a = featurizeTitles([title('p', [], { tags: ['Time Travel', 'heist'] })], vocab);
    const b = featurizeTitles([title('q', [], { tags: ['heist', ' time  travel'] })], vocab);
    const dim = contentFeatureDim(vocab);
    const tagBlock = (x: Float32Array) => x.subarray(dim - 16 - 8, dim - 8);
    expect(Array.from(tagBlock(a))).toEqual(Array.from(tagBlock(b)));
    expect(Math.hypot(...tagBlock(a))).toBeCloseTo(1, 6);
  });

  it('uses FNV-1a 32-bit as documented (reference values)', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });

  it('drops stopwords and single letters from title words but keeps sequel numbers', () => {
    expect(titleWords('The Lord of the Rings: The Return of the King 2')).toEqual(['lord', 'rings', 'return', 'king', '2']);
  });
});

describe('audience hit rate', () => {
  beforeAll(async () => {
    vi.spyOn(console, 'info').mockImplementation(() => undefined);
    await initTf('wasm');
  });

  // Four users on a line (k = 1) with scores 1, 2, 3, 4 · v; audience A = 2.
  const users = Float32Array.from([1, 2, 3, 4]);
  const watchers = { indptr: Int32Array.from([0, 2]), indices: Int32Array.from([0, 3]) };

  it('counts the watchers inside the top-A users by predicted score, against the random rate A / nUsers', () => {
    // v = +1 → audience {2, 3}: watcher 3 is in, watcher 0 is not.
    const up = evaluateFactorPredictions(Float32Array.from([1]), Float32Array.from([1]), users, 1, watchers, { audienceSize: 2 });
    expect(up.audienceHitRate).toBeCloseTo(0.5, 12);
    expect(up.randomHitRate).toBeCloseTo(0.5, 12);
    expect(up.lift).toBeCloseTo(1, 12);
    // Predicted v = −1 picks audience {0, 1}; the real factor +1 (oracle) picks {2, 3}.
    const down = evaluateFactorPredictions(Float32Array.from([-1]), Float32Array.from([1]), users, 1, watchers, { audienceSize: 2 });
    expect(down.audienceHitRate).toBeCloseTo(0.5, 12);
    expect(down.oracleHitRate).toBeCloseTo(0.5, 12);
    expect(down.meanCosine).toBeCloseTo(-1, 12);
  });

  it('shares the last audience seats among tied users, so ties never inflate the rate', () => {
    // Scores 1, 1, 1, 0 with A = 2: three users tie for two seats, each is in with probability 2/3.
    const tied = Float32Array.from([1, 1, 1, 0]);
    const ev = evaluateFactorPredictions(Float32Array.from([1]), Float32Array.from([1]), tied, 1, { indptr: Int32Array.from([0, 1]), indices: Int32Array.from([0]) }, { audienceSize: 2 });
    expect(ev.audienceHitRate).toBeCloseTo(2 / 3, 6);
  });
});

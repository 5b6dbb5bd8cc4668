import { describe, expect, it } from 'vitest';
import { parseVariants } from '../../api/ab';
import { feedRerankKnobs, rerankCandidates, type Candidate } from '../../api/feed';
import { normalizeRows, rerankItems, rerankList, type RerankKnobs } from '../../model/diversity';
import { csrValue, watchTimeAt10 } from '../../model/evaluate';
import { FeatureBuilder, retrievalView } from '../../model/features';
import { mulberry32 } from '../../model/random';
import { factorRecommender } from '../../model/recommend';
import { rankedRecommender, type Scorer } from '../../model/rerank';
import { syntheticSnapshot } from '../../model/synthetic-snapshot';
import type { Csr } from '../../model/types';

const csr = (rows: [number, number][][], nCols: number): Csr => {
  const indptr = new Int32Array(rows.length + 1);
  const idx: number[] = [], val: number[] = [];
  rows.forEach((r, u) => {
    for (const [c, v] of r) {
      idx.push(c);
      val.push(v);
    }
    indptr[u + 1] = idx.length;
  });
  return { nRows: rows.length, nCols, indptr, indices: Int32Array.from(idx), values: Float32Array.from(val) };
};

describe('expected watch time@10', () => {
  it('sums the held-out completion of the hits in the top 10 only', () => {
    const holdout = csr([[[2, 5], [7, 9], [30, 1]], [[1, 3]]], 40);
    const completion = csr([[[2, 0.5], [7, 1], [30, 0.9]], [[1, 0.25]]], 40);
    // user 0: hits 2 and 7 in the top 10, 30 below it; user 1: no hit.
    const top = Int32Array.from([2, 3, 4, 5, 6, 8, 9, 10, 11, 7, 30, -1, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
    const wt = watchTimeAt10(top, 12, Int32Array.from([0, 1]), holdout, completion);
    expect(wt[0]).toBeCloseTo(1.5, 6);
    expect(wt[1]).toBe(0);
    expect(csrValue(completion, 0, 30)).toBeCloseTo(0.9, 6);
    expect(Number.isNaN(csrValue(completion, 1, 2))).toBe(true);
  });
});

describe('the ranked order with a completion objective', () => {
  const nUsers = 60, nItems = 400, k = 8, nc = 50, n = 20;
  const r = mulberry32(3);
  const userFactors = Float32Array.from({ length: nUsers * k }, () => r() - 0.5);
  const itemFactors = Float32Array.from({ length: nItems * k }, () => r() - 0.5);
  const snap = syntheticSnapshot(nUsers, nItems, 4);
  const builder = new FeatureBuilder(snap, retrievalView(k, userFactors, itemFactors), nc);
  const empty: Csr = { nRows: nUsers, nCols: nItems, indptr: new Int32Array(nUsers + 1), indices: new Int32Array(0), values: new Float32Array(0) };
  const users = Int32Array.from({ length: nUsers }, (_, u) => u);
  // p(watch) from the retrieval score column, E[completion] from another feature: two different orders.
  const scorer = (col: number): Scorer => ({
    featureNames: Array.from({ length: builder.d }, (_, j) => `f${j}`),
    predict: (x, m) => Float32Array.from({ length: m }, (_, i) => 1 / (1 + Math.exp(-x[i * builder.d + col]))),
  });
  const p = scorer(0), c = scorer(builder.d - 1);
  const base = factorRecommender('ials', k, userFactors, itemFactors, 1);

  it('w = 0 gives exactly today\'s lists, and w > 0 orders by p × c^w', async () => {
    const today = await rankedRecommender(base, p, builder, nc).topN(users, empty, n);
    const w0 = await rankedRecommender(base, p, builder, nc, undefined, { completion: c, weight: 0 }).topN(users, empty, n);
    expect(Array.from(w0.idx)).toEqual(Array.from(today.idx));
    expect(Array.from(w0.score)).toEqual(Array.from(today.score));
    const w2 = await rankedRecommender(base, p, builder, nc, undefined, { completion: c, weight: 2 }).topN(users, empty, n);
    expect(Array.from(w2.idx)).not.toEqual(Array.from(today.idx));
    for (let u = 0; u < nUsers; u++) for (let j = 1; j < n; j++) expect(w2.score[u * n + j]).toBeLessThanOrEqual(w2.score[u * n + j - 1]);
    // A listed score is p × c²: recompute it for the user's first title.
    const first = w2.idx[0];
    const x = new Float32Array(builder.d);
    const cand = await base.topN(users.subarray(0, 1), empty, nc);
    const rank = Array.from(cand.idx).indexOf(first);
    builder.rows(0, Int32Array.of(first), Float32Array.of(cand.score[rank]), Int32Array.of(rank), 1, x, 0);
    expect(w2.score[0]).toBeCloseTo(p.predict(x, 1)[0] * c.predict(x, 1)[0] ** 2, 5);
  });
});

describe('the diversity / freshness re-rank', () => {
  // Six titles: 0–3 near-duplicates of genre 0, 4 and 5 elsewhere (genre 1); title 5 is brand new.
  const unit = normalizeRows(Float32Array.from([1, 0, 0.99, 0.1, 0.98, 0.12, 0.97, 0.15, 0, 1, 0.1, 0.99]), 2);
  const genres = csr([[[0, 1]], [[0, 1]], [[0, 1]], [[0, 1]], [[1, 1]], [[1, 1]]], 2);
  const items = rerankItems(unit, 2, genres, [0, 0, 0, 0, 0, 1]);
  const idx = Int32Array.from([0, 1, 2, 3, 4, 5]), score = Float32Array.from([1, 0.9, 0.8, 0.7, 0.6, 0.1]);
  const run = (o: Partial<RerankKnobs>) => {
    const outI = new Int32Array(6), outS = new Float32Array(6);
    rerankList(idx, score, 6, items, { diversity: 0, genreCap: 0, freshness: 0, depth: 6, ...o }, outI, outS);
    return Array.from(outI);
  };

  it('leaves the list alone with every knob at 0', () => expect(run({})).toEqual([0, 1, 2, 3, 4, 5]));

  it('caps a genre in the re-ranked positions, and yields when only that genre is left', () => {
    expect(run({ genreCap: 2 })).toEqual([0, 1, 4, 5, 2, 3]);
  });

  it('lifts a brand-new title with the freshness boost, and unlike titles with diversity', () => {
    expect(run({ freshness: 2 }).indexOf(5)).toBeLessThan(2);
    expect(run({ diversity: 0.6 }).slice(0, 2)).toEqual([0, 4]);
  });

  it('in the feed: a variant overrides the configured knobs, and the re-ranked page keeps every candidate once', () => {
    const cfg = { FEED_DIVERSITY: 0, FEED_GENRE_CAP: 0, FEED_FRESHNESS_BOOST: 0, FEED_RERANK_DEPTH: 50 };
    expect(feedRerankKnobs(cfg, { genreCap: 2 })).toEqual({ diversity: 0, genreCap: 2, freshness: 0, depth: 50 });
    const [v] = parseVariants(JSON.stringify([{ name: 'diverse', buckets: [0, 50], blend: { diversity: 0.3, genreCap: 3, freshness: 0.5 } }]), 100);
    expect(feedRerankKnobs(cfg, v.blend)).toEqual({ diversity: 0.3, genreCap: 3, freshness: 0.5, depth: 50 });
    expect(() => parseVariants(JSON.stringify([{ name: 'bad', buckets: [0, 50], blend: { diversity: 2 } }]), 100)).toThrow(RangeError);

    const now = Date.parse('2026-01-10T00:00:00Z');
    const titles = Array.from({ length: 6 }, (_, i) => ({ movie_id: `m${i}`, genres: [i < 4 ? 'Drama' : 'Comedy'], genresLower: [i < 4 ? 'drama' : 'comedy'], addedAtMs: i === 5 ? now : now - 400 * 86400_000 }));
    const base: Candidate[] = titles.map((t, i) => ({ movieId: t.movie_id, itemIndex: i, score: score[i], reason: 'because_you_watched' }));
    const v2 = { k: 2, itemFactors: Float32Array.from([1, 0, 0.99, 0.1, 0.98, 0.12, 0.97, 0.15, 0, 1, 0.1, 0.99]), items: titles };
    expect(rerankCandidates(base, v2, feedRerankKnobs(cfg), now, 14)).toBe(base);
    const capped = rerankCandidates(base, v2, { ...feedRerankKnobs(cfg), genreCap: 2 }, now, 14);
    expect(capped.map((c) => c.movieId)).toEqual(['m0', 'm1', 'm4', 'm5', 'm2', 'm3']);
    expect(rerankCandidates(base, v2, { ...feedRerankKnobs(cfg), freshness: 2 }, now, 14).slice(0, 2).map((c) => c.movieId)).toContain('m5');
  });
});

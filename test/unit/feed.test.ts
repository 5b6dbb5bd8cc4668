import { describe, expect, it } from 'vitest';
import { bucketOf, parseVariants, VariantAssigner } from '../../api/ab';
import { sampleBeta, sampleWatchRate } from '../../api/exploration';
import {
  backfill,
  blendExploration,
  coldStart,
  coldStartAmong,
  checkEncodedList,
  dot,
  fromEncodedList,
  readListUserVec,
  fromUserList,
  rankExplorers,
  roundRobinByGenre,
  type Candidate,
  type FreshView,
  type TitleView,
} from '../../api/feed';
import { prepareFoldIn } from '../../model/foldin';
import { decodeUserList, encodeUserList, encodeUserListV1, LIST_SCORE_BITS } from '../../storage/redis-keys';
import { buildVersionState } from '../../api/state';
import { BufferedEventWriter, Circuit, encodeEvent, isEncoded, type EncodedEvents } from '../../api/store';
import type { EventRow } from '../../model/types';
import { mulberry32 as rng } from '../../model/random';


const title = (movie_id: string, ...genres: string[]): TitleView => ({ movie_id, genres, genresLower: genres.map((g) => g.toLowerCase()) });
const cand = (movieId: string, score: number): Candidate => ({ movieId, itemIndex: 0, score, reason: 'because_you_watched' });

describe('precomputed list', () => {
  it('keeps the list order and skips removed titles until enough are taken', () => {
    const items = ['a', 'b', 'c', 'd', 'e'].map((m) => title(m, 'X'));
    const out = fromUserList(Uint32Array.from([4, 3, 2, 1, 0]), Float32Array.from([0.9, 0.8, 0.7, 0.6, 0.5]), items, (i) => i !== 3, 3);
    expect(out.map((c) => c.movieId)).toEqual(['e', 'c', 'b']);
    expect(out[1].score).toBeCloseTo(0.7, 6);
    expect(out.every((c) => c.reason === 'because_you_watched')).toBe(true);
  });

  it('reads the stored codec in place exactly as the decoder does, and rejects a truncated list', () => {
    const items = ['a', 'b', 'c', 'd', 'e'].map((m) => title(m, 'X'));
    const buf = encodeUserList(Float32Array.from([0.5, -1]), [4, 9, 2, 0], [0.9, 0.8, 0.7, 0.6]);
    const { k, n } = checkEncodedList(buf);
    const dec = decodeUserList(buf);
    expect(fromEncodedList(buf, k, n, items.map((t) => t.movie_id), (i) => i !== 2, 10)).toEqual(fromUserList(dec.itemIndex, dec.score, items, (i) => i !== 2, 10));
    const vec = readListUserVec(buf, new Float32Array(2));
    expect(vec[0]).toBeCloseTo(0.5, 4);
    expect(vec[1]).toBe(-1);
    expect(() => checkEncodedList(buf.subarray(0, buf.length - 1))).toThrow(RangeError);
  });

  it('a list written before the deploy (format 1) is still read in place, exactly', () => {
    const items = ['a', 'b', 'c', 'd', 'e'].map((m) => title(m, 'X'));
    const buf = encodeUserListV1(Float32Array.from([0.5, -1]), [4, 1, 2, 0], [0.9, 0.8, 0.7, 0.6]);
    const { k, n } = checkEncodedList(buf);
    expect([k, n]).toEqual([2, 4]);
    expect(fromEncodedList(buf, k, n, items.map((t) => t.movie_id), () => true, 10).map((c) => [c.itemIndex, c.score])).toEqual([[4, Math.fround(0.9)], [1, Math.fround(0.8)], [2, Math.fround(0.7)], [0, Math.fround(0.6)]]);
    expect(Array.from(readListUserVec(buf, new Float32Array(2)))).toEqual([0.5, -1]);
    expect(Array.from(decodeUserList(buf).itemIndex)).toEqual([4, 1, 2, 0]);
  });

  it('a top-500 list of a 10^5-title catalog at k=64 fits the 2 KiB allocation class: exact indices, scores within one quantisation step, still sorted', () => {
    let s = 12345;
    const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    const k = 64, n = 500, nItems = 100_000;
    const vec = Float32Array.from({ length: k }, () => (rand() - 0.5) * 0.4);
    const idx = Array.from({ length: n }, (_, r) => (r === 0 ? nItems - 1 : Math.floor(rand() * nItems)));
    const score = Array.from({ length: n }, () => rand() * 2 - 0.3).sort((a, b) => b - a);
    const buf = encodeUserList(vec, idx, score);
    expect(buf.length + 6).toBeLessThanOrEqual(2048); // + Redis's sds header and terminator
    const dec = decodeUserList(buf);
    expect(Array.from(dec.itemIndex)).toEqual(idx);
    const step = (score[0] - score[n - 1]) / (2 ** LIST_SCORE_BITS - 1);
    for (let r = 0; r < n; r++) expect(Math.abs(dec.score[r] - score[r])).toBeLessThanOrEqual(step / 2 + 1e-6);
    for (let r = 1; r < n; r++) expect(dec.score[r]).toBeLessThanOrEqual(dec.score[r - 1]);
    expect(dec.score[0]).toBe(Math.fround(score[0]));
    for (let j = 0; j < k; j++) expect(Math.abs(dec.userVec[j] - vec[j])).toBeLessThan(1e-5);
    // In place reads give the decoder's values.
    const items = Array.from({ length: nItems }, (_, i) => title(`m${i}`, 'X'));
    const got = fromEncodedList(buf, k, n, items.map((t) => t.movie_id), () => true, n);
    expect(got.map((c) => c.itemIndex)).toEqual(idx);
    expect(fromEncodedList(buf, k, n, items.map((t) => t.movie_id), null, n)).toEqual(got); // no filter: the same as accepting all
    expect(got.map((c) => Math.fround(c.score))).toEqual(Array.from(dec.score));
    expect(Array.from(readListUserVec(buf, new Float32Array(k)))).toEqual(Array.from(dec.userVec));
    expect(() => checkEncodedList(buf.subarray(0, buf.length - 1))).toThrow(RangeError);
  });

  it('an empty list, a single-score list and a zero vector round-trip', () => {
    expect(decodeUserList(encodeUserList(new Float32Array(3), [], []))).toEqual({ userVec: new Float32Array(3), itemIndex: new Uint32Array(0), score: new Float32Array(0) });
    const one = decodeUserList(encodeUserList(Float32Array.from([1]), [0, 7], [0.25, 0.25]));
    expect(Array.from(one.itemIndex)).toEqual([0, 7]);
    expect(Array.from(one.score)).toEqual([0.25, 0.25]);
    expect(() => encodeUserList(Float32Array.from([1]), [0], [-Infinity])).toThrow(RangeError);
  });

  it('ignores item indices beyond the catalog (a list from a bigger version)', () => {
    const out = fromUserList(Uint32Array.from([9, 0]), Float32Array.from([1, 0.5]), [title('a', 'X')], () => true, 5);
    expect(out.map((c) => c.movieId)).toEqual(['a']);
  });
});

describe('cold start', () => {
  const items = [title('h1', 'Horror'), title('h2', 'Horror'), title('c1', 'Comedy'), title('h3', 'Horror'), title('d1', 'Drama'), title('c2', 'Comedy')];

  it('round-robins genres in the order they first trend', () => {
    expect(roundRobinByGenre([0, 1, 2, 3, 4, 5], (i) => items[i].genres[0], 6)).toEqual([0, 2, 4, 1, 5, 3]);
  });

  it('diversifies trending by genre, then fills with popular titles marked popular', () => {
    const out = coldStart([0, 1, 2], [5, 0, 4], items, () => true, 5, false);
    expect(out.map((c) => c.movieId)).toEqual(['h1', 'c1', 'h2', 'c2', 'd1']);
    expect(out.map((c) => c.reason)).toEqual(['trending', 'trending', 'trending', 'popular', 'popular']);
  });

  it('with requested genres keeps trending order within them', () => {
    const comedyOnly = (i: number) => items[i].genres[0] === 'Comedy';
    const out = coldStart([0, 2, 5, 1], [], items, comedyOnly, 10, true);
    expect(out.map((c) => c.movieId)).toEqual(['c1', 'c2']);
  });

  it('ranking only the titles of a stored list gives what coldStart gives when it accepts only those', () => {
    const r = rng(5);
    const catalog = Array.from({ length: 300 }, (_, i) => title(`t${i}`, ['Horror', 'Comedy', 'Drama'][i % 3]));
    const shuffled = (n: number) => Array.from({ length: 300 }, (_, i) => i).sort(() => r() - 0.5).slice(0, n);
    for (let trial = 0; trial < 50; trial++) {
      const trending = shuffled(40);
      const popular = shuffled(120);
      const among = shuffled(60);
      const inAmong = new Set(among);
      const genre = ['horror', 'comedy', 'drama'][trial % 3];
      const accept = (i: number) => inAmong.has(i) && catalog[i].genresLower.includes(genre) && i % 7 !== 0;
      const need = 1 + (trial % 25);
      expect(coldStartAmong(among, trending, popular, catalog, accept, need)).toEqual(coldStart(trending, popular, catalog, accept, need, true));
    }
  });

  it('backfill appends without duplicates and stops at need', () => {
    const out = backfill([cand('a', 1)], [cand('a', 1), cand('b', 1), cand('c', 1)], 2);
    expect(out.map((c) => c.movieId)).toEqual(['a', 'b']);
  });
});

describe('exploration slots', () => {
  // Catalog titles carry their item index; a fresh title the version does not list has −1, one it lists has its index.
  const base = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map((m, i) => ({ ...cand(m, 1 - i * 0.1), itemIndex: i }));
  const explorer = (movieId: string, value: number) => ({ cand: { movieId, itemIndex: -1, score: value, reason: 'new_for_you' as const }, value });

  it('puts explorers at the 1-based slot positions when they beat the bar', () => {
    const out = blendExploration(base, [explorer('x', 0.9), explorer('y', 0.8)], [3, 6], 0.25, true, 8);
    expect(out.map((c) => c.movieId)).toEqual(['a', 'b', 'x', 'c', 'd', 'y', 'e', 'f']);
  });

  it('leaves a slot to the list when the explorer is below bar × the displaced score', () => {
    // slot 2 displaces b (0.9): bar 0.5 → needs 0.45; slot 7 displaces g (0.4) → needs 0.2
    const out = blendExploration(base, [explorer('x', 0.3)], [2, 7], 0.5, true, 8);
    expect(out.map((c) => c.movieId)).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'x', 'g']);
  });

  it('never lists a movie twice when an explorer is also in the list', () => {
    const out = blendExploration(base, [{ ...explorer('e', 10), cand: { ...explorer('e', 10).cand, itemIndex: 4 } }], [2], 0.25, true, 6);
    expect(out.map((c) => c.movieId)).toEqual(['a', 'e', 'b', 'c', 'd', 'f']);
  });

  it('ignores slots beyond the requested depth', () => {
    expect(blendExploration(base, [explorer('x', 10)], [15], 0.25, true, 5).map((c) => c.movieId)).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('ranks fresh titles by sampled watch rate × affinity and skips those pointing away from the user', () => {
    const fresh: FreshView[] = [
      { ...title('match', 'X'), vector: Float32Array.from([1, 0]), itemIndex: -1 },
      { ...title('away', 'X'), vector: Float32Array.from([-1, 0]), itemIndex: -1 },
      { ...title('novector', 'X'), vector: null, itemIndex: -1 },
    ];
    const counts = () => ({ impressions: 0, watches: 0 });
    const out = rankExplorers(fresh, Float32Array.from([0.8, 0.1]), counts, () => true, rng(1));
    expect(out.map((e) => e.cand.movieId)).toEqual(['match']);
    expect(out[0].cand.score).toBeCloseTo(0.8, 6);
    // Affinity below the lowest bar any slot could set: skipped without a draw.
    expect(rankExplorers(fresh, Float32Array.from([0.8, 0.1]), counts, () => true, rng(1), 0.9)).toEqual([]);
    // Without a user vector every fresh title competes on its watch rate alone.
    expect(rankExplorers(fresh, null, counts, () => true, rng(1))).toHaveLength(3);
  });

  it('a title shown often and never watched loses to an untried one almost always', () => {
    const fresh: FreshView[] = [
      { ...title('flop', 'X'), vector: Float32Array.from([1]), itemIndex: -1 },
      { ...title('new', 'X'), vector: Float32Array.from([1]), itemIndex: -1 },
    ];
    const counts = (id: string) => (id === 'flop' ? { impressions: 500, watches: 0 } : { impressions: 0, watches: 0 });
    const r = rng(7);
    let flopFirst = 0;
    for (let t = 0; t < 1000; t++) if (rankExplorers(fresh, Float32Array.from([1]), counts, () => true, r)[0].cand.movieId === 'flop') flopFirst++;
    expect(flopFirst).toBeLessThan(10);
  });
});

describe('Thompson sampling draws', () => {
  it('Beta(a, b) draws have mean a/(a+b) and the right variance', () => {
    const r = rng(3);
    for (const [a, b] of [[1, 1], [3, 7], [0.5, 0.5], [41, 61]]) {
      const n = 20_000;
      let s = 0;
      let s2 = 0;
      let outside = 0;
      for (let i = 0; i < n; i++) {
        const x = sampleBeta(a, b, r);
        if (!(x >= 0 && x <= 1)) outside++;
        s += x;
        s2 += x * x;
      }
      expect(outside).toBe(0);
      const mean = s / n;
      const variance = s2 / n - mean * mean;
      expect(mean).toBeCloseTo(a / (a + b), 2);
      expect(variance).toBeCloseTo((a * b) / ((a + b) ** 2 * (a + b + 1)), 2);
    }
  });

  it('caps watches at impressions (watches that came from search do not break the posterior)', () => {
    const x = sampleWatchRate({ impressions: 2, watches: 10 }, rng(5));
    expect(x).toBeGreaterThan(0);
    expect(x).toBeLessThan(1);
  });
});

describe('version state', () => {
  it('builds α0·YᵀY in slices equal to prepareFoldIn, and an index whose nearest item by inner product is right', async () => {
    const k = 3;
    const n = 50;
    const r = rng(11);
    const y = Float32Array.from({ length: n * k }, () => r() - 0.5);
    const items = Array.from({ length: n }, (_, i) => ({ movie_id: `m${i}`, title: `T${i}`, genres: ['X'], year: 2000, added_at: '2020-01-01T00:00:00Z' }));
    const blob = {
      meta: { k: '3', n_items: String(n), alpha0: '0.1', lambda: '0.02', nu: '1', data_as_of: JSON.stringify('2024-01-01T00:00:00Z') },
      items: JSON.stringify(items),
      itemFactors: Buffer.from(y.buffer),
      lists: JSON.stringify({ popular: [3, 1, 2], trending: [2, 99] }),
    };
    const v = await buildVersionState('v20240101T000000Z', blob, { hnswM: 8, hnswEfConstruction: 50, hnswEfSearch: 50, fallbackSize: 2, sliceMs: 0, defaults: { alpha0: 1, lambda: 1, nu: 1 } });
    const want = prepareFoldIn(y, n, k, 0.1);
    for (let i = 0; i < k * k; i++) expect(v.gramAlpha0[i]).toBeCloseTo(want[i], 9);
    expect(v.trending).toEqual([2]); // out-of-range indices dropped
    expect(v.fallback).toEqual([3, 1]);
    const q = Float32Array.from([1, 0.2, -0.3]);
    let best = 0;
    for (let i = 1; i < n; i++) if (dot(q, y, i * k, k) > dot(q, y, best * k, k)) best = i;
    expect(v.ann!.searchKnn(Array.from(q), 1).neighbors[0]).toBe(best);
  });

  it('builds a big catalog\'s index off the event loop (worker thread) with the same answers', async () => {
    const k = 4;
    const n = 2500;
    const r = rng(5);
    const y = Float32Array.from({ length: n * k }, () => r() - 0.5);
    const items = Array.from({ length: n }, (_, i) => ({ movie_id: `m${i}` }));
    const blob = { meta: { k: '4', data_as_of: '2024-01-01T00:00:00Z' }, items: JSON.stringify(items), itemFactors: Buffer.from(y.buffer), lists: null };
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const v = await buildVersionState('v20240101T000000Z', blob, { hnswM: 16, hnswEfConstruction: 100, hnswEfSearch: 100, fallbackSize: 2, defaults: { alpha0: 0.1, lambda: 1, nu: 1 } });
    clearInterval(timer);
    expect(v.ann!.getCurrentCount()).toBe(n);
    expect(v.fallback).toEqual([0, 1]); // no lists: catalog order
    const q = Float32Array.from([0.3, -1, 0.2, 0.5]);
    let best = 0;
    for (let i = 1; i < n; i++) if (dot(q, y, i * k, k) > dot(q, y, best * k, k)) best = i;
    expect(v.ann!.searchKnn(Array.from(q), 5).neighbors).toContain(best);
    expect(ticks).toBeGreaterThan(0); // the loop kept turning during the build
  });

  it('refuses a version whose factors do not match its items', async () => {
    const blob = { meta: { k: '3', data_as_of: '2024-01-01T00:00:00Z' }, items: JSON.stringify([{ movie_id: 'a' }]), itemFactors: Buffer.alloc(8), lists: null };
    await expect(buildVersionState('v20240101T000000Z', blob, { hnswM: 8, hnswEfConstruction: 50, hnswEfSearch: 50, fallbackSize: 2, defaults: { alpha0: 1, lambda: 1, nu: 1 } })).rejects.toThrow(/item factors have 8 bytes/);
  });
});

describe('A/B assignment', () => {
  it('maps buckets to variants, stable per user, uncovered buckets to "default"', () => {
    const variants = parseVariants('[{"name":"control","buckets":[0,50]},{"name":"explore_more","buckets":[50,90],"blend":{"explorationSlots":[2,4]}}]', 100);
    const a = new VariantAssigner(variants, 'salt', 100);
    const seen = new Map<string, number>();
    let wrong = 0;
    for (let u = 0; u < 5000; u++) {
      const v = a.assign(`user-${u}`);
      const b = bucketOf(`user-${u}`, 'salt', 100);
      if (a.assign(`user-${u}`) !== v || v.name !== (b < 50 ? 'control' : b < 90 ? 'explore_more' : 'default')) wrong++;
      seen.set(v.name, (seen.get(v.name) ?? 0) + 1);
    }
    expect(wrong).toBe(0);
    // Roughly the configured shares.
    expect(seen.get('control')! / 5000).toBeCloseTo(0.5, 1);
    expect(seen.get('default')! / 5000).toBeCloseTo(0.1, 1);
  });

  it('rejects overlapping or out-of-range bucket ranges', () => {
    expect(() => parseVariants('[{"name":"a","buckets":[0,60]},{"name":"b","buckets":[50,100]}]', 100)).toThrow(/overlap/);
    expect(() => parseVariants('[{"name":"a","buckets":[0,101]}]', 100)).toThrow(/≤ 100/);
    expect(() => parseVariants('not json', 100)).toThrow(/not JSON/);
  });
});

describe('buffered event writer', () => {
  const row = (i: number): EventRow => ({ event_id: `e${i}`, user_id: 'u', movie_id: 'm', event_type: 'impression', ts: '2024-01-01T00:00:00.000Z', watch_seconds: null, duration_seconds: null, rating: null, source: null });
  const opts = { recentMax: 10, recentTtlSeconds: 60, flushMs: 1_000_000, batch: 3, maxBuffered: 10, concurrency: 2 };

  it('writes everything in batches, several in flight, and keeps events while the store fails', async () => {
    const written: string[] = [];
    let down = true;
    let inFlight = 0;
    let maxInFlight = 0;
    const store = {
      appendEvents: async (events: ReadonlyArray<EventRow | EncodedEvents>) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((r) => setTimeout(r, 1));
        inFlight--;
        if (down) throw new Error('down');
        for (const e of events) written.push(...(isEncoded(e) ? e.data.toString().split('\n').map((j) => (JSON.parse(j) as EventRow).event_id) : [e.event_id]));
      },
    };
    const w = new BufferedEventWriter(store, opts);
    w.push([0, 1, 2, 3, 4, 5, 6].map(row));
    await w.flush();
    expect(written).toEqual([]);
    expect(w.buffered).toBe(7);
    w.push([7, 8, 9].map(row));
    w.push([{ data: Buffer.from([10, 11].map((i) => encodeEvent(row(i))).join('\n')), n: 2 }]); // over the cap: the two oldest go
    expect(w.dropped).toBe(2);
    down = false;
    await w.flush();
    await w.close();
    expect(written.sort()).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11].map((i) => `e${i}`).sort());
    expect(maxInFlight).toBe(2);
    expect(w.buffered).toBe(0);
  });

  it('text pushed per feed shares off-heap chunks cut at the batch size, in order', async () => {
    const calls: string[][] = [];
    const w = new BufferedEventWriter({ appendEvents: async (events: ReadonlyArray<EventRow | EncodedEvents>) => void calls.push(events.flatMap((e) => (isEncoded(e) ? e.data.toString().split('\n') : [encodeEvent(e)]))) }, { ...opts, batch: 4, maxBuffered: 100 });
    const ids = [0, 1, 2, 3, 4, 5, 6].map((i) => encodeEvent(row(i)));
    w.pushText(ids.slice(0, 2).join('\n'), 2);
    w.pushText(ids.slice(2, 5).join('\n'), 3); // 5 ≥ 4: sealed
    w.push([row(5)]);
    w.pushText(ids[6], 1);
    expect(w.buffered).toBe(7);
    await w.close();
    expect(calls.flat()).toEqual(ids);
    expect(calls.every((c) => c.length <= 5)).toBe(true);
  });

  it('circuit: fails fast while open, lets one probe through after the window, closes on success', async () => {
    let now = 0;
    const c = new Circuit(100, () => true, () => now);
    await expect(c.run('x', async () => Promise.reject(new Error('boom')))).rejects.toThrow(/redis x failed: boom/);
    await expect(c.run('x', async () => 1)).rejects.toThrow(/circuit open/);
    expect(c.isOpen()).toBe(true);
    now = 150;
    expect(c.isOpen()).toBe(false);
    await expect(c.run('x', async () => 2)).resolves.toBe(2);
    await expect(c.run('x', async () => 3)).resolves.toBe(3);
  });
});

import { describe, expect, it } from 'vitest';
import { coldStartAmong, roundScore, type Candidate } from '../../api/feed';
import { buildRows, nearestAmong, type RowsDeps, type RowsOptions, type RowsVersion } from '../../api/rows';
import type { CatalogItem } from '../../api/state';
import { exactNeighbours } from '../../model/up-next';

// 3 genres × 8 titles in 3-d, one axis per genre; t-<g><j>.
const GENRES = ['Horror', 'Comedy', 'Drama'];
const K = 3;
const items: CatalogItem[] = [];
const factors = new Float32Array(24 * K);
GENRES.forEach((g, gi) => {
  for (let j = 0; j < 8; j++) {
    const i = gi * 8 + j;
    items.push({ movie_id: `t-${g[0].toLowerCase()}${j}`, title: `${g} ${'ABCDEFGH'[j]}`, genres: [g], genresLower: [g.toLowerCase()], year: 2000, added_at: '', addedAtMs: NaN });
    factors[i * K + gi] = 1 - 0.05 * j;
    factors[i * K + ((gi + 1) % 3)] = 0.02 * j;
  }
});
const v: RowsVersion = {
  items,
  indexById: new Map(items.map((it, i) => [it.movie_id, i])),
  itemFactors: factors,
  k: K,
  popular: items.map((_, i) => i),
  trending: [0, 8, 16, 1, 9, 17, 2, 10, 18, 3, 11, 19],
};
const opts: RowsOptions = { rows: 5, perRow: 4, becauseMax: 3, genreMax: 2, minItems: 2, nNeighbours: 6 };
let explored = 0;
const deps: RowsDeps = {
  neighbours: exactNeighbours(factors, items.length, K),
  explore: (base) => {
    explored++;
    return base;
  },
  fresh: () => undefined,
};
const ids = (rows: { items: { movie_id: string }[] }[]) => rows.flatMap((r) => r.items.map((i) => i.movie_id));

describe('home rows', () => {
  it('a cold user gets "Trending now" and genre rows, nothing twice', () => {
    explored = 0;
    const { source, rows } = buildRows(v, { list: null, userVec: null, watched: [] }, opts, deps);
    expect(source).toBe('cold_start');
    expect(rows[0]).toMatchObject({ kind: 'trending', title: 'Trending now' });
    expect(rows.slice(1).map((r) => r.kind)).toEqual(['trending_in_genre', 'trending_in_genre']);
    for (const r of rows.slice(1)) expect(r.items.every((i) => i.genres.includes(r.genre!))).toBe(true);
    expect(new Set(ids(rows)).size).toBe(ids(rows).length);
    expect(explored).toBe(1); // exploration once per screen, in the first row
  });

  it('a warm user: top picks from the list, then rows for the newest watches from list titles only', () => {
    const userVec = Float32Array.from([1, 0.3, 0]);
    // The list leaves out t-h0 (watched before the model) and t-c7.
    const list: Candidate[] = items
      .map((it, i) => ({ movieId: it.movie_id, itemIndex: i, score: factors[i * K] + 0.3 * factors[i * K + 1], reason: 'because_you_watched' as const }))
      .filter((c) => c.movieId !== 't-h0' && c.movieId !== 't-c7')
      .sort((a, b) => b.score - a.score);
    const watched = ['t-c1', 't-h2']; // newest first
    const { source, rows } = buildRows(v, { list: list.filter((c) => !watched.includes(c.movieId)), userVec, watched }, opts, deps);
    expect(source).toBe('personalized');
    expect(rows[0].kind).toBe('top_picks');
    const because = rows.filter((r) => r.kind === 'because_you_watched');
    expect(because.map((r) => r.because_of)).toEqual(['t-c1', 't-h2']);
    expect(because[0].title).toBe('Because you watched Comedy B');
    expect(because[0].items.every((i) => i.genres[0] === 'Comedy' && i.because_of === 't-c1')).toBe(true);
    const all = ids(rows);
    expect(new Set(all).size).toBe(all.length);
    for (const never of ['t-h0', 't-c7', 't-c1', 't-h2']) expect(all).not.toContain(never);
    expect(rows.length).toBeLessThanOrEqual(opts.rows);
  });

  it('with a stored list, a genre row holds what coldStartAmong ranks first among the titles still free', () => {
    // Popular ranks that disagree with the trending order and the list order, and list titles
    // that are neither trending nor popular, so every ranking rule is exercised.
    const w: RowsVersion = { ...v, popular: [23, 7, 15, 22, 6, 14, 21, 5, 13], trending: [16, 0, 8, 17, 1, 9] };
    const list: Candidate[] = [4, 20, 12, 5, 13, 21, 6, 14, 22, 7, 15, 23, 16, 0, 8, 17, 1, 9].map((i, r) => ({ movieId: items[i].movie_id, itemIndex: i, score: 1 - r / 100, reason: 'because_you_watched' as const }));
    const { rows } = buildRows(w, { list, userVec: null, watched: [] }, { ...opts, rows: 4, perRow: 3, minItems: 1 }, deps);
    const claimed = new Set(rows[0].items.map((i) => i.movie_id));
    const genreRows = rows.filter((r) => r.kind === 'trending_in_genre');
    expect(genreRows.length).toBeGreaterThan(0);
    for (const row of genreRows) {
      const gl = row.genre!.toLowerCase();
      const want = coldStartAmong(list.map((c) => c.itemIndex), w.trending, w.popular, items, (i) => !claimed.has(items[i].movie_id) && items[i].genresLower.includes(gl), 3);
      expect(row.items.map((i) => [i.movie_id, i.score, i.reason])).toEqual(want.map((c) => [c.movieId, roundScore(c.score), c.reason]));
      for (const it of row.items) claimed.add(it.movie_id);
    }
  });

  it('a row shorter than minItems is left off and its titles stay free for later rows', () => {
    const userVec = Float32Array.from([0, 0, 1]);
    const { rows } = buildRows(v, { list: null, userVec, watched: ['t-d0'] }, { ...opts, rows: 3, perRow: 8, minItems: 8, nNeighbours: 3 }, deps);
    expect(rows.every((r) => r.items.length >= 8 || r.kind === 'top_picks')).toBe(true);
    expect(rows.some((r) => r.kind === 'because_you_watched')).toBe(false); // 3 neighbours < 8
  });

  it('genre rows hold only their genre when the catalog has more genres than the genre table has bits', () => {
    // 40 genres (the table gives bits to the first 31), two titles each; the trending head is the last genres'.
    const many: CatalogItem[] = [];
    for (let g = 0; g < 40; g++)
      for (let j = 0; j < 2; j++) many.push({ movie_id: `g${g}-${j}`, title: `G${g} ${j}`, genres: [`Genre${g}`], genresLower: [`genre${g}`], year: 2000, added_at: '', addedAtMs: NaN });
    const w: RowsVersion = { items: many, indexById: new Map(many.map((it, i) => [it.movie_id, i])), itemFactors: new Float32Array(0), k: 0, popular: many.map((_, i) => i), trending: many.map((_, i) => many.length - 1 - i) };
    const { rows } = buildRows(w, { list: null, userVec: null, watched: [] }, { ...opts, rows: 3, perRow: 2, minItems: 1 }, deps);
    const genreRows = rows.filter((r) => r.kind === 'trending_in_genre');
    expect(genreRows.length).toBe(2);
    for (const r of genreRows) {
      expect(r.items.length).toBeGreaterThan(0);
      expect(r.items.every((i) => i.genres.includes(r.genre!))).toBe(true);
    }
    expect(genreRows.some((r) => Number(r.genre!.slice(5)) >= 31)).toBe(true); // a genre without a bit
  });
});

describe('a "because" row from a stored list', () => {
  it('equals the reference: the anchor\'s nearest listed titles, minus what is on screen, by the user\'s score (ties: nearer, then lower index)', () => {
    // 200 titles on a coarse grid, so scores and similarities tie often.
    const n = 200;
    const k = 4;
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const Y = Float32Array.from({ length: n * k }, () => Math.round((rnd() - 0.5) * 6) / 4);
    const cat: CatalogItem[] = Array.from({ length: n }, (_, i) => ({ movie_id: `m${i}`, title: `M ${i}`, genres: ['Drama'], genresLower: ['drama'], year: 2000, added_at: '', addedAtMs: NaN }));
    const w: RowsVersion = { items: cat, indexById: new Map(cat.map((it, i) => [it.movie_id, i])), itemFactors: Y, k, popular: [], trending: [] };
    const dotk = (x: ArrayLike<number>, i: number) => {
      let s = 0;
      for (let j = 0; j < k; j++) s += x[j] * Y[i * k + j];
      return s;
    };
    const o: RowsOptions = { rows: 2, perRow: 12, becauseMax: 1, genreMax: 0, minItems: 1, nNeighbours: 40 };
    for (let trial = 0; trial < 40; trial++) {
      const listIdx = [...new Set(Array.from({ length: 120 }, () => Math.floor(rnd() * n)))];
      const anchor = Math.floor(rnd() * n);
      const userVec = Float32Array.from({ length: k }, () => Math.round((rnd() - 0.5) * 4) / 2);
      const list: Candidate[] = listIdx.map((i) => ({ movieId: `m${i}`, itemIndex: i, score: dotk(userVec, i), reason: 'because_you_watched' as const }));
      const { rows } = buildRows(w, { list: list.filter((c) => c.itemIndex !== anchor), listIdx: listIdx.filter((i) => i !== anchor), userVec, watched: [`m${anchor}`] }, o, { ...deps, neighbours: () => [] });
      const onScreen = new Set(rows[0].items.map((i) => Number(i.movie_id.slice(1))));
      const sim = (i: number) => dotk(Y.subarray(anchor * k, anchor * k + k), i);
      const near = listIdx.filter((i) => i !== anchor).sort((a, b) => sim(b) - sim(a) || a - b).slice(0, o.nNeighbours);
      const want = near.filter((i) => !onScreen.has(i)).sort((a, b) => dotk(userVec, b) - dotk(userVec, a) || sim(b) - sim(a) || a - b).slice(0, o.perRow);
      expect(rows[1].kind).toBe('because_you_watched');
      expect(rows[1].items.map((i) => i.movie_id)).toEqual(want.map((i) => `m${i}`));
      expect(rows[1].items.map((i) => i.score)).toEqual(want.map((i) => roundScore(dotk(userVec, i))));
    }
  });
});

describe('nearest listed titles', () => {
  it('equal a full sort by similarity, ties to the lower index, without skipped or refused titles', () => {
    const among = [3, 17, 9, 0, 12, 5, 21, 8, 14, 1];
    // t-h0 and t-h8-like ties: items 0 and 8 are made equally similar to the query below.
    const Y = factors.slice();
    Y.set(Y.subarray(0, K), 8 * K);
    const q = Float32Array.from([1, 0.2, 0.1]);
    const sim = (i: number) => q[0] * Y[i * K] + q[1] * Y[i * K + 1] + q[2] * Y[i * K + 2];
    const accept = (i: number) => i !== 12;
    const skip = new Set([5]);
    for (const n of [0, 1, 3, 6, 20]) {
      const want = among.filter((i) => accept(i) && !skip.has(i)).sort((a, b) => sim(b) - sim(a) || a - b).slice(0, n);
      expect(nearestAmong(q, Y, K, among, accept, skip, n)).toEqual(want);
    }
  });

  it('keep the lowest indices among many titles tied at the cut', () => {
    // 30 titles, similarities in 4 levels, so the n-th largest value is shared by several.
    const Y = new Float32Array(30 * K);
    for (let i = 0; i < 30; i++) Y[i * K] = [0.9, 0.5, 0.5, 0.2][(i * 7) % 4];
    const among = Array.from({ length: 30 }, (_, i) => (i * 11) % 30);
    const q = Float32Array.from([1, 0, 0]);
    for (const n of [1, 5, 8, 9, 12, 20, 29, 30]) {
      const want = [...among].sort((a, b) => Y[b * K] - Y[a * K] || a - b).slice(0, n);
      expect(nearestAmong(q, Y, K, among, () => true, new Set(), n)).toEqual(want);
    }
  });
});

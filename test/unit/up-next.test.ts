import { describe, expect, it } from 'vitest';
import { buildFranchiseIndex, buildFranchiseIndexInSlices, franchiseNext, normaliseTitle, parseSequelTitle } from '../../model/franchise';
import { exactNeighbours, upNext } from '../../model/up-next';
import { buildWorld } from '../../data/world/catalog';
import { nextPart, postPlayChoice, POST_PLAY_STREAM } from '../../data/world/franchise';
import { PRESETS } from '../../data/world/params';
import { Rng } from '../../data/rng';

describe('franchises from titles', () => {
  it('reads the part from MovieLens and synthetic title forms', () => {
    expect(parseSequelTitle('Toy Story 2 (1999)')).toEqual({ base: 'toy story', part: 2 });
    expect(parseSequelTitle('Godfather: Part II, The (1974)')).toEqual({ base: 'the godfather', part: 2 });
    expect(parseSequelTitle('Terminator 2: Judgment Day (1991)')).toEqual({ base: 'terminator', part: 2 });
    expect(parseSequelTitle('Back to the Future Part III (1990)')).toEqual({ base: 'back to the future', part: 3 });
    expect(parseSequelTitle('The Golden Harbor: Part IV')).toEqual({ base: 'the golden harbor', part: 4 });
    expect(parseSequelTitle('Friday the 13th Part 3: 3D (1982)')).toEqual({ base: 'friday the 13th', part: 3 });
    expect(parseSequelTitle('Apollo 13 (1995)')).toBeNull(); // no film has a 13th part here
    expect(parseSequelTitle('Heat (1995)')).toBeNull();
    expect(normaliseTitle('Godfather, The (1972)')).toBe('the godfather');
  });

  it('groups the bare title as part 1 with its numbered parts, and leaves a lone "II" alone', () => {
    const titles = ['Godfather, The (1972)', 'Heat (1995)', 'Godfather: Part III, The (1990)', 'Godfather: Part II, The (1974)', 'Lonely Road II'].map((title) => ({ title }));
    const ix = buildFranchiseIndex(titles);
    expect(ix.members).toEqual([[0, 3, 2]]);
    expect([...ix.part]).toEqual([1, 0, 3, 2, 0]);
    expect(ix.franchise[4]).toBe(-1);
    // After part 2: part 3, then the skipped part 1; a watched part is never offered.
    expect(franchiseNext(ix, 3, () => true)).toEqual([2, 0]);
    expect(franchiseNext(ix, 3, (i) => i !== 2)).toEqual([0]);
    expect(franchiseNext(ix, 1, () => true)).toEqual([]);
  });
});

describe('up next policy', () => {
  // Five titles in 2-d: 0 and 1 are a franchise far apart; 2 is 0's twin; 3 is what the user likes.
  const Y = Float32Array.from([1, 0, /* 1 */ 0, 1, /* 2 */ 0.95, 0.05, /* 3 */ 0.7, 0.3, /* 4 */ 0.6, 0.1]);
  const franchise = buildFranchiseIndex(['Night Terror', 'Night Terror 2', 'Other', 'Another', 'Yet Another'].map((title) => ({ title })));
  const base = { finished: 0, finishedVec: Y.subarray(0, 2), itemFactors: Y, k: 2, neighbours: exactNeighbours(Y, 5, 2), nNeighbours: 3, itemWeight: 0, franchise, accept: () => true, limit: 4 };

  it('puts the sequel first even when it is far from the finished title in factor space', () => {
    const picks = upNext({ ...base, userVec: null });
    expect(picks[0]).toMatchObject({ itemIndex: 1, why: 'next_in_franchise' });
    expect(picks.slice(1).map((p) => p.itemIndex)).toEqual([2, 3, 4]); // item-to-item order without a user
  });

  it('re-scores the neighbours by the user and never returns what accept refuses', () => {
    const user = Float32Array.from([0.2, 1]);
    const picks = upNext({ ...base, userVec: user, accept: (i) => i !== 2, franchise: null });
    expect(picks.map((p) => p.itemIndex)).toEqual([1, 3, 4]); // the 4 nearest accepted, ordered by x_u·y: 1, 0.44, 0.22
    expect(picks.every((p) => p.why === 'similar')).toBe(true);
    expect(picks.map((p) => p.itemIndex)).not.toContain(0);
  });

  it('exact neighbours equal a full sort', () => {
    const near = exactNeighbours(Y, 5, 2)(Float32Array.from([0.3, 0.7]), 5, () => true);
    const byHand = [0, 1, 2, 3, 4].sort((a, b) => 0.3 * Y[b * 2] + 0.7 * Y[b * 2 + 1] - (0.3 * Y[a * 2] + 0.7 * Y[a * 2 + 1]));
    expect(near).toEqual(byHand);
  });
});

describe('franchises of a synthetic world', () => {
  const w = buildWorld(PRESETS.tiny, 7);
  const fr = w.franchises;

  it('names its franchise parts so that the title heuristic finds exactly them, in release order', () => {
    expect(fr.members.length).toBeGreaterThanOrEqual(3);
    const ix = buildFranchiseIndex(w.catalog.names.map((title, i) => ({ title, year: w.catalog.years[i] })));
    const found = ix.members.map((m) => m.join(',')).sort();
    expect(found).toEqual(fr.members.map((m) => m.join(',')).sort());
    for (const m of fr.members) {
      for (let p = 1; p < m.length; p++) {
        expect(w.taste.itemAdded[m[p]]).toBeGreaterThanOrEqual(w.taste.itemAdded[m[p - 1]]);
        expect(w.catalog.years[m[p]]).toBeGreaterThanOrEqual(w.catalog.years[m[p - 1]]);
      }
    }
  });

  it('builds the same index in slices as in one piece (the API builds it between requests)', async () => {
    const items = w.catalog.names.map((title, i) => ({ title, year: w.catalog.years[i] }));
    let pauses = 0;
    const sliced = await buildFranchiseIndexInSlices(items, async () => void pauses++, 7);
    expect(pauses).toBe(Math.ceil(items.length / 7));
    expect(sliced).toEqual(buildFranchiseIndex(items));
  });

  it('after a franchise title, users often play its next part, and never a title they watched', () => {
    const rng = new Rng(7, POST_PLAY_STREAM);
    const scratch = new Float64Array(w.taste.nTitles);
    let sequels = 0;
    const trials = 200;
    for (let j = 0; j < trials; j++) {
      const m = fr.members[j % fr.members.length];
      const f = m[0];
      const t = Math.max(w.taste.itemAdded[m[m.length - 1]], w.taste.start) + 86_400;
      const watched = (i: number) => i === f || i === 3;
      const next = postPlayChoice(w.model, fr, j % w.taste.nUsers, f, t, watched, rng, scratch);
      expect(watched(next)).toBe(false);
      if (next === nextPart(fr, f, watched)) sequels++;
    }
    expect(sequels / trials).toBeGreaterThan(0.3);
  });
});

import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateWorld } from '../../data/generator';
import { DEFAULT_SESSION_INTENT, SessionIntent, type IntentWorld } from '../../data/world/session-intent';
import { tempDir } from '../helpers/paths';
import { worldRows, type Row } from '../helpers/world-files';

describe('session intent in the synthetic world', () => {
  const dir = tempDir('gen-intent');
  let shares: Shares;

  beforeAll(async () => {
    // The tiny preset has no binges (the tests' gates are calibrated on it); the demo and large ones do.
    await generateWorld({ preset: 'tiny', seed: 7, outDir: dir, sessionIntent: DEFAULT_SESSION_INTENT });
    shares = await genreRepeatShares(dir);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('users binge a genre for a stretch: back-to-back home-feed watches share a genre far more often than watches days apart', () => {
    // Without intent both shares are ≈ 0.17 on this world; with it the within-session share doubles.
    expectBinges(shares);
  });

  it('with bingeProb 0 no session has a mood and no intent draw is made', () => {
    const world: IntentWorld = { seed: 1, params: { sessionIntent: { bingeProb: 0, bingeExtendProb: 0.9 } }, catalog: { genres: [[0], [1]] }, taste: { nTitles: 2, itemAdded: new Float64Array(2) } };
    const intent = new SessionIntent(world);
    intent.startUser(0);
    let picks = 0;
    expect(intent.mood(10, () => (picks++, 0))).toBe(-1);
    expect(picks).toBe(0);
    expect(intent.extend(0, 10, new Float64Array([1, 1]), () => Infinity)).toBe(10);
  });

  it('a binge title is of the mood genre, already added, drawn in proportion to the propensities', () => {
    const world: IntentWorld = { seed: 3, params: { sessionIntent: { bingeProb: 1, bingeExtendProb: 0 } }, catalog: { genres: [[0], [1, 0], [0], [1]] }, taste: { nTitles: 4, itemAdded: Float64Array.from([0, 0, 50, 0]) } };
    const intent = new SessionIntent(world);
    intent.startUser(0);
    expect(intent.mood(10, () => 3)).toBe(1); // the primary genre of the drawn title
    const counts = [0, 0, 0, 0];
    const weights = Float64Array.from([1, 3, 100, 100]);
    for (let j = 0; j < 4000; j++) counts[intent.pickInGenre(0, 10, weights)]++;
    expect(counts[3]).toBe(0); // not of genre 0
    expect(counts[2]).toBe(0); // not added yet at t = 10
    expect(counts[1] / counts[0]).toBeGreaterThan(2.5);
    expect(counts[1] / counts[0]).toBeLessThan(3.5);
  });
});

describe('session intent in a world whose blocks of users draw from a catalog sample (large preset)', () => {
  const dir = tempDir('gen-intent-large');
  let shares: Shares;

  beforeAll(async () => {
    // Blocks of 1 000 users, each simulated against ≈ 2 000 of the 20 000 titles: the intent must
    // read the sample's genres by sample position, as the simulator indexes titles.
    await generateWorld({ preset: 'large', seed: 11, users: 2_000, titles: 20_000, outDir: dir });
    shares = await genreRepeatShares(dir);
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('binges follow the mood genre there too: back-to-back home-feed watches share a genre far more often than watches days apart', () => {
    expectBinges(shares);
  });
});

type Shares = { within: { same: number; n: number }; apart: { same: number; n: number } };

/** Enough pairs of each kind, and consecutive watches within a session share a genre ≥ 1.5× as often as watches days apart. */
function expectBinges({ within, apart }: Shares): void {
  expect(within.n).toBeGreaterThan(1000);
  expect(apart.n).toBeGreaterThan(500);
  expect(within.same / within.n).toBeGreaterThan(1.5 * (apart.same / apart.n));
}

/** A world's home-feed watches, per user: consecutive ones < 4 h apart (within) and > 24 h apart, how many, and how many share the primary genre. */
async function genreRepeatShares(dir: string): Promise<Shares> {
  const watches = (await worldRows(join(dir, 'events.parquet'))).filter((e) => e.event_type === 'watch' && e.source === 'home_feed');
  const primary = new Map((await worldRows(join(dir, 'movies.csv'))).map((m) => [m.movie_id, m.genres.split('|')[0]]));
  const byUser = new Map<string, Row[]>();
  for (const e of watches) byUser.set(e.user_id, [...(byUser.get(e.user_id) ?? []), e]);
  const within = { same: 0, n: 0 }, apart = { same: 0, n: 0 };
  for (const list of byUser.values()) {
    for (let i = 1; i < list.length; i++) {
      const gapHours = (Date.parse(list[i].ts) - Date.parse(list[i - 1].ts)) / 3600e3;
      const bucket = gapHours < 4 ? within : gapHours > 24 ? apart : null;
      if (!bucket) continue;
      bucket.n++;
      if (primary.get(list[i].movie_id) === primary.get(list[i - 1].movie_id)) bucket.same++;
    }
  }
  return { within, apart };
}

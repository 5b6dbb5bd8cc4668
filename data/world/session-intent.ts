// Session intent: some sessions are a binge of one genre. The user's mood for the evening is a
// genre drawn from their own taste (the primary genre of a title drawn ∝ their current watch
// propensity); the session's home-feed watches are then titles of that genre, each drawn ∝
// propensity among the genre's titles already added (watched ones keep only repeatProb of their
// pull), and the stretch goes on past the usual session length (bingeExtendProb). The static model
// knows the user's genres but not tonight's one: that is what a session-aware feed can use.
//
// Every draw of the intent (whether to binge, the genre, the titles, and the extra watches'
// completion and ratings) comes from a stream of its own, and a binge title replaces the usual pick
// after that pick was drawn, so the simulator's main stream makes exactly the draws it made before.
// The binge still changes what is watched (a later pick rarely repeats a watched title) and when
// the user is free, so the events of a world with intent differ from one without.
import { Rng } from '../rng';

/** What the intent reads of a built world (data/world/catalog.ts World; not imported, to keep params → here acyclic). */
export interface IntentWorld {
  seed: number;
  params: { sessionIntent?: SessionIntentParams };
  catalog: { genres: number[][] };
  taste: { nTitles: number; itemAdded: Float64Array };
}

export interface SessionIntentParams {
  /** Probability that a session's home-feed watches are a binge of one genre (0 = no intent: the world of before). */
  bingeProb: number;
  /** After a binge session's usual watches, probability of one more title of the genre, again and again (the stretch). */
  bingeExtendProb: number;
}

export const DEFAULT_SESSION_INTENT: SessionIntentParams = { bingeProb: 0.3, bingeExtendProb: 0.6 };

/** Stream numbers of the intent: far from the simulator's 1_000_003 + u. */
const INTENT_STREAM = 500_000_000;

export class SessionIntent {
  private readonly byGenre: Int32Array[]; // genre → title indices with that genre
  private readonly cum: Float64Array; // scratch: cumulative weights over one genre's titles
  private readonly p: SessionIntentParams;
  private rng: Rng | null = null;

  constructor(private readonly w: IntentWorld) {
    this.p = w.params.sessionIntent ?? DEFAULT_SESSION_INTENT;
    const lists: number[][] = [];
    w.catalog.genres.forEach((gs, i) => {
      for (const g of gs) (lists[g] ??= []).push(i);
    });
    this.byGenre = Array.from({ length: lists.length }, (_, g) => Int32Array.from(lists[g] ?? []));
    this.cum = new Float64Array(w.taste.nTitles);
  }

  /** The intent stream of user u (call once per user, before its sessions). */
  startUser(u: number): void {
    this.rng = this.p.bingeProb > 0 ? new Rng(this.w.seed, INTENT_STREAM + u) : null;
  }

  /**
   * Tonight's genre, or −1 for a session without intent: with probability bingeProb, the primary
   * genre of a title drawn by `pick` (∝ the user's propensity, existing at t; −1 if none).
   */
  mood(t: number, pick: (rng: Rng, t: number) => number): number {
    const rng = this.rng;
    if (!rng || !rng.chance(this.p.bingeProb)) return -1;
    const i = pick(rng, t);
    return i < 0 ? -1 : (this.w.catalog.genres[i][0] ?? -1);
  }

  /** A title of `genre` existing at t drawn ∝ `weights` (the current propensities, nTitles), or −1. */
  pickInGenre(genre: number, t: number, weights: Float64Array): number {
    const rng = this.rng;
    const titles = this.byGenre[genre];
    if (!rng || !titles || titles.length === 0) return -1;
    const added = this.w.taste.itemAdded;
    let total = 0;
    for (let r = 0; r < titles.length; r++) {
      const i = titles[r];
      total += added[i] <= t ? weights[i] : 0;
      this.cum[r] = total;
    }
    if (!(total > 0)) return -1;
    const x = rng.float() * total;
    let r = 0;
    while (r < titles.length - 1 && this.cum[r] <= x) r++;
    return titles[r];
  }

  /**
   * The stretch: after a binge session's usual watches (which ended at t), more titles of the genre
   * while a bingeExtendProb draw says so. `watch` plays title i at t on the given stream and returns
   * when the user is free (Infinity past the world's end). Returns the end time.
   */
  extend(genre: number, t: number, weights: Float64Array, watch: (i: number, t: number, rng: Rng) => number): number {
    const rng = this.rng;
    while (rng && t !== Infinity && rng.chance(this.p.bingeExtendProb)) {
      const i = this.pickInGenre(genre, t, weights);
      if (i < 0) break;
      t = watch(i, t, rng);
    }
    return t;
  }
}

// What a synthetic world is made of: the presets and their knobs, the range's end and the genre
// vocabulary. The generative story they drive is told in data/world/index.ts.
import type { SessionIntentParams } from './session-intent';

export type PresetName = 'tiny' | 'demo' | 'large';

/** Every knob of a world. Sizes differ per preset; behaviour knobs share DEFAULT_BEHAVIOUR. */
export interface WorldParams {
  users: number; // users over the whole range (all of them get at least one event)
  titles: number; // titles in the catalog at the end of the range
  days: number; // length of the range, ending at WORLD_END
  sessionsPerUserDay: number; // mean session rate of a user while present
  activitySpread: number; // σ of the lognormal per-user rate multiplier (heavy tail of heavy users)
  initialUserShare: number; // share of users present from the first day; the rest arrive spread over the range
  initialTitleShare: number; // share of titles added before the range; the rest arrive daily during it
  dims: number; // latent dimension of tastes and traits
  itemNoise: number; // spread of title traits around their genres' centroids
  userNoise: number; // spread of user tastes around their favourite genres' centroids
  tasteWeight: number; // weight of the standardised fit in the watch logit (taste dominates popularity)
  zipfExponent: number; // s in −s·ln(rank): popularity part of the watch logit
  trendBoost: number; // extra logit of a title on the day it is added …
  trendTauDays: number; // … decaying with this time constant
  driftScale: number; // size of a user's genre drift over the whole range (in genre-preference units)
  epochDays: number; // tastes, trends and availability are re-evaluated once per epoch
  extraWatchProb: number; // after each watch in a session, probability of one more (binge)
  repeatProb: number; // a watched title keeps this share of its pull (rewatches stay rare)
  completionMidpoint: number; // fit at which a watch completes half the time
  completionSlope: number; // steepness of completion probability in fit
  ratingShare: number; // share of watches followed by a rating event
  ratingMean: number; // rating at fit = completionMidpoint, before user bias and noise
  ratingSlope: number; // rating points per unit of fit
  searchProb: number; // probability that a session starts with a search …
  searchWatchProb: number; // … that ends in watching the found title
  browseProb: number; // probability of browsing 1–3 title pages in a session …
  browseWatchProb: number; // … and watching the best-liked of them
  impressionProb: number; // probability of a row of impressions of popular titles on the home feed …
  impressionsPerRow: number; // … with this many titles
  sessionIntent?: SessionIntentParams; // genre binges (session-intent.ts); absent = DEFAULT_SESSION_INTENT
  catalogSample?: CatalogSample; // absent: every user draws from the whole catalog (exact, O(titles) per user)
}

/**
 * Large catalogs: each block of `users` consecutive users draws from a sample of about `titles`
 * titles (the `head` most popular ones plus a uniform share of the rest, reweighted), so a user
 * costs O(titles of the sample) to simulate. See data/world/sample.ts.
 */
export interface CatalogSample {
  users: number;
  titles: number;
  head: number;
}

/** Behaviour shared by all presets (documented in WorldParams). */
export const DEFAULT_BEHAVIOUR = {
  activitySpread: 1.0,
  initialUserShare: 0.65,
  initialTitleShare: 0.85,
  dims: 16,
  itemNoise: 0.7,
  userNoise: 0.7,
  tasteWeight: 1.0,
  zipfExponent: 1.0,
  trendBoost: 1.5,
  trendTauDays: 7,
  driftScale: 0.8,
  epochDays: 4,
  extraWatchProb: 0.35,
  repeatProb: 0.04,
  completionMidpoint: 0.2,
  completionSlope: 2.5,
  ratingShare: 0.2,
  ratingMean: 3.2,
  ratingSlope: 0.6,
  searchProb: 0.12,
  searchWatchProb: 0.6,
  browseProb: 0.3,
  browseWatchProb: 0.4,
  impressionProb: 0.1,
  impressionsPerRow: 3,
} satisfies Partial<WorldParams>;

export const PRESETS: Record<PresetName, WorldParams> = {
  /** ≈ 300 users, 200 titles, 30 days, 10–20 k events: unit tests, about a second. */
  tiny: { ...DEFAULT_BEHAVIOUR, users: 300, titles: 200, days: 30, sessionsPerUserDay: 0.7, sessionIntent: { bingeProb: 0, bingeExtendProb: 0 } }, // no binges: the tests' gates are calibrated on it
  /** ≈ 20 k users, 3 k titles, 60 days, ≥ 1 M events: demos and the default benchmark. */
  demo: { ...DEFAULT_BEHAVIOUR, users: 20_000, titles: 3_000, days: 60, sessionsPerUserDay: 0.38 },
  /**
   * The target scale: 1 M users, 100 k titles, 90 days, ≥ 30 M events (npm run rehearsal). Blocks of
   * 1 000 users draw from a 2 000-title sample of the catalog (data/world/sample.ts); `recs generate
   * --users/--titles` makes it smaller.
   */
  large: {
    ...DEFAULT_BEHAVIOUR, users: 1_000_000, titles: 100_000, days: 90, sessionsPerUserDay: 0.15,
    catalogSample: { users: 1_000, titles: 2_000, head: 500 },
  },
};

/** Last instant of every synthetic world (fixed, so worlds are reproducible and never in the future). */
export const WORLD_END = '2026-10-31T23:59:59Z';

/** The MovieLens genre vocabulary, so content features mean the same on both kinds of data. */
export const GENRES = [
  'Action', 'Adventure', 'Animation', 'Children', 'Comedy', 'Crime', 'Documentary', 'Drama', 'Fantasy',
  'Film-Noir', 'Horror', 'Musical', 'Mystery', 'Romance', 'Sci-Fi', 'Thriller', 'War', 'Western',
] as const;

/** Seconds in a day: the unit of every range, arrival and epoch below. */
export const DAY = 86400;

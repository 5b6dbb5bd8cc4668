// Deterministic synthetic world: a catalog, users with latent tastes, and their events, written
// as a world directory (see data/world-dir.ts) plus truth/ with the hidden parameters, so a
// benchmark can rank titles by the true watch propensity (an oracle ceiling).
//
// The generative story (all draws from seeded xoshiro streams; same seed ⇒ same bytes):
//   • 18 genres with unequal prevalence; each genre g has a latent centroid M_g ∈ R^d.
//   • Title i: 1–3 genres G_i, latent traits v_i = mean_{g∈G_i} M_g + noise, a Zipf popularity
//     rank r_i (random order), a duration, a year, tags that follow its latent traits, and
//     added_at: most titles predate the range, the rest arrive spread over its days.
//   • User u: 1–3 favourite genres (plus maybe a disliked one) → genre preferences p_u, a latent
//     taste x_u drawn around the favourite genres' centroids, a small genre drift δ_u over the
//     whole range, a heavy-tailed (lognormal) session rate, an arrival time (most at the start,
//     the rest arriving daily).
//   • Taste fit at time t, standardised over random (user, title) pairs:
//       raw_ui(t) = x_u·v_i + Σ_{g∈G_i} (p_ug + f(t)·δ_ug) / |G_i|,   fit = (raw − μ) / σ
//     with f(t) the elapsed share of the range, stepped once per epoch.
//   • Watch propensity (the oracle's score):
//       logit_ui(t) = tasteWeight·fit_ui(t) − zipfExponent·ln(r_i) + trendBoost·exp(−age_i(t)/τ)
//     Each pick in a session draws a title ∝ exp(logit) among titles already added; a title the
//     user already watched keeps only repeatProb of its weight (occasional rewatches).
//   • Completion = watch_seconds / duration: complete (≥ 0.9) with probability
//     sigmoid(completionSlope·(fit − completionMidpoint)), otherwise an early abandon.
//     ~ratingShare of watches are followed by a rating event whose value rises with fit.
//   • Sessions also hold searches and browses of titles the user is drawn to (some followed by a
//     watch) and a few impressions of popular titles on the home feed.
//
// Simulation is per user (its own stream) into compact typed arrays, then a stable counting
// sort by second orders all events by time; event ids e1…eN follow that order. Ratings are
// separate `rating` events (watch_seconds empty) a little after the watch they rate.
//
// The defaults are calibrated so that personalisation matters but popularity is a real baseline;
// the measured figures of the demo world (popularity, iALS, the oracle) are in
// bench/results/quality.json (npm run bench:quality).
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { endianness } from 'node:os';
import { join } from 'node:path';
import { INTEGER, UTINYINT, VARCHAR, DOUBLE, listValue } from '@duckdb/node-api';
import { Warehouse } from '../storage/duckdb';
import { EVENTS_FILE, MOVIES_FILE, beginWorldDir, isoUtc, parseIsoSeconds, quietProgress, writeManifest, type Manifest, type WorldProgress } from './world-dir';
import { Rng, WeightedSampler, searchCumulative } from './rng';

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
  tiny: { ...DEFAULT_BEHAVIOUR, users: 300, titles: 200, days: 30, sessionsPerUserDay: 0.7 },
  /** ≈ 20 k users, 3 k titles, 60 days, ≥ 1 M events: demos and the default benchmark. */
  demo: { ...DEFAULT_BEHAVIOUR, users: 20_000, titles: 3_000, days: 60, sessionsPerUserDay: 0.38 },
  /** ≈ 100 k users, 10 k titles, 90 days, ≥ 5 M events: scale benchmarks. */
  large: { ...DEFAULT_BEHAVIOUR, users: 100_000, titles: 10_000, days: 90, sessionsPerUserDay: 0.26 },
};

/** Last instant of every synthetic world (fixed, so worlds are reproducible and never in the future). */
export const WORLD_END = '2026-10-31T23:59:59Z';

/** The MovieLens genre vocabulary, so content features mean the same on both kinds of data. */
export const GENRES = [
  'Action', 'Adventure', 'Animation', 'Children', 'Comedy', 'Crime', 'Documentary', 'Drama', 'Fantasy',
  'Film-Noir', 'Horror', 'Musical', 'Mystery', 'Romance', 'Sci-Fi', 'Thriller', 'War', 'Western',
] as const;
// Relative share of titles carrying each genre (roughly MovieLens-shaped).
const GENRE_PREVALENCE = [10, 7, 3, 4, 16, 6, 3, 20, 4, 0.6, 5, 1.5, 3, 8, 5, 9, 2, 1];

const TAG_NAMES = [
  'feel-good', 'dark', 'twist ending', 'slow burn', 'based on a true story', 'ensemble cast', 'cult classic',
  'visually stunning', 'quirky', 'heartwarming', 'violent', 'satire', 'coming of age', 'strong female lead',
  'time travel', 'dystopia', 'road trip', 'heist', 'small town', 'revenge', 'friendship', 'family', 'music', 'sports',
];
const TAG_COSINE = 0.45; // a title carries a tag when cos(v_i, tag direction) exceeds this
const MAX_TAGS = 4;

const ADJECTIVES = [
  'Silent', 'Broken', 'Golden', 'Last', 'Hidden', 'Crimson', 'Endless', 'Frozen', 'Wild', 'Burning', 'Lost',
  'Midnight', 'Iron', 'Paper', 'Velvet', 'Distant', 'Secret', 'Electric', 'Hollow', 'Bright', 'Quiet', 'Savage',
  'Little', 'Northern', 'Restless', 'Sweet', 'Bitter', 'Glass', 'Stolen', 'Final',
];
const NOUNS = [
  'Harbor', 'Summer', 'Kingdom', 'River', 'Promise', 'Shadow', 'Garden', 'Machine', 'Letter', 'Horizon', 'Storm',
  'Detective', 'Orchard', 'Frontier', 'Empire', 'Signal', 'Island', 'Witness', 'Carnival', 'Station', 'Dragon',
  'Winter', 'Mirror', 'Highway', 'Heart', 'Circus', 'Planet', 'Lighthouse', 'Debt', 'Echo', 'Border', 'Crown',
];
const SEQUELS = ['II', 'III', 'IV', 'Returns', 'Reloaded'];

// Event encoding in the simulation buffers.
const TYPE_NAMES = ['watch', 'rating', 'search', 'browse', 'impression'] as const;
const T_WATCH = 0;
const T_RATING = 1;
const T_SEARCH = 2;
const T_BROWSE = 3;
const T_IMPRESSION = 4;
const SOURCE_NAMES = ['', 'home_feed', 'search', 'browse'] as const;
const S_NONE = 0;
const S_HOME = 1;
const S_SEARCH = 2;
const S_BROWSE = 3;

const DAY = 86400;
const FIT_SAMPLE_PAIRS = 20_000; // random (user, title) pairs that standardise the fit
const MAX_PICK_TRIES = 12;

// ---------------------------------------------------------------- taste model (shared with the oracle)

/** The hidden parameters that define every user's propensity for every title at any time. */
export interface TasteParams {
  dims: number;
  nGenres: number;
  nUsers: number;
  nTitles: number;
  userLatent: Float32Array; // nUsers × dims, row-major
  userGenre: Float32Array; // nUsers × nGenres, genre preference at the start of the range
  userDrift: Float32Array; // nUsers × nGenres, change of genre preference over the whole range
  itemLatent: Float32Array; // nTitles × dims, row-major
  itemGenre: Float32Array; // nTitles × nGenres, 1/|G_i| on the title's genres, 0 elsewhere
  itemLogPop: Float32Array; // nTitles, −zipfExponent·ln(rank)
  itemAdded: Float64Array; // nTitles, added_at in unix seconds
  start: number; // unix seconds, first instant of the range
  end: number; // unix seconds, last instant of the range
  epochSeconds: number;
  tasteWeight: number;
  trendBoost: number;
  trendTauSeconds: number;
  fitMean: number; // μ of raw fit over random (user, title) pairs
  fitStd: number; // σ of raw fit over random (user, title) pairs
}

/** Fast evaluation of TasteParams: genres kept as per-genre title lists (a title has ≤ 3). */
class TasteModel {
  readonly p: TasteParams;
  readonly nEpochs: number;
  private readonly genreTitles: Int32Array[]; // per genre: the titles carrying it
  private readonly genreTitleW: Float32Array[]; // per genre: 1/|G_i| of those titles
  private readonly itemLatent64: Float64Array; // itemLatent widened once: the dot products run on doubles

  constructor(p: TasteParams) {
    this.p = p;
    this.nEpochs = Math.max(1, Math.ceil((p.end + 1 - p.start) / p.epochSeconds));
    this.genreTitles = [];
    this.genreTitleW = [];
    for (let g = 0; g < p.nGenres; g++) {
      const ids: number[] = [];
      const ws: number[] = [];
      for (let i = 0; i < p.nTitles; i++) {
        const w = p.itemGenre[i * p.nGenres + g];
        if (w !== 0) {
          ids.push(i);
          ws.push(w);
        }
      }
      this.genreTitles.push(Int32Array.from(ids));
      this.genreTitleW.push(Float32Array.from(ws));
    }
    this.itemLatent64 = Float64Array.from(p.itemLatent);
  }

  epochOf(t: number): number {
    return Math.min(this.nEpochs - 1, Math.max(0, Math.floor((t - this.p.start) / this.p.epochSeconds)));
  }

  epochStart(e: number): number {
    return this.p.start + e * this.p.epochSeconds;
  }

  /** Elapsed share of the range at the start of epoch e: the drift multiplier f(t). */
  driftFraction(e: number): number {
    return Math.min(1, (e * this.p.epochSeconds) / (this.p.end + 1 - this.p.start));
  }

  /** Trend term of title i during epoch e (full boost if it is added during the epoch). */
  trend(i: number, e: number): number {
    const age = Math.max(0, this.epochStart(e) - this.p.itemAdded[i]);
    return this.p.trendBoost * Math.exp(-age / this.p.trendTauSeconds);
  }

  /** out[i] ← x_u·v_i + Σ_{g∈G_i} p_ug/|G_i|   (raw fit of user u with every title at the start). */
  staticFit(u: number, out: Float64Array): void {
    const { dims: d, nTitles: n } = this.p;
    const V = this.itemLatent64;
    const x = Float64Array.from(this.p.userLatent.subarray(u * d, (u + 1) * d));
    const d4 = d - (d % 4);
    for (let i = 0, io = 0; i < n; i++, io += d) {
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let k = 0; k < d4; k += 4) {
        s0 += x[k] * V[io + k];
        s1 += x[k + 1] * V[io + k + 1];
        s2 += x[k + 2] * V[io + k + 2];
        s3 += x[k + 3] * V[io + k + 3];
      }
      for (let k = d4; k < d; k++) s0 += x[k] * V[io + k];
      out[i] = s0 + s1 + s2 + s3;
    }
    this.addGenreTerm(this.p.userGenre, u, out);
  }

  /** out[i] ← Σ_{g∈G_i} δ_ug/|G_i|   (raw fit change of user u with every title over the whole range). */
  driftFit(u: number, out: Float64Array): void {
    out.fill(0);
    this.addGenreTerm(this.p.userDrift, u, out);
  }

  /**
   * weights[i] ← weights[i] · exp(shift · Σ_{g∈G_i} δ_ug/|G_i|), i.e. the drift part of exp(logit),
   * with one exp per (genre, |G_i|) instead of one per title (δ_u is non-zero on few genres).
   */
  scaleByDrift(u: number, shift: number, weights: Float64Array): void {
    const G = this.p.nGenres;
    const factor = [1, 1, 1, 1];
    for (let g = 0; g < G; g++) {
      const c = this.p.userDrift[u * G + g];
      if (c === 0) continue;
      for (let k = 1; k <= 3; k++) factor[k] = Math.exp((shift * c) / k);
      const ids = this.genreTitles[g];
      const ws = this.genreTitleW[g];
      for (let j = 0; j < ids.length; j++) {
        const k = Math.round(1 / ws[j]);
        weights[ids[j]] *= k <= 3 ? factor[k] : Math.exp(shift * c * ws[j]);
      }
    }
  }

  private addGenreTerm(perGenre: Float32Array, u: number, out: Float64Array): void {
    const G = this.p.nGenres;
    for (let g = 0; g < G; g++) {
      const c = perGenre[u * G + g];
      if (c === 0) continue;
      const ids = this.genreTitles[g];
      const ws = this.genreTitleW[g];
      for (let j = 0; j < ids.length; j++) out[ids[j]] += c * ws[j];
    }
  }
}

// ---------------------------------------------------------------- building the world (no I/O)

interface Catalog {
  names: string[];
  years: Int16Array; // 0 = unknown
  durations: Int32Array; // seconds
  tags: string[][];
  genres: number[][];
}

interface Population {
  arrival: Float64Array; // unix seconds
  rate: Float64Array; // sessions per day while present
  ratingBias: Float32Array;
}

interface World {
  params: WorldParams;
  seed: number;
  taste: TasteParams;
  model: TasteModel;
  catalog: Catalog;
  population: Population;
}

function sampleDistinct(rng: Rng, weights: readonly number[], k: number): number[] {
  const w = weights.slice();
  const out: number[] = [];
  for (let j = 0; j < k; j++) {
    const g = rng.weightedIndex(w);
    out.push(g);
    w[g] = 0;
  }
  return out;
}

function buildWorld(params: WorldParams, seed: number): World {
  const d = params.dims;
  const G = GENRES.length;
  const end = parseIsoSeconds(WORLD_END);
  const start = end + 1 - params.days * DAY;

  // Genre centroids and tag directions.
  const rg = new Rng(seed, 1);
  const centroids = new Float32Array(G * d); // G × d
  for (let j = 0; j < centroids.length; j++) centroids[j] = rg.normal() / Math.sqrt(d) * 1.6;
  const tagDirs = new Float32Array(TAG_NAMES.length * d); // nTags × d, unit rows
  for (let t = 0; t < TAG_NAMES.length; t++) {
    let norm = 0;
    for (let k = 0; k < d; k++) {
      const x = rg.normal();
      tagDirs[t * d + k] = x;
      norm += x * x;
    }
    for (let k = 0; k < d; k++) tagDirs[t * d + k] /= Math.sqrt(norm);
  }

  // Titles.
  const n = params.titles;
  const rt = new Rng(seed, 2);
  const itemLatent = new Float32Array(n * d);
  const itemGenre = new Float32Array(n * G);
  const itemLogPop = new Float32Array(n);
  const itemAdded = new Float64Array(n);
  const catalog: Catalog = { names: [], years: new Int16Array(n), durations: new Int32Array(n), tags: [], genres: [] };
  const nInitialTitles = Math.round(n * params.initialTitleShare);
  const nNewTitles = n - nInitialTitles;
  const ranks = rt.shuffle(Int32Array.from({ length: n }, (_, i) => i + 1));
  for (let i = 0; i < n; i++) {
    const k = rt.float() < 0.45 ? 1 : rt.float() < 0.73 ? 2 : 3;
    const gs = sampleDistinct(rt, GENRE_PREVALENCE, k).sort((a, b) => a - b);
    catalog.genres.push(gs);
    for (const g of gs) itemGenre[i * G + g] = 1 / k;
    for (let c = 0; c < d; c++) {
      let s = 0;
      for (const g of gs) s += centroids[g * d + c];
      itemLatent[i * d + c] = s / k + (params.itemNoise * rt.normal()) / Math.sqrt(d);
    }
    itemLogPop[i] = -params.zipfExponent * Math.log(ranks[i]);
    if (i < nInitialTitles) {
      // Catalog titles: added during the three years before the range, ids in order of arrival.
      itemAdded[i] = start - 3 * 365 * DAY + Math.floor(((i + rt.float()) / nInitialTitles) * 3 * 365 * DAY / 60) * 60;
      itemAdded[i] = Math.min(itemAdded[i], start - 60);
    } else {
      // New arrivals: spread over the days of the range, in the morning or afternoon (UTC).
      const j = i - nInitialTitles;
      const day = Math.floor((j * params.days) / nNewTitles);
      itemAdded[i] = start + day * DAY + 6 * 3600 + Math.floor(rt.float() * 12 * 60) * 60;
    }
    const addedYear = new Date(itemAdded[i] * 1000).getUTCFullYear();
    const fresh = i >= nInitialTitles && rt.chance(0.7);
    catalog.years[i] = fresh ? addedYear : Math.max(1920, addedYear - Math.floor(rt.exponential(12)));
    const mean = gs.includes(2) || gs.includes(3) ? 5400 : gs.includes(6) ? 5700 : 6500;
    const dur = Math.min(11400, Math.max(4200, mean + 1300 * rt.normal()));
    catalog.durations[i] = Math.round(dur / 60) * 60;
    catalog.names.push(titleName(rt));
    const tags: { t: number; c: number }[] = [];
    let vn = 0;
    for (let c = 0; c < d; c++) vn += itemLatent[i * d + c] ** 2;
    vn = Math.sqrt(vn) || 1;
    for (let t = 0; t < TAG_NAMES.length; t++) {
      let dot = 0;
      for (let c = 0; c < d; c++) dot += itemLatent[i * d + c] * tagDirs[t * d + c];
      if (dot / vn > TAG_COSINE) tags.push({ t, c: dot / vn });
    }
    tags.sort((a, b) => b.c - a.c);
    catalog.tags.push(tags.slice(0, MAX_TAGS).map((x) => TAG_NAMES[x.t]));
  }

  // Users.
  const m = params.users;
  const userLatent = new Float32Array(m * d);
  const userGenre = new Float32Array(m * G);
  const userDrift = new Float32Array(m * G);
  const population: Population = { arrival: new Float64Array(m), rate: new Float64Array(m), ratingBias: new Float32Array(m) };
  const nInitialUsers = Math.round(m * params.initialUserShare);
  const favouriteWeights = GENRE_PREVALENCE.map((w) => Math.pow(w, 0.7));
  const ru = new Rng(seed, 3);
  for (let u = 0; u < m; u++) {
    const k = ru.float() < 0.35 ? 1 : ru.float() < 0.7 ? 2 : 3;
    const fav = sampleDistinct(ru, favouriteWeights, k);
    for (let g = 0; g < G; g++) userGenre[u * G + g] = 0.15 * ru.normal();
    const favW = fav.map(() => ru.uniform(0.7, 1.3));
    fav.forEach((g, j) => (userGenre[u * G + g] += favW[j]));
    if (ru.chance(0.4)) {
      const g = ru.int(G);
      if (!fav.includes(g)) userGenre[u * G + g] -= ru.uniform(0.5, 1.0);
    }
    for (let c = 0; c < d; c++) {
      let s = 0;
      fav.forEach((g, j) => (s += favW[j] * centroids[g * d + c]));
      userLatent[u * d + c] = s / Math.sqrt(k) + (params.userNoise * ru.normal()) / Math.sqrt(d);
    }
    // Drift: one genre grows on the user, another fades, over the whole range.
    const up = ru.int(G);
    const down = ru.int(G);
    userDrift[u * G + up] += params.driftScale * ru.uniform(0.4, 1);
    userDrift[u * G + down] -= params.driftScale * ru.uniform(0.4, 1);
    // Lognormal with mean sessionsPerUserDay, clipped at +2.5σ so no user binges around the clock.
    const z = Math.min(2.5, ru.normal());
    population.rate[u] = params.sessionsPerUserDay * Math.exp(params.activitySpread * z - (params.activitySpread ** 2) / 2);
    population.ratingBias[u] = 0.35 * ru.normal();
    if (u < nInitialUsers) population.arrival[u] = start;
    else {
      // Newcomers arrive in id order, spread over the range, at least an hour before its end.
      const j = u - nInitialUsers;
      population.arrival[u] = start + Math.floor(((j + ru.float()) / (m - nInitialUsers)) * (end - start - 3600));
    }
  }

  // Standardise the fit over random (user, title) pairs at the start of the range.
  const taste: TasteParams = {
    dims: d, nGenres: G, nUsers: m, nTitles: n, userLatent, userGenre, userDrift, itemLatent, itemGenre, itemLogPop, itemAdded,
    start, end, epochSeconds: params.epochDays * DAY, tasteWeight: params.tasteWeight, trendBoost: params.trendBoost,
    trendTauSeconds: params.trendTauDays * DAY, fitMean: 0, fitStd: 1,
  };
  const rs = new Rng(seed, 4);
  let s1 = 0;
  let s2 = 0;
  for (let j = 0; j < FIT_SAMPLE_PAIRS; j++) {
    const u = rs.int(m);
    const i = rs.int(n);
    let x = 0;
    for (let c = 0; c < d; c++) x += userLatent[u * d + c] * itemLatent[i * d + c];
    for (let g = 0; g < G; g++) x += userGenre[u * G + g] * itemGenre[i * G + g];
    s1 += x;
    s2 += x * x;
  }
  taste.fitMean = s1 / FIT_SAMPLE_PAIRS;
  taste.fitStd = Math.sqrt(Math.max(1e-12, s2 / FIT_SAMPLE_PAIRS - taste.fitMean ** 2));
  return { params, seed, taste, model: new TasteModel(taste), catalog, population };
}

function titleName(rng: Rng): string {
  const a = ADJECTIVES[rng.int(ADJECTIVES.length)];
  const b = NOUNS[rng.int(NOUNS.length)];
  const c = NOUNS[rng.int(NOUNS.length)];
  switch (rng.int(6)) {
    case 0:
      return `The ${a} ${b}`;
    case 1:
      return `${b} of the ${c}`;
    case 2:
      return `${a} ${b}`;
    case 3:
      return `${b}, ${c}`; // a comma: exercises CSV quoting downstream
    case 4:
      return `The ${a} ${b} ${SEQUELS[rng.int(SEQUELS.length)]}`;
    default:
      return `${a} ${c}s`;
  }
}

// ---------------------------------------------------------------- simulation

/** Growable struct-of-arrays event buffer; ts relative to the range start, in seconds. */
class EventBuffer {
  length = 0;
  ts = new Int32Array(1 << 16);
  user = new Int32Array(1 << 16);
  movie = new Int32Array(1 << 16);
  type = new Uint8Array(1 << 16);
  watch = new Int32Array(1 << 16); // -1 = null
  rating2 = new Uint8Array(1 << 16); // rating × 2, 0 = null
  source = new Uint8Array(1 << 16);

  push(ts: number, user: number, movie: number, type: number, watch: number, rating2: number, source: number): void {
    if (this.length === this.ts.length) this.grow();
    const j = this.length++;
    this.ts[j] = ts;
    this.user[j] = user;
    this.movie[j] = movie;
    this.type[j] = type;
    this.watch[j] = watch;
    this.rating2[j] = rating2;
    this.source[j] = source;
  }

  private grow(): void {
    const cap = this.ts.length * 2;
    const g = <T extends Int32Array | Uint8Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(cap);
      b.set(a);
      return b;
    };
    this.ts = g(this.ts);
    this.user = g(this.user);
    this.movie = g(this.movie);
    this.type = g(this.type);
    this.watch = g(this.watch);
    this.rating2 = g(this.rating2);
    this.source = g(this.source);
  }
}

/** Per-epoch state shared by all users: trend × availability, and the popularity sampler for impressions. */
interface EpochTables {
  trendAvail: Float64Array[]; // nEpochs × nTitles: exp(trend) if added before the epoch ends, else 0
  popCum: Float64Array[]; // nEpochs × nTitles: cumulative exp(logPop + trend) over available titles
}

function epochTables(w: World): EpochTables {
  const { model, taste } = w;
  const n = taste.nTitles;
  const out: EpochTables = { trendAvail: [], popCum: [] };
  for (let e = 0; e < model.nEpochs; e++) {
    const ta = new Float64Array(n);
    const pc = new Float64Array(n);
    const epochEnd = model.epochStart(e + 1);
    let acc = 0;
    for (let i = 0; i < n; i++) {
      if (taste.itemAdded[i] < epochEnd) {
        ta[i] = Math.exp(model.trend(i, e));
        acc += Math.exp(taste.itemLogPop[i]) * ta[i];
      }
      pc[i] = acc;
    }
    out.trendAvail.push(ta);
    out.popCum.push(pc);
  }
  return out;
}

/** Simulates one user at a time; scratch buffers are allocated once. */
class UserSimulator {
  private readonly n: number;
  private readonly rawStatic: Float64Array; // nTitles, raw fit at the start of the range
  private readonly rawDrift: Float64Array; // nTitles, raw fit change over the range
  private readonly base: Float64Array; // nTitles, exp(tasteWeight·fit₀ + logPop)
  private readonly sampler: WeightedSampler; // draws ∝ propensity; a watched title keeps repeatProb of its weight
  private readonly watched: Uint8Array; // nTitles, 1 once the user watched the title
  private readonly touched: number[] = [];
  private user = -1;
  private epoch = -1;
  private driftShift = 0; // f(t)·(tasteWeight/σ): multiplies rawDrift inside the exponent
  private fitShift = 0; // f(t) for fit itself

  constructor(
    private readonly w: World,
    private readonly tables: EpochTables,
    private readonly out: EventBuffer,
  ) {
    this.n = w.taste.nTitles;
    this.rawStatic = new Float64Array(this.n);
    this.rawDrift = new Float64Array(this.n);
    this.base = new Float64Array(this.n);
    this.sampler = new WeightedSampler(this.n);
    this.watched = new Uint8Array(this.n);
  }

  run(u: number): void {
    const { w, n } = this;
    const { taste, model, params, population } = w;
    const rng = new Rng(w.seed, 1_000_003 + u);
    this.user = u;
    model.staticFit(u, this.rawStatic);
    model.driftFit(u, this.rawDrift);
    const a = taste.tasteWeight / taste.fitStd;
    for (let i = 0; i < n; i++) this.base[i] = Math.exp(a * (this.rawStatic[i] - taste.fitMean) + taste.itemLogPop[i]);
    this.epoch = -1;

    const arrival = population.arrival[u];
    const presentDays = (taste.end - arrival) / DAY;
    const nSessions = 1 + rng.poisson(population.rate[u] * presentDays);
    const times = new Float64Array(nSessions);
    const isNewcomer = arrival > taste.start;
    for (let s = 0; s < nSessions; s++) times[s] = s === 0 && isNewcomer ? arrival : sessionTime(rng, arrival, taste.start, taste.end);
    times.sort();

    for (let s = 0; s < nSessions; s++) this.session(u, rng, times[s], params, s === 0);
    for (const i of this.touched) this.watched[i] = 0;
    this.touched.length = 0;
  }

  private enterEpoch(e: number): void {
    if (e === this.epoch) return;
    const { taste, model, params } = this.w;
    this.epoch = e;
    const f = model.driftFraction(e);
    this.fitShift = f;
    this.driftShift = (f * taste.tasteWeight) / taste.fitStd;
    this.sampler.setProduct(this.base, this.tables.trendAvail[e]);
    const wts = this.sampler.weights;
    model.scaleByDrift(this.user, this.driftShift, wts);
    for (const i of this.touched) wts[i] *= params.repeatProb;
    this.sampler.rebuild();
  }

  /** Standardised fit of the current user with title i in the current epoch. */
  private fit(i: number): number {
    const t = this.w.taste;
    return (this.rawStatic[i] + this.fitShift * this.rawDrift[i] - t.fitMean) / t.fitStd;
  }

  /** A title drawn ∝ exp(logit) (watched ones down-weighted to rare rewatches) that exists at time t. */
  private pick(rng: Rng, t: number): number {
    const added = this.w.taste.itemAdded;
    for (let k = 0; k < MAX_PICK_TRIES; k++) {
      const i = this.sampler.sample(rng.float());
      if (added[i] <= t) return i;
    }
    return -1;
  }

  private pickPopular(rng: Rng, t: number): number {
    const pc = this.tables.popCum[this.epoch];
    for (let k = 0; k < MAX_PICK_TRIES; k++) {
      const i = searchCumulative(pc, this.n, rng.float() * pc[this.n - 1]);
      if (this.w.taste.itemAdded[i] <= t) return i;
    }
    return -1;
  }

  private emit(u: number, t: number, type: number, movie: number, watch: number, rating2: number, source: number): boolean {
    const rel = Math.floor(t) - this.w.taste.start;
    if (Math.floor(t) > this.w.taste.end) return false;
    this.out.push(rel, u, movie, type, watch, rating2, source);
    return true;
  }

  /** One watch starting at t; returns when the user is free again (or Infinity past the end). */
  private watch(u: number, rng: Rng, t: number, i: number, source: number, p: WorldParams): number {
    const fit = this.fit(i);
    const dur = this.w.catalog.durations[i];
    const pComplete = 1 / (1 + Math.exp(-p.completionSlope * (fit - p.completionMidpoint)));
    const completion = rng.chance(pComplete) ? Math.min(1, rng.uniform(0.9, 1.12)) : rng.uniform(0.02, 0.45);
    const secs = Math.max(30, Math.round(completion * dur));
    if (!this.emit(u, t, T_WATCH, i, secs, 0, source)) return Infinity;
    if (!this.watched[i]) {
      this.watched[i] = 1;
      this.touched.push(i);
      this.sampler.scale(i, this.w.params.repeatProb);
    }
    let next = t + secs;
    if (rng.chance(p.ratingShare)) {
      const r = p.ratingMean + p.ratingSlope * (fit - p.completionMidpoint) + this.w.population.ratingBias[u] + 0.6 * rng.normal();
      const r2 = Math.min(10, Math.max(1, Math.round(r * 2)));
      next += rng.uniform(5, 120);
      if (!this.emit(u, next, T_RATING, i, -1, r2, S_NONE)) return Infinity;
    }
    return next + rng.uniform(30, 600);
  }

  private session(u: number, rng: Rng, t0: number, p: WorldParams, first: boolean): void {
    this.enterEpoch(this.w.model.epochOf(t0));
    let t = t0;
    if (rng.chance(p.impressionProb)) {
      for (let k = 0; k < p.impressionsPerRow; k++) {
        const i = this.pickPopular(rng, t);
        if (i >= 0 && !this.emit(u, t, T_IMPRESSION, i, -1, 0, S_HOME)) return;
      }
      t += rng.uniform(2, 20);
    }
    if (rng.chance(p.searchProb)) {
      const i = this.pick(rng, t);
      if (i >= 0) {
        if (!this.emit(u, t, T_SEARCH, i, -1, 0, S_SEARCH)) return;
        t += rng.uniform(15, 90);
        if (rng.chance(p.searchWatchProb)) t = this.watch(u, rng, t, i, S_SEARCH, p);
      }
    }
    if (t !== Infinity && rng.chance(p.browseProb)) {
      const k = 1 + rng.int(3);
      let best = -1;
      let bestFit = -Infinity;
      for (let j = 0; j < k; j++) {
        const i = this.pick(rng, t);
        if (i < 0) continue;
        if (!this.emit(u, t, T_BROWSE, i, -1, 0, S_BROWSE)) return;
        t += rng.uniform(10, 60);
        if (this.fit(i) > bestFit) {
          bestFit = this.fit(i);
          best = i;
        }
      }
      if (best >= 0 && rng.chance(p.browseWatchProb)) t = this.watch(u, rng, t, best, S_BROWSE, p);
    }
    // Home-feed watches: at least one in most sessions (always in a newcomer's first), then binges.
    let more = first || rng.chance(0.85);
    while (t !== Infinity && more) {
      const i = this.pick(rng, t);
      if (i >= 0) t = this.watch(u, rng, t, i, S_HOME, p);
      more = rng.chance(p.extraWatchProb);
    }
  }
}

/** Session start: a day within the user's presence, mostly in the evening (UTC). */
function sessionTime(rng: Rng, arrival: number, start: number, end: number): number {
  const t = arrival + rng.float() * (end - arrival);
  const day = Math.floor((t - start) / DAY);
  const tod = rng.chance(0.65) ? (((21 + 1.6 * rng.normal()) % 24) + 24) % 24 * 3600 : rng.float() * DAY;
  const t2 = start + day * DAY + Math.floor(tod);
  return t2 >= arrival && t2 <= end ? t2 : Math.floor(t);
}

/** Stable counting sort of event indices by ts (seconds since start). */
function sortByTime(ev: EventBuffer, rangeSeconds: number): Uint32Array {
  const counts = new Int32Array(rangeSeconds + 2);
  for (let j = 0; j < ev.length; j++) counts[ev.ts[j] + 1]++;
  for (let s = 1; s < counts.length; s++) counts[s] += counts[s - 1];
  const order = new Uint32Array(ev.length);
  for (let j = 0; j < ev.length; j++) order[counts[ev.ts[j]]++] = j;
  return order;
}

// ---------------------------------------------------------------- files

export interface GenerateOptions {
  preset: PresetName;
  seed: number;
  outDir: string;
  progress?: WorldProgress;
}

/** Build a world from a preset and a seed and write it to outDir (movies.csv, events.parquet, truth/, manifest.json last). */
export async function generateWorld(opts: GenerateOptions): Promise<Manifest> {
  const params = Object.hasOwn(PRESETS, opts.preset) ? PRESETS[opts.preset] : undefined;
  if (!params) throw new RangeError(`unknown preset "${opts.preset}" (expected one of ${Object.keys(PRESETS).join(', ')})`);
  if (!Number.isSafeInteger(opts.seed) || opts.seed < 0) throw new RangeError(`seed must be a non-negative integer, got ${opts.seed}`);
  const progress = opts.progress ?? quietProgress;
  await beginWorldDir(opts.outDir);

  const world = buildWorld(params, opts.seed);
  const { taste } = world;
  progress.note(`world: ${taste.nUsers} users, ${taste.nTitles} titles, ${params.days} days`);
  const wh = await Warehouse.open(':memory:');
  try {
    await wh.exec('stg_world_gen');
    await writeMovies(wh, join(opts.outDir, MOVIES_FILE), world);

    const ev = new EventBuffer();
    const sim = new UserSimulator(world, epochTables(world), ev);
    progress.phase('simulate users', taste.nUsers, 'users');
    for (let u = 0; u < taste.nUsers; u++) {
      sim.run(u);
      if ((u & 255) === 255) progress.update(u + 1);
    }
    progress.update(taste.nUsers);
    progress.note(`simulated ${taste.nUsers} users: ${ev.length} events`);
    const order = sortByTime(ev, taste.end - taste.start);
    progress.phase(`write ${EVENTS_FILE}`, ev.length, 'events');
    const users = await writeEvents(wh, join(opts.outDir, EVENTS_FILE), world, ev, order, (done) => progress.update(done));
    await writeTruth(join(opts.outDir, TRUTH_DIR), world);

    const manifest: Manifest = {
      kind: 'synthetic', preset: opts.preset, seed: opts.seed, users, titles: taste.nTitles, events: ev.length,
      start: isoUtc(taste.start), end: isoUtc(taste.end),
    };
    await writeManifest(opts.outDir, manifest);
    return manifest;
  } finally {
    wh.close();
  }
}

/** A pipe-separated list field; '|' inside an item (never in genres, rare in tags) becomes '/'. */
const pipeList = (items: readonly string[]) => items.map((x) => x.replace(/\|/g, '/')).join('|');

/** movies.csv through DuckDB's CSV writer (sql/exp_world_gen_titles.sql). */
async function writeMovies(wh: Warehouse, path: string, w: World): Promise<void> {
  const { catalog, taste } = w;
  const n = taste.nTitles;
  const idx = Array.from({ length: n }, (_, i) => i);
  const genres = catalog.genres.slice(0, n).map((g) => pipeList(g.map((x) => GENRES[x])));
  const tags = catalog.tags.slice(0, n).map(pipeList);
  await wh.append('gen_titles', [INTEGER, VARCHAR, INTEGER, VARCHAR, VARCHAR, INTEGER, DOUBLE], [idx, catalog.names, catalog.years, genres, tags, catalog.durations, taste.itemAdded], n);
  await wh.exec('exp_world_gen_titles', { path });
}

/**
 * events.parquet through DuckDB (sql/exp_world_gen_events.sql): the typed arrays go in as data
 * chunks with each event's position in time order; DuckDB builds the text columns and sorts.
 * Returns the number of distinct users with an event.
 */
async function writeEvents(wh: Warehouse, path: string, w: World, ev: EventBuffer, order: Uint32Array, progress: (done: number) => void): Promise<number> {
  const n = ev.length;
  const position = new Int32Array(n); // event index → its place in time order
  for (let k = 0; k < n; k++) position[order[k]] = k;
  const seen = new Uint8Array(w.taste.nUsers);
  let users = 0;
  for (let j = 0; j < n; j++) {
    if (!seen[ev.user[j]]) {
      seen[ev.user[j]] = 1;
      users++;
    }
  }
  await wh.append('gen_events', [INTEGER, INTEGER, INTEGER, INTEGER, UTINYINT, INTEGER, UTINYINT, UTINYINT], [position, ev.ts, ev.user, ev.movie, ev.type, ev.watch, ev.rating2, ev.source], n);
  await wh.execWithProgress('exp_world_gen_events', { path, start: w.taste.start, type_names: listValue([...TYPE_NAMES]), source_names: listValue([...SOURCE_NAMES]) }, (f) => progress(Math.round(f * n)));
  progress(n);
  return users;
}

// ---------------------------------------------------------------- truth/ and the oracle

/**
 * truth/ layout (binaries are little-endian, row-major, no header; shapes in meta.json):
 *   meta.json         { format: "recs-truth/1", dims, genres, nUsers, nTitles, start, end (ISO),
 *                       epochSeconds, tasteWeight, trendBoost, trendTauSeconds, fitMean, fitStd, params }
 *   user_ids.json     row order of the user_* files ("u1"…)
 *   movie_ids.json    row order of the item_* files ("m1"…)
 *   user_latent.f32   nUsers × dims      latent taste x_u
 *   user_genre.f32    nUsers × nGenres   genre preference p_u at the start
 *   user_drift.f32    nUsers × nGenres   genre drift δ_u over the whole range
 *   item_latent.f32   nTitles × dims     latent traits v_i
 *   item_genre.f32    nTitles × nGenres  1/|G_i| on the title's genres
 *   item_logpop.f32   nTitles            −zipfExponent·ln(rank_i)
 *   item_added.f64    nTitles            added_at, unix seconds
 */
export const TRUTH_DIR = 'truth';
const TRUTH_FORMAT = 'recs-truth/1';

interface TruthMeta {
  format: string;
  dims: number;
  genres: string[];
  nUsers: number;
  nTitles: number;
  start: string;
  end: string;
  epochSeconds: number;
  tasteWeight: number;
  trendBoost: number;
  trendTauSeconds: number;
  fitMean: number;
  fitStd: number;
  params: WorldParams;
}

const LITTLE_ENDIAN_HOST = endianness() === 'LE';

function toLittleEndian(a: Float32Array | Float64Array): Buffer {
  if (LITTLE_ENDIAN_HOST) return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  const b = Buffer.alloc(a.byteLength);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const w = a.BYTES_PER_ELEMENT;
  for (let j = 0; j < a.length; j++) {
    if (w === 4) dv.setFloat32(j * 4, a[j], true);
    else dv.setFloat64(j * 8, a[j], true);
  }
  return b;
}

function fromLittleEndian<T extends Float32Array | Float64Array>(b: Buffer, Ctor: { new (n: number): T; BYTES_PER_ELEMENT: number }, expected: number, name: string): T {
  const w = Ctor.BYTES_PER_ELEMENT;
  if (b.byteLength !== expected * w) throw new RangeError(`${name}: expected ${expected} values (${expected * w} bytes), got ${b.byteLength} bytes`);
  const out = new Ctor(expected);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let j = 0; j < expected; j++) out[j] = w === 4 ? dv.getFloat32(j * 4, true) : dv.getFloat64(j * 8, true);
  return out;
}

async function writeTruth(dir: string, w: World): Promise<void> {
  const t = w.taste;
  await mkdir(dir, { recursive: true });
  const meta: TruthMeta = {
    format: TRUTH_FORMAT, dims: t.dims, genres: [...GENRES], nUsers: t.nUsers, nTitles: t.nTitles,
    start: isoUtc(t.start), end: isoUtc(t.end), epochSeconds: t.epochSeconds, tasteWeight: t.tasteWeight,
    trendBoost: t.trendBoost, trendTauSeconds: t.trendTauSeconds, fitMean: t.fitMean, fitStd: t.fitStd, params: w.params,
  };
  await writeFile(join(dir, 'meta.json'), JSON.stringify(meta, null, 2) + '\n');
  await writeFile(join(dir, 'user_ids.json'), JSON.stringify(Array.from({ length: t.nUsers }, (_, u) => `u${u + 1}`)) + '\n');
  await writeFile(join(dir, 'movie_ids.json'), JSON.stringify(Array.from({ length: t.nTitles }, (_, i) => `m${i + 1}`)) + '\n');
  await writeFile(join(dir, 'user_latent.f32'), toLittleEndian(t.userLatent));
  await writeFile(join(dir, 'user_genre.f32'), toLittleEndian(t.userGenre));
  await writeFile(join(dir, 'user_drift.f32'), toLittleEndian(t.userDrift));
  await writeFile(join(dir, 'item_latent.f32'), toLittleEndian(t.itemLatent));
  await writeFile(join(dir, 'item_genre.f32'), toLittleEndian(t.itemGenre));
  await writeFile(join(dir, 'item_logpop.f32'), toLittleEndian(t.itemLogPop));
  await writeFile(join(dir, 'item_added.f64'), toLittleEndian(t.itemAdded));
}

export interface Oracle {
  userIds: string[];
  movieIds: string[];
  /**
   * The true watch logit of every title (movieIds order) for the user at asOf:
   * tasteWeight·fit − zipfExponent·ln(rank) + trend. Ranking by it is ranking by the probability
   * that the user's next pick is that title. Titles not yet added at asOf score −Infinity.
   */
  score(userId: string, asOf: Date): Float32Array;
  /** The standardised taste fit alone (drives completion and ratings), movieIds order. */
  fit(userId: string, asOf: Date): Float32Array;
}

/** Load truth/ of a synthetic world directory. */
export async function loadOracle(worldDir: string): Promise<Oracle> {
  const dir = join(worldDir, TRUTH_DIR);
  let meta: TruthMeta;
  try {
    meta = JSON.parse(await readFile(join(dir, 'meta.json'), 'utf8')) as TruthMeta;
  } catch (e) {
    throw new Error(`${worldDir} has no readable ${TRUTH_DIR}/meta.json (only synthetic worlds have ground truth): ${(e as Error).message}`);
  }
  if (meta.format !== TRUTH_FORMAT) throw new Error(`${dir}/meta.json: format "${meta.format}", expected "${TRUTH_FORMAT}"`);
  const userIds = JSON.parse(await readFile(join(dir, 'user_ids.json'), 'utf8')) as string[];
  const movieIds = JSON.parse(await readFile(join(dir, 'movie_ids.json'), 'utf8')) as string[];
  const { nUsers: m, nTitles: n, dims: d } = meta;
  const G = meta.genres.length;
  const f32 = async (name: string, count: number) => fromLittleEndian(await readFile(join(dir, name)), Float32Array, count, name);
  const taste: TasteParams = {
    dims: d, nGenres: G, nUsers: m, nTitles: n,
    userLatent: await f32('user_latent.f32', m * d),
    userGenre: await f32('user_genre.f32', m * G),
    userDrift: await f32('user_drift.f32', m * G),
    itemLatent: await f32('item_latent.f32', n * d),
    itemGenre: await f32('item_genre.f32', n * G),
    itemLogPop: await f32('item_logpop.f32', n),
    itemAdded: fromLittleEndian(await readFile(join(dir, 'item_added.f64')), Float64Array, n, 'item_added.f64'),
    start: parseIsoSeconds(meta.start), end: parseIsoSeconds(meta.end), epochSeconds: meta.epochSeconds,
    tasteWeight: meta.tasteWeight, trendBoost: meta.trendBoost, trendTauSeconds: meta.trendTauSeconds,
    fitMean: meta.fitMean, fitStd: meta.fitStd,
  };
  if (userIds.length !== m || movieIds.length !== n) throw new RangeError(`${dir}: id lists (${userIds.length}, ${movieIds.length}) do not match meta (${m}, ${n})`);
  const model = new TasteModel(taste);
  const userIndex = new Map(userIds.map((id, u) => [id, u]));
  const rawStatic = new Float64Array(n);
  const rawDrift = new Float64Array(n);

  const fitInto = (userId: string, asOf: Date, out: Float32Array): number => {
    const u = userIndex.get(userId);
    if (u === undefined) throw new RangeError(`unknown user "${userId}"`);
    const e = model.epochOf(Math.floor(asOf.getTime() / 1000));
    const f = model.driftFraction(e);
    model.staticFit(u, rawStatic);
    model.driftFit(u, rawDrift);
    for (let i = 0; i < n; i++) out[i] = (rawStatic[i] + f * rawDrift[i] - taste.fitMean) / taste.fitStd;
    return e;
  };

  return {
    userIds,
    movieIds,
    fit(userId, asOf) {
      const out = new Float32Array(n);
      fitInto(userId, asOf, out);
      return out;
    },
    score(userId, asOf) {
      const out = new Float32Array(n);
      const e = fitInto(userId, asOf, out);
      const t = asOf.getTime() / 1000;
      for (let i = 0; i < n; i++) {
        out[i] = taste.itemAdded[i] > t ? -Infinity : taste.tasteWeight * out[i] + taste.itemLogPop[i] + model.trend(i, e);
      }
      return out;
    },
  };
}

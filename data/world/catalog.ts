// Building a world with no I/O: genre centroids and tag directions, the catalog (traits, genres,
// popularity rank, year, duration, tags, names), the population (tastes, drift, session rate,
// arrival) and the standardisation of the fit, each from its own seeded stream.
import { parseIsoSeconds } from '../world-dir';
import { Rng } from '../rng';
import { DAY, GENRES, WORLD_END, type WorldParams } from './params';
import { buildFranchises, type Franchises } from './franchise';
import { TasteModel, type TasteParams } from './taste';

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

const FIT_SAMPLE_PAIRS = 20_000; // random (user, title) pairs that standardise the fit

export interface Catalog {
  names: string[];
  years: Int16Array; // 0 = unknown
  durations: Int32Array; // seconds
  tags: string[][];
  genres: number[][];
}

export interface Population {
  arrival: Float64Array; // unix seconds
  rate: Float64Array; // sessions per day while present
  ratingBias: Float32Array;
}

export interface World {
  params: WorldParams;
  seed: number;
  taste: TasteParams;
  model: TasteModel;
  catalog: Catalog;
  population: Population;
  /** Franchises (data/world/franchise.ts): drawn last, from their own stream; they rename titles only. */
  franchises: Franchises;
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

export function buildWorld(params: WorldParams, seed: number): World {
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
  const franchises = buildFranchises(taste, catalog.genres, catalog.names, catalog.years, seed);
  return { params, seed, taste, model: new TasteModel(taste), catalog, population, franchises };
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

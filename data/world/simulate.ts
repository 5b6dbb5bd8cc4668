// Simulating the users of a built world into a compact struct-of-arrays event buffer, one user
// at a time on its own stream (data/world/write.ts flushes it to DuckDB, which orders by time).
import { Rng, WeightedSampler, searchCumulative } from '../rng';
import type { World } from './catalog';
import { DAY, type WorldParams } from './params';
import { SessionIntent } from './session-intent';

// Event encoding in the simulation buffers.
export const TYPE_NAMES = ['watch', 'rating', 'search', 'browse', 'impression'] as const;
const T_WATCH = 0;
const T_RATING = 1;
const T_SEARCH = 2;
const T_BROWSE = 3;
const T_IMPRESSION = 4;
export const SOURCE_NAMES = ['', 'home_feed', 'search', 'browse'] as const;
const S_NONE = 0;
const S_HOME = 1;
const S_SEARCH = 2;
const S_BROWSE = 3;
const MAX_PICK_TRIES = 12;

/** Growable struct-of-arrays event buffer; ts relative to the range start, in seconds. */
export class EventBuffer {
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

export function epochTables(w: World): EpochTables {
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
export class UserSimulator {
  private readonly n: number;
  private readonly rawStatic: Float64Array; // nTitles, raw fit at the start of the range
  private readonly rawDrift: Float64Array; // nTitles, raw fit change over the range
  private readonly base: Float64Array; // nTitles, exp(tasteWeight·fit₀ + logPop)
  private readonly sampler: WeightedSampler; // draws ∝ propensity; a watched title keeps repeatProb of its weight
  private readonly watched: Uint8Array; // nTitles, 1 once the user watched the title
  private readonly touched: number[] = [];
  private readonly intent: SessionIntent; // genre binges on their own stream
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
    this.intent = new SessionIntent(w);
  }

  run(u: number): void {
    const { w, n } = this;
    const { taste, model, params, population } = w;
    const rng = new Rng(w.seed, 1_000_003 + u);
    this.user = u;
    this.intent.startUser(u);
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
    // Session intent (session-intent.ts, its own stream): a binge swaps each pick for a title of tonight's genre.
    const mood = this.intent.mood(t, (r, at) => this.pick(r, at));
    while (t !== Infinity && more) {
      let i = this.pick(rng, t);
      if (i >= 0 && mood >= 0) i = this.intent.pickInGenre(mood, t, this.sampler.weights);
      if (i >= 0) t = this.watch(u, rng, t, i, S_HOME, p);
      more = rng.chance(p.extraWatchProb);
    }
    if (mood >= 0) this.intent.extend(mood, t, this.sampler.weights, (i, at, r) => this.watch(u, r, at, i, S_HOME, p));
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

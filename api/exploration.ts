// Thompson sampling over fresh titles. Each fresh title t has a watch rate θ_t with posterior
// Beta(w_t + 1, i_t − w_t + 1) from its impressions i_t and watches w_t across all API
// instances (a Redis hash). Serving draws θ_t and ranks candidates by θ_t · affinity(u, t), so a
// title nobody has seen yet gets tried, a title shown often and never watched fades, and a
// title only ever competes for users whose taste points at it.
//
// Counts are batched: increments accumulate in memory and are flushed with one pipeline every
// EXPLORATION_FLUSH_MS, which also re-reads the totals other instances wrote.

export type Rng = () => number; // uniform in [0, 1)

/** Standard normal by Box–Muller (one of the pair; cheap enough for tens of draws a request). */
function normal(rng: Rng): number {
  let u = 0;
  while (u === 0) u = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

/** Gamma(shape, 1) by Marsaglia & Tsang (2000); shape < 1 via the boost Gamma(a) = Gamma(a+1)·U^(1/a). */
export function sampleGamma(shape: number, rng: Rng): number {
  if (!(shape > 0)) throw new RangeError(`gamma shape must be > 0, got ${shape}`);
  if (shape < 1) {
    let u = 0;
    while (u === 0) u = rng();
    return sampleGamma(shape + 1, rng) * Math.pow(u, 1 / shape);
  }
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normal(rng);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rng();
    if (u < 1 - 0.0331 * x * x * x * x) return d * v;
    if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** θ ~ Beta(a, b) as X/(X+Y) with X ~ Gamma(a), Y ~ Gamma(b). */
export function sampleBeta(a: number, b: number, rng: Rng): number {
  const x = sampleGamma(a, rng);
  const y = sampleGamma(b, rng);
  return x / (x + y);
}

export interface Counts {
  impressions: number;
  watches: number;
}

/** θ ~ Beta(w + 1, i − w + 1); watches beyond impressions (watched via search etc.) are capped. */
export function sampleWatchRate(c: Counts, rng: Rng): number {
  const i = Math.max(0, c.impressions);
  const w = Math.min(Math.max(0, c.watches), i);
  return sampleBeta(w + 1, i - w + 1, rng);
}

/** The part of the store exploration needs (RedisFeedStore implements it). */
export interface ExplorationStore {
  /** HINCRBY the deltas, then return the whole hash (fields `i:<movie_id>`, `w:<movie_id>`). */
  syncExploration(deltas: Map<string, number>): Promise<Record<string, string>>;
}

const ZERO: Counts = Object.freeze({ impressions: 0, watches: 0 });

/**
 * Impression/watch counts of fresh titles: the totals last read from Redis plus local increments
 * not yet flushed, kept as one ready Counts object per title so a request reads without allocating.
 */
export class ExplorationStats {
  private view = new Map<string, Counts>();
  private pending = new Map<string, Counts>();
  private inFlight: Map<string, Counts> | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly store: ExplorationStore,
    private readonly flushMs: number,
    private readonly onError: (e: unknown) => void = () => {},
  ) {}

  /** Current estimate; the returned object is shared, do not modify it. */
  counts(movieId: string): Counts {
    return this.view.get(movieId) ?? ZERO;
  }

  recordImpression(movieId: string): void {
    this.bump(movieId, 1, 0);
  }

  recordWatch(movieId: string): void {
    this.bump(movieId, 0, 1);
  }

  /** Push local increments and pull everyone's totals. On failure the increments are kept for the next try. */
  async flush(): Promise<void> {
    if (this.inFlight) return;
    const deltas = this.pending;
    this.pending = new Map();
    this.inFlight = deltas;
    try {
      const fields = new Map<string, number>();
      for (const [id, c] of deltas) {
        if (c.impressions) fields.set(`i:${id}`, c.impressions);
        if (c.watches) fields.set(`w:${id}`, c.watches);
      }
      const all = await this.store.syncExploration(fields);
      // The new view: everyone's totals (which include `deltas`) plus what arrived meanwhile.
      const view = new Map<string, Counts>();
      for (const [f, v] of Object.entries(all)) {
        const n = Number(v);
        if (!Number.isFinite(n) || f.length < 3 || f[1] !== ':') continue;
        const id = f.slice(2);
        let c = view.get(id);
        if (!c) view.set(id, (c = { impressions: 0, watches: 0 }));
        if (f[0] === 'i') c.impressions += n;
        else if (f[0] === 'w') c.watches += n;
      }
      for (const [id, d] of this.pending) {
        let c = view.get(id);
        if (!c) view.set(id, (c = { impressions: 0, watches: 0 }));
        c.impressions += d.impressions;
        c.watches += d.watches;
      }
      this.view = view;
    } catch (e) {
      for (const [id, d] of deltas) this.addTo(this.pending, id, d.impressions, d.watches);
      this.onError(e);
    } finally {
      this.inFlight = null;
    }
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.flush(), this.flushMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
  }

  private bump(movieId: string, impressions: number, watches: number): void {
    this.addTo(this.pending, movieId, impressions, watches);
    this.addTo(this.view, movieId, impressions, watches);
  }

  private addTo(m: Map<string, Counts>, id: string, impressions: number, watches: number): void {
    let c = m.get(id);
    if (!c) m.set(id, (c = { impressions: 0, watches: 0 }));
    c.impressions += impressions;
    c.watches += watches;
  }
}

// The taste model shared by the simulation and the oracle: the hidden parameters of a world
// (TasteParams, written to truth/) and their fast evaluation (TasteModel). The formulas are in
// data/world/index.ts.

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
export class TasteModel {
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

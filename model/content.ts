// Content → factor model for cold titles: a title's content (genres, year, duration, tags,
// title words) → a vector in the retrieval (iALS) item-factor space, so a title with zero
// interactions can be scored against user factors the minute it is added.
//
// Features (one dense Float32 row per title, layout fixed by the vocabulary):
//   [ genres multi-hot (vocabulary of the training titles) | unknown-genre flag
//   | year z-score | year missing | year bucket one-hot (yearBucketYears wide, clamped to the training range)
//   | log-duration z-score | duration missing
//   | tags hashed into tagBuckets | title words hashed into wordBuckets ]
// Feature hashing (Weinberger et al. 2009, signed): h = fmix32(FNV-1a-32(UTF-8 of "<ns>:" + token)),
// bucket = h mod B, sign = +1 if bit 31 of h is 0 else −1. Each hashed block is L2-normalised so
// a title with 40 tags does not outweigh its genres. Tokens: NFKC, lower case; tags are whole
// (whitespace collapsed), title words are runs of letters/digits minus a few English stopwords.
//
// Network: MLP (ReLU hidden layers) → linear k-dim output.
// Loss (default 'cosine'): L = 1 − mean_i cos(ŷ_i, f_i). Why cosine rather than MSE: an iALS item
// factor's direction says *who* watches the title, its norm mostly says *how much evidence* there
// was (popular titles have long vectors, rarely watched ones are shrunk toward 0 by the
// regularizer). Content cannot know future popularity; under MSE the network spends capacity on
// the norm and, for ambiguous content, regresses toward the mean vector (the mainstream-taste
// direction), pulling every cold title toward the same audience. Cosine trains the direction
// only; embed() then gives every vector the median norm of the warm training factors, so its
// scores u·v are on the warm titles' scale. Everything downstream that ranks users for a title
// (audience selection, the evaluation below) is invariant to that scale anyway. 'mse' is kept as
// an option (raw regression of f) for comparison.
import * as tf from '@tensorflow/tfjs';
import { fmix32, mulberry32, shuffleInPlace } from './ranker';
import { affineFastGrad, currentTf, modelDirIO, tidyRead } from './tf-backend';
import type { Csr, Title } from './types';

export interface ContentFeatureConfig {
  /** Hash buckets for tags. Default 256. */
  tagBuckets: number;
  /** Hash buckets for title words. Default 128. */
  wordBuckets: number;
  /** Width of a year bucket in years. Default 5. */
  yearBucketYears: number;
  /** A genre enters the vocabulary if at least this many training titles carry it. Default 1. */
  genreMinCount: number;
}

export interface ContentModelConfig extends ContentFeatureConfig {
  /** Units of each ReLU hidden layer. Default [256]. */
  hiddenUnits: number[];
  /** 'cosine' (direction only; see the file header) or 'mse' (raw factors). Default 'cosine'. */
  loss: 'cosine' | 'mse';
  /** Adam learning rate. Default 1e-3. */
  learningRate: number;
  /** Titles per gradient step. Default 128. */
  batchSize: number;
  /** Upper bound on passes over the training titles. Default 100. */
  maxEpochs: number;
  /** Epochs without a validation-loss improvement of at least minDelta before stopping. Default 8. */
  patience: number;
  /** Default 1e-4. */
  minDelta: number;
  /** Fraction of titles (by movie_id hash) held out for early stopping; 0 = none. Default 0.1. */
  validationFraction: number;
  /** L2 penalty on every kernel. Default 1e-5. */
  l2: number;
  /** Seeds init, split and shuffles. Default 42. */
  seed: number;
  /** Titles per forward pass in embed(). Default 4096. */
  predictBatchSize: number;
}

export const DEFAULT_CONTENT_CONFIG: Readonly<ContentModelConfig> = Object.freeze({
  tagBuckets: 256,
  wordBuckets: 128,
  yearBucketYears: 5,
  genreMinCount: 1,
  hiddenUnits: [256],
  loss: 'cosine',
  learningRate: 1e-3,
  batchSize: 128,
  maxEpochs: 100,
  patience: 8,
  minDelta: 1e-4,
  validationFraction: 0.1,
  l2: 1e-5,
  seed: 42,
  predictBatchSize: 4096,
});

/** Everything featurization needs, learned from the training titles and saved with the model. */
export interface ContentVocabulary {
  genres: string[]; // sorted, normalised
  /** Training year range / moments; NaN when no training title had a year. */
  yearMin: number;
  yearMax: number;
  yearMean: number;
  yearStd: number;
  logDurationMean: number;
  logDurationStd: number;
  tagBuckets: number;
  wordBuckets: number;
  yearBucketYears: number;
}

export interface ContentEpoch {
  epoch: number; // 1-based
  trainLoss: number; // mean objective over the epoch (loss + L2 penalty)
  valLoss: number; // NaN without validation titles
  valCosine: number; // mean cosine of predictions to real factors on validation titles
  improved: boolean;
  seconds: number;
}

export type ContentEpochCallback = (epoch: ContentEpoch) => void | Promise<void>;

export interface ContentModel {
  readonly k: number;
  readonly vocabulary: Readonly<ContentVocabulary>;
  readonly config: Readonly<ContentModelConfig>;
  /** Norm given to every embedded vector in 'cosine' mode (median warm factor norm); NaN for 'mse'. */
  readonly outputNorm: number;
  readonly trainedOn: string;
  readonly history: readonly ContentEpoch[];
  readonly bestEpoch: number;
  readonly nTrain: number;
  readonly nValid: number;
  /** Predicted item factors: titles.length × k, row-major. */
  embed(titles: Title[]): Float32Array;
  dispose(): void;
}

// ---------------------------------------------------------------------------------------------
// Featurization (pure JS).

const STOPWORDS = new Set(['the', 'a', 'an', 'of', 'and', 'in', 'on', 'to', 'for', 'at', 'by', 'with', 'from', 'le', 'la', 'les', 'de', 'el', 'der', 'die', 'das']);
const utf8 = new TextEncoder();

/** FNV-1a 32-bit over the UTF-8 bytes of s. */
export function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  const bytes = utf8.encode(s);
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i];
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Signed feature hash of a token in a namespace: bucket in [0, buckets), sign ±1. */
export function hashToken(namespace: string, token: string, buckets: number): { bucket: number; sign: 1 | -1 } {
  const h = fmix32(fnv1a32(`${namespace}:${token}`));
  return { bucket: h % buckets, sign: h >>> 31 ? -1 : 1 };
}

const normText = (s: string) => s.normalize('NFKC').trim().toLowerCase().replace(/\s+/g, ' ');

/** Title words as hashed: runs of letters/digits, lower case, no 1-letter tokens or stopwords. */
export function titleWords(title: string): string[] {
  const words = title.normalize('NFKC').toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  return [...new Set(words.filter((w) => (w.length > 1 || /\d/.test(w)) && !STOPWORDS.has(w)))];
}

function resolveFeatureConfig(cfg: Partial<ContentFeatureConfig>): ContentFeatureConfig {
  const c = {
    tagBuckets: cfg.tagBuckets ?? DEFAULT_CONTENT_CONFIG.tagBuckets,
    wordBuckets: cfg.wordBuckets ?? DEFAULT_CONTENT_CONFIG.wordBuckets,
    yearBucketYears: cfg.yearBucketYears ?? DEFAULT_CONTENT_CONFIG.yearBucketYears,
    genreMinCount: cfg.genreMinCount ?? DEFAULT_CONTENT_CONFIG.genreMinCount,
  };
  for (const [name, v] of Object.entries(c)) {
    const min = name === 'tagBuckets' || name === 'wordBuckets' ? 0 : 1;
    if (!Number.isInteger(v) || v < min) throw new RangeError(`content config ${name} must be an integer ≥ ${min}, got ${v}`);
  }
  return c;
}

/** Learn the genre vocabulary and the year/duration ranges from the training titles. */
export function buildContentVocabulary(titles: Title[], cfg: Partial<ContentFeatureConfig> = {}): ContentVocabulary {
  const c = resolveFeatureConfig(cfg);
  const counts = new Map<string, number>();
  let yN = 0, yS = 0, yS2 = 0, yMin = Infinity, yMax = -Infinity;
  let dN = 0, dS = 0, dS2 = 0;
  for (const t of titles) {
    for (const g of new Set(t.genres.map(normText))) if (g) counts.set(g, (counts.get(g) ?? 0) + 1);
    if (t.year != null && Number.isFinite(t.year)) {
      yN++;
      yS += t.year;
      yS2 += t.year * t.year;
      yMin = Math.min(yMin, t.year);
      yMax = Math.max(yMax, t.year);
    }
    if (t.duration_seconds != null && t.duration_seconds > 0) {
      const l = Math.log(t.duration_seconds);
      dN++;
      dS += l;
      dS2 += l * l;
    }
  }
  const genres = [...counts].filter(([, n]) => n >= c.genreMinCount).map(([g]) => g).sort();
  const yearMean = yN ? yS / yN : NaN;
  const logDurationMean = dN ? dS / dN : NaN;
  return {
    genres,
    yearMin: yN ? yMin : NaN,
    yearMax: yN ? yMax : NaN,
    yearMean,
    yearStd: yN ? Math.sqrt(Math.max(yS2 / yN - yearMean * yearMean, 0)) || 1 : NaN,
    logDurationMean,
    logDurationStd: dN ? Math.sqrt(Math.max(dS2 / dN - logDurationMean * logDurationMean, 0)) || 1 : NaN,
    tagBuckets: c.tagBuckets,
    wordBuckets: c.wordBuckets,
    yearBucketYears: c.yearBucketYears,
  };
}

interface Layout {
  dim: number;
  genre: Map<string, number>;
  unknownGenre: number;
  yearZ: number;
  yearMissing: number;
  yearBuckets: number; // offset of the one-hot block
  nYearBuckets: number;
  firstBucketYear: number;
  durationZ: number;
  durationMissing: number;
  tags: number;
  words: number;
}

function layoutOf(v: ContentVocabulary): Layout {
  const genre = new Map(v.genres.map((g, i) => [g, i] as const));
  let o = v.genres.length;
  const unknownGenre = o++;
  const yearZ = o++;
  const yearMissing = o++;
  const w = v.yearBucketYears;
  const firstBucketYear = Number.isFinite(v.yearMin) ? Math.floor(v.yearMin / w) * w : 0;
  const nYearBuckets = Number.isFinite(v.yearMin) ? Math.floor(v.yearMax / w) - Math.floor(v.yearMin / w) + 1 : 0;
  const yearBuckets = o;
  o += nYearBuckets;
  const durationZ = o++;
  const durationMissing = o++;
  const tags = o;
  o += v.tagBuckets;
  const words = o;
  o += v.wordBuckets;
  return { dim: o, genre, unknownGenre, yearZ, yearMissing, yearBuckets, nYearBuckets, firstBucketYear, durationZ, durationMissing, tags, words };
}

/** Length of one feature row. */
export function contentFeatureDim(vocabulary: ContentVocabulary): number {
  return layoutOf(vocabulary).dim;
}

/** Write title t's features into out[offset .. offset + dim) (which must be zero). */
function featurizeInto(t: Title, v: ContentVocabulary, L: Layout, out: Float32Array, offset: number): void {
  for (const g of new Set(t.genres.map(normText))) {
    if (!g) continue;
    const j = L.genre.get(g);
    if (j === undefined) out[offset + L.unknownGenre] = 1;
    else out[offset + j] = 1;
  }
  if (t.year != null && Number.isFinite(t.year) && Number.isFinite(v.yearMean)) {
    out[offset + L.yearZ] = Math.max(-5, Math.min(5, (t.year - v.yearMean) / v.yearStd));
    const b = Math.max(0, Math.min(L.nYearBuckets - 1, Math.floor((t.year - L.firstBucketYear) / v.yearBucketYears)));
    out[offset + L.yearBuckets + b] = 1;
  } else {
    out[offset + L.yearMissing] = 1;
  }
  if (t.duration_seconds != null && t.duration_seconds > 0 && Number.isFinite(v.logDurationMean)) {
    out[offset + L.durationZ] = Math.max(-5, Math.min(5, (Math.log(t.duration_seconds) - v.logDurationMean) / v.logDurationStd));
  } else {
    out[offset + L.durationMissing] = 1;
  }
  hashBlock('tag', [...new Set(t.tags.map(normText))].filter(Boolean), v.tagBuckets, out, offset + L.tags);
  hashBlock('word', titleWords(t.title), v.wordBuckets, out, offset + L.words);
}

/** out[o + bucket] += sign for each token, then the block is scaled to unit L2 norm. */
function hashBlock(ns: string, tokens: string[], buckets: number, out: Float32Array, o: number): void {
  if (buckets === 0 || tokens.length === 0) return;
  for (const tok of tokens) {
    const { bucket, sign } = hashToken(ns, tok, buckets);
    out[o + bucket] += sign;
  }
  let s = 0;
  for (let j = 0; j < buckets; j++) s += out[o + j] * out[o + j];
  if (s > 0) {
    const inv = 1 / Math.sqrt(s);
    for (let j = 0; j < buckets; j++) out[o + j] *= inv;
  }
}

/** Dense features of the titles: titles.length × contentFeatureDim(vocabulary), row-major. */
export function featurizeTitles(titles: Title[], vocabulary: ContentVocabulary): Float32Array {
  const L = layoutOf(vocabulary);
  const out = new Float32Array(titles.length * L.dim);
  titles.forEach((t, i) => featurizeInto(t, vocabulary, L, out, i * L.dim));
  return out;
}

/** Sparse (CSR) features, so training densifies one batch at a time instead of holding n × dim floats. */
function featurizeSparse(titles: Title[], v: ContentVocabulary): { indptr: Int32Array; indices: Int32Array; values: Float32Array; dim: number } {
  const L = layoutOf(v);
  const row = new Float32Array(L.dim);
  const idx: number[] = [];
  const val: number[] = [];
  const indptr = new Int32Array(titles.length + 1);
  titles.forEach((t, i) => {
    row.fill(0);
    featurizeInto(t, v, L, row, 0);
    for (let j = 0; j < L.dim; j++) {
      if (row[j] !== 0) {
        idx.push(j);
        val.push(row[j]);
      }
    }
    indptr[i + 1] = idx.length;
  });
  return { indptr, indices: Int32Array.from(idx), values: Float32Array.from(val), dim: L.dim };
}

// ---------------------------------------------------------------------------------------------
// Model.

function resolveConfig(cfg: Partial<ContentModelConfig>): ContentModelConfig {
  const c: ContentModelConfig = { ...DEFAULT_CONTENT_CONFIG, ...cfg, ...resolveFeatureConfig(cfg), hiddenUnits: [...(cfg.hiddenUnits ?? DEFAULT_CONTENT_CONFIG.hiddenUnits)] };
  const intAtLeast = (name: keyof ContentModelConfig, min: number) => {
    const v = c[name] as number;
    if (!Number.isInteger(v) || v < min) throw new RangeError(`content config ${name} must be an integer ≥ ${min}, got ${v}`);
  };
  intAtLeast('batchSize', 1);
  intAtLeast('maxEpochs', 1);
  intAtLeast('patience', 1);
  intAtLeast('predictBatchSize', 1);
  intAtLeast('seed', 0);
  if (c.hiddenUnits.some((u) => !Number.isInteger(u) || u < 1)) throw new RangeError(`content config hiddenUnits must be positive integers, got [${c.hiddenUnits}]`);
  if (c.loss !== 'cosine' && c.loss !== 'mse') throw new RangeError(`content config loss must be 'cosine' or 'mse', got ${JSON.stringify(c.loss)}`);
  if (!(c.learningRate > 0)) throw new RangeError(`content config learningRate must be > 0, got ${c.learningRate}`);
  if (!(c.minDelta >= 0)) throw new RangeError(`content config minDelta must be ≥ 0, got ${c.minDelta}`);
  if (!(c.l2 >= 0)) throw new RangeError(`content config l2 must be ≥ 0, got ${c.l2}`);
  if (!(c.validationFraction >= 0 && c.validationFraction < 1)) throw new RangeError(`content config validationFraction must be in [0, 1), got ${c.validationFraction}`);
  return c;
}

function buildNetwork(dim: number, k: number, c: ContentModelConfig): tf.Sequential {
  const model = tf.sequential({ name: 'content_to_factor' });
  let seed = c.seed;
  c.hiddenUnits.forEach((units, i) => {
    model.add(tf.layers.dense({ units, activation: 'relu', kernelInitializer: tf.initializers.heNormal({ seed: seed++ }), name: `hidden_${i}`, ...(i === 0 ? { inputShape: [dim] } : {}) }));
  });
  model.add(tf.layers.dense({ units: k, kernelInitializer: tf.initializers.glorotUniform({ seed: seed++ }), name: 'factor', ...(c.hiddenUnits.length === 0 ? { inputShape: [dim] } : {}) }));
  return model;
}

/** Per-row objective: 1 − cos(ŷ, f) (targets pre-normalised to unit rows) or ‖ŷ − f‖² / k. */
function rowLoss(pred: tf.Tensor2D, target: tf.Tensor2D, loss: 'cosine' | 'mse'): tf.Tensor1D {
  if (loss === 'mse') return pred.sub(target).square().mean(1) as tf.Tensor1D;
  const norm = pred.square().sum(1).add(1e-12).sqrt();
  return tf.scalar(1).sub(pred.mul(target).sum(1).div(norm)) as tf.Tensor1D;
}

class TfContentModel implements ContentModel {
  private readonly layout: Layout;
  constructor(
    readonly network: tf.LayersModel,
    readonly k: number,
    readonly vocabulary: Readonly<ContentVocabulary>,
    readonly config: Readonly<ContentModelConfig>,
    readonly outputNorm: number,
    readonly trainedOn: string,
    readonly history: readonly ContentEpoch[],
    readonly bestEpoch: number,
    readonly nTrain: number,
    readonly nValid: number,
  ) {
    this.layout = layoutOf(vocabulary);
  }

  embed(titles: Title[]): Float32Array {
    const dim = this.layout.dim;
    const k = this.k;
    const out = new Float32Array(titles.length * k);
    const bs = this.config.predictBatchSize;
    for (let start = 0; start < titles.length; start += bs) {
      const m = Math.min(bs, titles.length - start);
      const x = new Float32Array(m * dim);
      for (let r = 0; r < m; r++) featurizeInto(titles[start + r], this.vocabulary, this.layout, x, r * dim);
      out.set(this.predictFeatures(x, m), start * k);
    }
    return out;
  }

  /** Network output for m feature rows, scaled to outputNorm in cosine mode. */
  predictFeatures(x: Float32Array, m: number): Float32Array {
    const k = this.k;
    const y = tidyRead(() => this.network.predictOnBatch(tf.tensor2d(x, [m, this.layout.dim])) as tf.Tensor);
    if (this.config.loss === 'cosine') {
      for (let r = 0; r < m; r++) {
        let s = 0;
        for (let j = 0; j < k; j++) s += y[r * k + j] * y[r * k + j];
        const scale = s > 0 ? this.outputNorm / Math.sqrt(s) : 0;
        for (let j = 0; j < k; j++) y[r * k + j] *= scale;
      }
    }
    return y;
  }

  dispose(): void {
    this.network.dispose();
  }
}

/**
 * Train on warm titles: titles[i]'s real retrieval factor is itemFactors[i·k .. i·k + k).
 * In 'cosine' mode titles whose factor is (near) zero carry no direction and are skipped.
 * Validation titles are chosen by a seeded hash of movie_id; the best epoch's weights are kept.
 */
export async function trainContentModel(
  titles: Title[],
  itemFactors: Float32Array, // titles.length × k, row-major
  k: number,
  cfg: Partial<ContentModelConfig> = {},
  onEpoch?: ContentEpochCallback,
): Promise<ContentModel> {
  const c = resolveConfig(cfg);
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer, got ${k}`);
  if (itemFactors.length !== titles.length * k) throw new RangeError(`itemFactors must hold titles × k = ${titles.length} × ${k} = ${titles.length * k} values, got ${itemFactors.length}`);
  for (let i = 0; i < itemFactors.length; i++) if (!Number.isFinite(itemFactors[i])) throw new RangeError(`itemFactors[${Math.floor(i / k)}, ${i % k}] = ${itemFactors[i]} is not finite`);

  // Usable rows and their targets.
  const norms = new Float64Array(titles.length);
  for (let i = 0; i < titles.length; i++) {
    let s = 0;
    for (let j = 0; j < k; j++) s += itemFactors[i * k + j] ** 2;
    norms[i] = Math.sqrt(s);
  }
  const maxNorm = norms.reduce((a, b) => Math.max(a, b), 0);
  const usable: number[] = [];
  for (let i = 0; i < titles.length; i++) if (c.loss === 'mse' || norms[i] > 1e-6 * Math.max(maxNorm, 1e-30)) usable.push(i);
  if (usable.length < 2) throw new RangeError(`need at least 2 titles with non-zero factors to train, got ${usable.length}`);
  const target = new Float32Array(titles.length * k);
  for (const i of usable) {
    const scale = c.loss === 'cosine' ? 1 / norms[i] : 1;
    for (let j = 0; j < k; j++) target[i * k + j] = itemFactors[i * k + j] * scale;
  }

  // Split by a seeded hash of movie_id (stable across retrains for the same seed).
  const salt = fmix32(c.seed ^ 0x2545f491);
  const cut = c.validationFraction * 4294967296;
  const h = usable.map((i) => fmix32((fnv1a32(titles[i].movie_id) ^ salt) >>> 0));
  const hMin = h.reduce((a, b) => Math.min(a, b)), hMax = h.reduce((a, b) => Math.max(a, b));
  let isValid = h.map((x) => x < cut);
  // Keep both sides non-empty: move the extreme title over if the cut left one side empty.
  if (c.validationFraction > 0 && !isValid.some(Boolean)) isValid = h.map((x) => x === hMin);
  if (isValid.every(Boolean)) isValid = h.map((x) => x !== hMax);
  const trainIdx = Int32Array.from(usable.filter((_, r) => !isValid[r]));
  const validIdx = Int32Array.from(usable.filter((_, r) => isValid[r]));

  const { tf: tfr, backend } = await currentTf();
  const vocabulary = buildContentVocabulary(Array.from(trainIdx, (i) => titles[i]), c);
  const sparse = featurizeSparse(titles, vocabulary);
  const dim = sparse.dim;

  // Median norm of the training factors: the scale every embedded vector gets in cosine mode.
  const trainNorms = Float64Array.from(trainIdx, (i) => norms[i]).sort();
  const outputNorm = c.loss === 'cosine' ? trainNorms[Math.floor(trainNorms.length / 2)] : NaN;

  const network = buildNetwork(dim, k, c);
  // [kernel, bias] of each Dense layer, in order: the training forward below uses them directly.
  const pairs = network.layers.map((layer) => layer.trainableWeights.map((w) => w.read() as tf.Variable));
  const vars = pairs.flat();
  const kernels = pairs.map(([w]) => w);
  // Same function as the Dense layers (ReLU hidden, linear output), with affineFastGrad's faster gradient.
  const forward = (x: tf.Tensor2D) =>
    pairs.reduce((h, [w, b], i) => {
      const y = affineFastGrad(h, w as tf.Tensor2D, b as tf.Tensor1D, i > 0);
      return i < pairs.length - 1 ? tfr.relu(y) : y;
    }, x);
  const optimizer = tfr.train.adam(c.learningRate);

  const densify = (rows: Int32Array, start: number, m: number, xb: Float32Array, yb: Float32Array) => {
    xb.fill(0, 0, m * dim);
    for (let r = 0; r < m; r++) {
      const i = rows[start + r];
      for (let p = sparse.indptr[i]; p < sparse.indptr[i + 1]; p++) xb[r * dim + sparse.indices[p]] = sparse.values[p];
      yb.set(target.subarray(i * k, i * k + k), r * k);
    }
  };

  const bs = Math.min(c.batchSize, trainIdx.length);
  const xb = new Float32Array(Math.max(bs, Math.min(validIdx.length, c.predictBatchSize)) * dim);
  const yb = new Float32Array((xb.length / dim) * k);
  const order = Int32Array.from(trainIdx);
  const rand = mulberry32(c.seed ^ 0x68e31da4);
  const history: ContentEpoch[] = [];
  let best = Infinity;
  let bestEpoch = 0;
  let bestWeights: tf.Tensor[] | undefined;
  let sinceBest = 0;

  try {
    for (let epoch = 1; epoch <= c.maxEpochs; epoch++) {
      const t0 = performance.now();
      shuffleInPlace(order, rand);
      let lossSum = 0;
      for (let start = 0, batch = 0; start < order.length; start += bs, batch++) {
        const m = Math.min(bs, order.length - start);
        densify(order, start, m, xb, yb);
        const cost = tfr.tidy(() => {
          const xt = tfr.tensor2d(xb.subarray(0, m * dim), [m, dim]);
          const yt = tfr.tensor2d(yb.subarray(0, m * k), [m, k]);
          return optimizer.minimize(
            () => {
              const fit = rowLoss(forward(xt), yt, c.loss).mean() as tf.Scalar;
              if (c.l2 === 0) return fit;
              return kernels.reduce((acc: tf.Scalar, w) => acc.add(w.square().sum().mul(c.l2)), fit);
            },
            true,
            vars,
          ) as tf.Scalar;
        });
        lossSum += cost.dataSync()[0] * m;
        cost.dispose();
        if (batch % 32 === 31) await new Promise((resolve) => setImmediate(resolve));
      }

      let valLoss = NaN;
      let valCosine = NaN;
      if (validIdx.length > 0) {
        let lSum = 0;
        let cSum = 0;
        const vb = xb.length / dim;
        for (let start = 0; start < validIdx.length; start += vb) {
          const m = Math.min(vb, validIdx.length - start);
          densify(validIdx, start, m, xb, yb);
          const [l, cs] = tfr.tidy(() => {
            const pred = network.predictOnBatch(tfr.tensor2d(xb.subarray(0, m * dim), [m, dim])) as tf.Tensor2D;
            const yt = tfr.tensor2d(yb.subarray(0, m * k), [m, k]);
            return [rowLoss(pred, yt, c.loss).sum().dataSync()[0], cosineRows(pred, yt).sum().dataSync()[0]];
          });
          lSum += l;
          cSum += cs;
        }
        valLoss = lSum / validIdx.length;
        valCosine = cSum / validIdx.length;
      }
      const improved = validIdx.length === 0 || valLoss < best - c.minDelta;
      if (improved) {
        if (validIdx.length > 0) {
          best = valLoss;
          bestWeights?.forEach((w) => w.dispose());
          bestWeights = vars.map((v) => tfr.keep(v.clone()));
        }
        bestEpoch = epoch;
        sinceBest = 0;
      } else {
        sinceBest++;
      }
      const stats: ContentEpoch = { epoch, trainLoss: lossSum / order.length, valLoss, valCosine, improved, seconds: (performance.now() - t0) / 1000 };
      history.push(stats);
      await onEpoch?.(stats);
      if (validIdx.length > 0 && sinceBest >= c.patience) break;
    }
    if (bestWeights) vars.forEach((v, i) => v.assign(bestWeights![i]));
  } catch (e) {
    network.dispose();
    throw e;
  } finally {
    bestWeights?.forEach((w) => w.dispose());
    optimizer.dispose();
  }
  return new TfContentModel(network, k, vocabulary, c, outputNorm, backend, history, bestEpoch, trainIdx.length, validIdx.length);
}

function cosineRows(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor1D {
  return a.mul(b).sum(1).div(a.square().sum(1).mul(b.square().sum(1)).add(1e-24).sqrt()) as tf.Tensor1D;
}

// ---------------------------------------------------------------------------------------------
// Persistence, like the ranker: model.json (+ vocabulary, config, output norm in
// userDefinedMetadata) and weights.bin.

const CONTENT_KIND = 'recs-content-to-factor';
const CONTENT_FORMAT_VERSION = 1;

interface ContentMetadata {
  kind: typeof CONTENT_KIND;
  version: number;
  k: number;
  vocabulary: ContentVocabulary;
  config: ContentModelConfig;
  outputNorm: number | null;
  trainedOn: string;
  history: ContentEpoch[];
  bestEpoch: number;
  nTrain: number;
  nValid: number;
  hashing: string;
}

export async function saveContentModel(model: ContentModel, dir: string): Promise<void> {
  if (!(model instanceof TfContentModel)) throw new TypeError('saveContentModel expects a model from trainContentModel or loadContentModel');
  const meta: ContentMetadata = {
    kind: CONTENT_KIND,
    version: CONTENT_FORMAT_VERSION,
    k: model.k,
    vocabulary: { ...model.vocabulary, genres: [...model.vocabulary.genres] },
    config: { ...model.config, hiddenUnits: [...model.config.hiddenUnits] },
    outputNorm: Number.isFinite(model.outputNorm) ? model.outputNorm : null,
    trainedOn: model.trainedOn,
    history: model.history.map((h) => ({ ...h })),
    bestEpoch: model.bestEpoch,
    nTrain: model.nTrain,
    nValid: model.nValid,
    hashing: 'fmix32(fnv1a32(utf8(ns + ":" + token))); bucket = h mod B; sign = bit31 ? -1 : +1; block L2-normalised',
  };
  // JSON has no NaN/Infinity: they are written as null and restored to NaN on load.
  model.network.setUserDefinedMetadata(JSON.parse(JSON.stringify(meta)));
  await model.network.save(modelDirIO(dir));
}

export async function loadContentModel(dir: string): Promise<ContentModel> {
  const { tf: tfr } = await currentTf();
  const network = await tfr.loadLayersModel(modelDirIO(dir));
  const meta = network.getUserDefinedMetadata() as ContentMetadata | undefined;
  if (!meta || meta.kind !== CONTENT_KIND || meta.version !== CONTENT_FORMAT_VERSION) {
    network.dispose();
    throw new TypeError(`${dir} does not hold a content model of format ${CONTENT_FORMAT_VERSION} (kind ${JSON.stringify(meta?.kind)}, version ${meta?.version})`);
  }
  const nan = (v: number | null) => (v == null ? NaN : v);
  const v = meta.vocabulary;
  const vocabulary: ContentVocabulary = {
    ...v,
    yearMin: nan(v.yearMin),
    yearMax: nan(v.yearMax),
    yearMean: nan(v.yearMean),
    yearStd: nan(v.yearStd),
    logDurationMean: nan(v.logDurationMean),
    logDurationStd: nan(v.logDurationStd),
  };
  const history = meta.history.map((h) => ({ ...h, valLoss: nan(h.valLoss), valCosine: nan(h.valCosine) }));
  return new TfContentModel(network, meta.k, vocabulary, resolveConfig(meta.config), nan(meta.outputNorm), meta.trainedOn, history, meta.bestEpoch, meta.nTrain, meta.nValid);
}

// ---------------------------------------------------------------------------------------------
// Evaluation on held-out warm titles.

export interface ContentEvaluation {
  nTitles: number;
  /** Mean cos(predicted, real) over held-out titles, and the same against a seeded shuffle of the real factors. */
  meanCosine: number;
  shuffledMeanCosine: number;
  audienceSize: number;
  nUsers: number;
  /** Titles with ≥ 1 watcher, and their watchers in total. */
  nTitlesWithWatchers: number;
  nWatchers: number;
  /** Σ watchers inside the title's top-A audience / Σ watchers (pooled over titles). */
  audienceHitRate: number;
  /** Same, averaged per title. */
  macroAudienceHitRate: number;
  /** A / nUsers: the expected hit rate of a random audience of A users. */
  randomHitRate: number;
  /** audienceHitRate / randomHitRate (target ≥ 3). */
  lift: number;
  /** Same measure with the real factors in place of the predictions (the ceiling a perfect content model reaches). */
  oracleHitRate: number;
  oracleLift: number;
}

export interface ContentEvalOptions {
  /** A: audience size per title. Default 500. */
  audienceSize?: number;
  /** Also measure the real factors' hit rate (doubles the cost). Default true. */
  withOracle?: boolean;
  /** Seed of the shuffled-cosine baseline. Default 7. */
  seed?: number;
}

/**
 * Evaluate the content model on held-out warm titles.
 * realFactors: titles.length × k (their trained retrieval factors); userFactors: nUsers × k;
 * watchers: rows = the held-out titles in the same order, columns = userIndex (a Csr by item,
 * or just its indptr/indices). Cost: titles × nUsers × k multiply-adds, so pass the evaluation
 * users (e.g. EVAL_MAX_USERS), not every user. For an honest number the user factors should
 * come from a model that did not see these titles' interactions. Runs on the live TF.js backend
 * (call after initTf(), as training or loading the model does).
 */
export function evaluateContentModel(
  model: ContentModel,
  titles: Title[],
  realFactors: Float32Array,
  userFactors: Float32Array,
  watchers: Pick<Csr, 'indptr' | 'indices'>,
  opts: ContentEvalOptions = {},
): ContentEvaluation {
  return evaluateFactorPredictions(model.embed(titles), realFactors, userFactors, model.k, watchers, opts);
}

/** evaluateContentModel on precomputed predictions (nTitles × k). */
export function evaluateFactorPredictions(
  predicted: Float32Array, // nTitles × k
  realFactors: Float32Array, // nTitles × k
  userFactors: Float32Array, // nUsers × k
  k: number,
  watchers: Pick<Csr, 'indptr' | 'indices'>,
  opts: ContentEvalOptions = {},
): ContentEvaluation {
  const nTitles = predicted.length / k;
  const nUsers = userFactors.length / k;
  const A = opts.audienceSize ?? 500;
  if (!Number.isInteger(nTitles) || realFactors.length !== predicted.length) throw new RangeError(`predicted and realFactors must both hold nTitles × k values (k = ${k}), got ${predicted.length} and ${realFactors.length}`);
  if (!Number.isInteger(nUsers)) throw new RangeError(`userFactors must hold nUsers × k values (k = ${k}), got ${userFactors.length}`);
  if (watchers.indptr.length !== nTitles + 1) throw new RangeError(`watchers must have nTitles + 1 = ${nTitles + 1} row pointers, got ${watchers.indptr.length}`);
  if (!Number.isInteger(A) || A < 1) throw new RangeError(`audienceSize must be a positive integer, got ${A}`);

  let cos = 0;
  let cosShuffled = 0;
  const perm = shuffleInPlace(Int32Array.from({ length: nTitles }, (_, i) => i), mulberry32(opts.seed ?? 7));
  for (let i = 0; i < nTitles; i++) {
    cos += cosine(predicted, i, realFactors, i, k);
    // Derangement: title i is compared with the real factor of perm's next title.
    cosShuffled += cosine(predicted, perm[i], realFactors, perm[(i + 1) % nTitles], k);
  }

  const hits = audienceHits(predicted, userFactors, k, watchers, A);
  const oracle = opts.withOracle === false ? undefined : audienceHits(realFactors, userFactors, k, watchers, A);
  const randomHitRate = Math.min(1, A / Math.max(nUsers, 1));
  return {
    nTitles,
    meanCosine: nTitles ? cos / nTitles : NaN,
    shuffledMeanCosine: nTitles > 1 ? cosShuffled / nTitles : NaN,
    audienceSize: A,
    nUsers,
    nTitlesWithWatchers: hits.nTitlesWithWatchers,
    nWatchers: hits.nWatchers,
    audienceHitRate: hits.pooled,
    macroAudienceHitRate: hits.macro,
    randomHitRate,
    lift: hits.pooled / randomHitRate,
    oracleHitRate: oracle ? oracle.pooled : NaN,
    oracleLift: oracle ? oracle.pooled / randomHitRate : NaN,
  };
}

function cosine(a: Float32Array, i: number, b: Float32Array, j: number, k: number): number {
  let ab = 0, aa = 0, bb = 0;
  for (let t = 0; t < k; t++) {
    const x = a[i * k + t];
    const y = b[j * k + t];
    ab += x * y;
    aa += x * x;
    bb += y * y;
  }
  return aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : 0;
}

/**
 * For each title v: s_u = u·v for every user, audience = the A users with the highest s_u.
 * A watcher counts 1 if s_u is above the A-th largest score, and (A − #above)/#tied if tied with it
 * (the expected value under random tie-breaking), so ties never inflate the rate.
 */
function audienceHits(vectors: Float32Array, userFactors: Float32Array, k: number, watchers: Pick<Csr, 'indptr' | 'indices'>, A: number) {
  const nTitles = vectors.length / k;
  const nUsers = userFactors.length / k;
  let hitSum = 0, watcherSum = 0, macroSum = 0, nWith = 0;
  if (nUsers === 0 || nTitles === 0) return { pooled: NaN, macro: NaN, nTitlesWithWatchers: 0, nWatchers: 0 };
  const chunk = Math.max(1, Math.floor(4_000_000 / nUsers)); // ≤ 16 MB of scores per pass
  const scratch = new Float32Array(nUsers);
  const users = tf.tensor2d(userFactors, [nUsers, k]);
  try {
    for (let t0 = 0; t0 < nTitles; t0 += chunk) {
      const m = Math.min(chunk, nTitles - t0);
      // S = V_chunk · Uᵀ: row r holds every user's score for title t0 + r.
      const scores = tidyRead(() => tf.matMul(tf.tensor2d(vectors.subarray(t0 * k, (t0 + m) * k), [m, k]), users, false, true));
      for (let r = 0; r < m; r++) {
        const t = t0 + r;
        const w0 = watchers.indptr[t], w1 = watchers.indptr[t + 1];
        if (w1 <= w0) continue;
        const s = scores.subarray(r * nUsers, (r + 1) * nUsers);
        let hits: number;
        if (A >= nUsers) {
          hits = w1 - w0;
        } else {
          scratch.set(s);
          const thr = kthLargest(scratch, A);
          let above = 0, tied = 0;
          for (let u = 0; u < nUsers; u++) {
            if (s[u] > thr) above++;
            else if (s[u] === thr) tied++;
          }
          const tieShare = (A - above) / tied;
          hits = 0;
          for (let p = w0; p < w1; p++) {
            const u = watchers.indices[p];
            if (u < 0 || u >= nUsers) throw new RangeError(`watcher index ${u} of title ${t} is outside 0..${nUsers - 1}`);
            hits += s[u] > thr ? 1 : s[u] === thr ? tieShare : 0;
          }
        }
        hitSum += hits;
        watcherSum += w1 - w0;
        macroSum += hits / (w1 - w0);
        nWith++;
      }
    }
  } finally {
    users.dispose();
  }
  return { pooled: watcherSum ? hitSum / watcherSum : NaN, macro: nWith ? macroSum / nWith : NaN, nTitlesWithWatchers: nWith, nWatchers: watcherSum };
}

/** The a-th largest value of xs (1-based), by quickselect; reorders xs. */
function kthLargest(xs: Float32Array, a: number): number {
  const target = a - 1; // index in descending order
  let lo = 0, hi = xs.length - 1;
  while (lo < hi) {
    const pivot = xs[(lo + hi) >>> 1];
    let i = lo, j = hi;
    while (i <= j) {
      while (xs[i] > pivot) i++;
      while (xs[j] < pivot) j--;
      if (i <= j) {
        const tmp = xs[i];
        xs[i] = xs[j];
        xs[j] = tmp;
        i++;
        j--;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else return xs[target];
  }
  return xs[target];
}

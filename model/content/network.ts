// Content → factor model for cold titles: a title's content (genres, year, duration, tags,
// title words) → a vector in the retrieval (iALS) item-factor space, so a title with zero
// interactions can be scored against user factors the minute it is added.
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
// Features: model/content/features.ts; evaluation: model/content/evaluation.ts.
import * as tf from '@tensorflow/tfjs';
import { fmix32, mulberry32 } from '../random';
import { trainWithEarlyStopping } from '../train-loop';
import { affineFastGrad, currentTf, tidyRead } from '../tf-backend';
import type { TrainingConfig } from '../training-config';
import type { Title } from '../types';
import {
  buildContentVocabulary,
  DEFAULT_FEATURE_CONFIG,
  featurizeInto,
  featurizeSparse,
  fnv1a32,
  layoutOf,
  resolveFeatureConfig,
  type ContentFeatureConfig,
  type ContentVocabulary,
  type Layout,
} from './features';

/** The content model's knobs: features, the shared training ones (model/training-config.ts), and the loss. */
export interface ContentModelConfig extends ContentFeatureConfig, TrainingConfig {
  /** 'cosine' (direction only; see the file header) or 'mse' (raw factors). */
  loss: 'cosine' | 'mse';
}

export const DEFAULT_CONTENT_CONFIG: Readonly<ContentModelConfig> = Object.freeze({
  ...DEFAULT_FEATURE_CONFIG,
  hiddenUnits: [256],
  loss: 'cosine',
  learningRate: 1e-3,
  batchSize: 128, // titles
  maxEpochs: 100,
  patience: 8,
  minDelta: 1e-4,
  validationFraction: 0.1, // of titles, by movie_id hash
  l2: 1e-5,
  seed: 42,
  predictBatchSize: 4096, // titles per forward pass in embed()
});
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
  const history: ContentEpoch[] = [];

  // Mean loss and cosine over the validation titles, in batches of the buffers' size.
  const validate = () => {
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
    return { loss: lSum / validIdx.length, cosine: cSum / validIdx.length };
  };

  let bestEpoch: number;
  try {
    bestEpoch = await trainWithEarlyStopping({
      tf: tfr,
      settings: c,
      vars,
      order: Int32Array.from(trainIdx),
      rand: mulberry32(c.seed ^ 0x68e31da4),
      batchObjective: (order, start, m) => {
        densify(order, start, m, xb, yb);
        const xt = tfr.tensor2d(xb.subarray(0, m * dim), [m, dim]);
        const yt = tfr.tensor2d(yb.subarray(0, m * k), [m, k]);
        return () => {
          const fit = rowLoss(forward(xt), yt, c.loss).mean() as tf.Scalar;
          if (c.l2 === 0) return fit;
          return kernels.reduce((acc: tf.Scalar, w) => acc.add(w.square().sum().mul(c.l2)), fit);
        };
      },
      validate: validIdx.length > 0 ? validate : undefined,
      onEpoch: async (e) => {
        const stats: ContentEpoch = { epoch: e.epoch, trainLoss: e.trainLoss, valLoss: e.valid?.loss ?? NaN, valCosine: e.valid?.cosine ?? NaN, improved: e.improved, seconds: e.trainSeconds + e.validSeconds };
        history.push(stats);
        await onEpoch?.(stats);
      },
    });
  } catch (e) {
    network.dispose();
    throw e;
  }
  return new TfContentModel(network, k, vocabulary, c, outputNorm, backend, history, bestEpoch, trainIdx.length, validIdx.length);
}

function cosineRows(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor1D {
  return a.mul(b).sum(1).div(a.square().sum(1).mul(b.square().sum(1)).add(1e-24).sqrt()) as tf.Tensor1D;
}
// ---------------------------------------------------------------------------------------------
// Persistence, like the ranker: vocabulary, config and output norm travel in the network's
// userDefinedMetadata; storage/tf-models.ts writes and reads the files.

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

/** The model's network with its metadata attached, ready to save (storage/tf-models.ts saveContentModel). */
export function contentNetwork(model: ContentModel): tf.LayersModel {
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
  return model.network;
}

/** The content model a saved network holds (source names where it came from, for errors); disposes the network if it holds none. */
export function contentModelFromNetwork(network: tf.LayersModel, source: string): ContentModel {
  const meta = network.getUserDefinedMetadata() as ContentMetadata | undefined;
  if (!meta || meta.kind !== CONTENT_KIND || meta.version !== CONTENT_FORMAT_VERSION) {
    network.dispose();
    throw new TypeError(`${source} does not hold a content model of format ${CONTENT_FORMAT_VERSION} (kind ${JSON.stringify(meta?.kind)}, version ${meta?.version})`);
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

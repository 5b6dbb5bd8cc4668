// Ranking model over (user, candidate) feature vectors: p(watch | user, candidate).
//
//   z = clip((x − μ) / σ, ±clipZ)                       standardized features (μ, σ from training rows)
//   x_{l+1} = z ⊙ (W_l x_l + b_l) + x_l,  x_0 = z       DCN-v2 full-rank cross layers (Wang et al. 2021)
//   h = MLP_relu(x_L);  p = σ(wᵀh + c)                  sigmoid output
//   loss = mean BCE(y, p) + l2 · Σ‖W‖²                  computed from the logit (numerically stable)
//
// Trained with Adam on seeded shuffles (model/train-loop.ts, shared with the content model); early stopping on validation log loss, where the
// validation rows are all examples of a seeded subset of users (a user's examples never straddle
// the split, so the score is not inflated by memorising that user). The best epoch's weights
// are restored. Inputs are plain typed arrays; the pipeline builds them in SQL.
import * as tf from '@tensorflow/tfjs';
import { buildNetwork, trainingLogit } from './ranker-network';
import { logLoss, rocAuc, splitByGroup } from './ranker-validation';
import { mulberry32 } from './random';
import { currentTf, tidyRead } from './tf-backend';
import { trainWithEarlyStopping } from './train-loop';
import type { TrainingConfig } from './training-config';

/** The ranker's knobs (model/training-config.ts for the shared ones); validation loss is log loss. */
export interface RankerConfig extends TrainingConfig {
  /** DCN-v2 cross layers in front of the MLP (0 = plain MLP). */
  crossLayers: number;
  /** Standardized features are clipped to ±clipZ (robust to heavy tails; log1p counts in SQL). */
  clipZ: number;
}

export const DEFAULT_RANKER_CONFIG: Readonly<RankerConfig> = Object.freeze({
  crossLayers: 1,
  hiddenUnits: [64, 32],
  learningRate: 1e-3,
  batchSize: 1024, // examples
  maxEpochs: 30,
  patience: 3,
  minDelta: 1e-4,
  validationFraction: 0.1, // of users: a user's examples never straddle the split
  l2: 0, // early stopping is the main regularizer
  clipZ: 5,
  seed: 42,
  predictBatchSize: 8192, // rows per forward pass in predict() and validation
});

export interface RankerEpoch {
  epoch: number; // 1-based
  /** Mean training objective over the epoch (BCE + L2 penalty). */
  trainLoss: number;
  /** Validation log loss / ROC AUC (NaN without validation rows, AUC NaN if one class only). */
  valLogLoss: number;
  valAuc: number;
  /** This epoch is the best so far (its weights are the ones kept). */
  improved: boolean;
  trainSeconds: number;
  validSeconds: number;
}

export type RankerEpochCallback = (epoch: RankerEpoch) => void | Promise<void>;

export interface RankerModel {
  readonly featureNames: readonly string[];
  readonly mean: Float32Array; // d, training-row mean of each feature
  readonly std: Float32Array; // d, training-row standard deviation (1 where constant)
  readonly config: Readonly<RankerConfig>;
  /** tfjs backend it was trained on ('tensorflow' | 'wasm' | 'cpu'). */
  readonly trainedOn: string;
  readonly history: readonly RankerEpoch[];
  /** Epoch whose weights were kept (0 if none improved on the initial weights). */
  readonly bestEpoch: number;
  readonly nTrain: number;
  readonly nValid: number;
  /** p(positive) of each of n rows of x (n × d, row-major, columns in featureNames order). */
  predict(x: Float32Array, n: number): Float32Array;
  /** Free the weights. */
  dispose(): void;
}

// Re-exported for the importers that know these helpers by this module.
export { fmix32, mulberry32, shuffleInPlace } from './random';
export { logLoss, rocAuc, splitByGroup } from './ranker-validation';

// ---------------------------------------------------------------------------------------------

class TfRanker implements RankerModel {
  readonly nFeatures: number;
  constructor(
    readonly network: tf.LayersModel,
    readonly featureNames: readonly string[],
    readonly mean: Float32Array,
    readonly std: Float32Array,
    readonly config: Readonly<RankerConfig>,
    readonly trainedOn: string,
    readonly history: readonly RankerEpoch[],
    readonly bestEpoch: number,
    readonly nTrain: number,
    readonly nValid: number,
  ) {
    this.nFeatures = featureNames.length;
  }

  predict(x: Float32Array, n: number): Float32Array {
    const d = this.nFeatures;
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`n must be a non-negative integer, got ${n}`);
    if (x.length !== n * d) throw new RangeError(`x must hold n × d = ${n} × ${d} = ${n * d} values, got ${x.length}`);
    const out = new Float32Array(n);
    const bs = Math.max(1, this.config.predictBatchSize);
    const buf = new Float32Array(Math.min(n, bs) * d);
    for (let start = 0; start < n; start += bs) {
      const m = Math.min(bs, n - start);
      standardizeRows(x, start, m, d, this.mean, this.std, this.config.clipZ, buf);
      const p = tidyRead(() => this.network.predictOnBatch(tf.tensor2d(buf.subarray(0, m * d), [m, d])) as tf.Tensor);
      out.set(p.subarray(0, m), start);
    }
    return out;
  }

  dispose(): void {
    this.network.dispose();
  }
}

/** buf[r·d + j] = clip((x[(start + r)·d + j] − μ_j) / σ_j, ±clipZ) for r < m. */
function standardizeRows(x: Float32Array, start: number, m: number, d: number, mean: Float32Array, std: Float32Array, clipZ: number, buf: Float32Array, rows?: Int32Array): void {
  for (let r = 0; r < m; r++) {
    const src = (rows ? rows[start + r] : start + r) * d;
    const dst = r * d;
    for (let j = 0; j < d; j++) {
      const z = (x[src + j] - mean[j]) / std[j];
      buf[dst + j] = z > clipZ ? clipZ : z < -clipZ ? -clipZ : z;
    }
  }
}

function resolveConfig(cfg: Partial<RankerConfig>): RankerConfig {
  const c: RankerConfig = { ...DEFAULT_RANKER_CONFIG, ...cfg, hiddenUnits: [...(cfg.hiddenUnits ?? DEFAULT_RANKER_CONFIG.hiddenUnits)] };
  const intAtLeast = (name: keyof RankerConfig, min: number) => {
    const v = c[name] as number;
    if (!Number.isInteger(v) || v < min) throw new RangeError(`ranker config ${name} must be an integer ≥ ${min}, got ${v}`);
  };
  intAtLeast('crossLayers', 0);
  intAtLeast('batchSize', 1);
  intAtLeast('maxEpochs', 1);
  intAtLeast('patience', 1);
  intAtLeast('predictBatchSize', 1);
  intAtLeast('seed', 0);
  if (c.hiddenUnits.some((u) => !Number.isInteger(u) || u < 1)) throw new RangeError(`ranker config hiddenUnits must be positive integers, got [${c.hiddenUnits}]`);
  if (!(c.learningRate > 0)) throw new RangeError(`ranker config learningRate must be > 0, got ${c.learningRate}`);
  if (!(c.minDelta >= 0)) throw new RangeError(`ranker config minDelta must be ≥ 0, got ${c.minDelta}`);
  if (!(c.l2 >= 0)) throw new RangeError(`ranker config l2 must be ≥ 0, got ${c.l2}`);
  if (!(c.clipZ > 0)) throw new RangeError(`ranker config clipZ must be > 0, got ${c.clipZ}`);
  if (!(c.validationFraction >= 0 && c.validationFraction < 1)) throw new RangeError(`ranker config validationFraction must be in [0, 1), got ${c.validationFraction}`);
  return c;
}

/**
 * Train the ranker. x: n × d row-major (d = featureNames.length), y: n labels in [0, 1]
 * (1 = watched), groups: n user indices (the validation split is by user).
 * onEpoch is awaited after every epoch (heartbeat from it); the event loop is also yielded
 * every few dozen batches so timers keep running during long epochs.
 */
export async function trainRanker(
  x: Float32Array,
  y: Float32Array,
  groups: Int32Array,
  featureNames: string[],
  cfg: Partial<RankerConfig> = {},
  onEpoch?: RankerEpochCallback,
): Promise<RankerModel> {
  const c = resolveConfig(cfg);
  const d = featureNames.length;
  const n = y.length;
  if (d === 0) throw new RangeError('featureNames must name at least one feature');
  if (new Set(featureNames).size !== d) throw new RangeError(`featureNames must be unique, got [${featureNames.join(', ')}]`);
  if (x.length !== n * d) throw new RangeError(`x must hold n × d = ${n} × ${d} = ${n * d} values, got ${x.length}`);
  if (groups.length !== n) throw new RangeError(`groups must hold n = ${n} user indices, got ${groups.length}`);
  for (let i = 0; i < n; i++) if (!(y[i] >= 0 && y[i] <= 1)) throw new RangeError(`y[${i}] = ${y[i]} is not a label in [0, 1]`);
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i])) throw new RangeError(`x[${Math.floor(i / d)}, ${featureNames[i % d]}] = ${x[i]} is not finite (coalesce nulls in SQL)`);
  }

  const { tf: tfr, backend } = await currentTf();
  const { trainRows, validRows } = c.validationFraction > 0 ? splitByGroup(groups, c.validationFraction, c.seed) : { trainRows: allRows(n), validRows: new Int32Array(0) };
  const nTrain = trainRows.length;
  if (nTrain === 0) throw new RangeError('no training rows left after the validation split');
  let pos = 0;
  for (let i = 0; i < nTrain; i++) pos += y[trainRows[i]];
  if (pos === 0 || pos === nTrain) throw new RangeError(`training rows need both labels, got ${pos} positives of ${nTrain}`);

  // μ, σ over the training rows only (two-pass in Float64).
  const mean = new Float32Array(d);
  const std = new Float32Array(d);
  {
    const s = new Float64Array(d);
    for (let i = 0; i < nTrain; i++) for (let j = 0, o = trainRows[i] * d; j < d; j++) s[j] += x[o + j];
    for (let j = 0; j < d; j++) mean[j] = s[j] / nTrain;
    s.fill(0);
    for (let i = 0; i < nTrain; i++) {
      for (let j = 0, o = trainRows[i] * d; j < d; j++) {
        const dev = x[o + j] - mean[j];
        s[j] += dev * dev;
      }
    }
    for (let j = 0; j < d; j++) {
      const sd = Math.sqrt(s[j] / nTrain);
      std[j] = sd > 1e-12 ? sd : 1;
    }
  }

  const { model, stages } = buildNetwork(d, c);
  const vars = stages.flatMap((st) => st.pairs.flat());
  const kernels = stages.flatMap((st) => st.pairs.map(([w]) => w));
  const ranker = new TfRanker(model, [...featureNames], mean, std, c, backend, [], 0, nTrain, validRows.length);

  const yValid = new Float32Array(validRows.length);
  for (let i = 0; i < validRows.length; i++) yValid[i] = y[validRows[i]];
  const xValid = gatherRows(x, validRows, d);

  const bs = Math.min(c.batchSize, nTrain);
  const xb = new Float32Array(bs * d);
  const yb = new Float32Array(bs);
  const history: RankerEpoch[] = [];
  let bestEpoch: number;
  try {
    bestEpoch = await trainWithEarlyStopping({
      tf: tfr,
      settings: c,
      vars,
      order: Int32Array.from(trainRows),
      rand: mulberry32(c.seed ^ 0x5bd1e995),
      batchObjective: (order, start, m) => {
        standardizeRows(x, start, m, d, mean, std, c.clipZ, xb, order);
        for (let r = 0; r < m; r++) yb[r] = y[order[start + r]];
        const xt = tfr.tensor2d(xb.subarray(0, m * d), [m, d]);
        const yt = tfr.tensor2d(yb.subarray(0, m), [m, 1]);
        return () => {
          // BCE from the logit z: softplus(z) − y·z = −[y log σ(z) + (1 − y) log(1 − σ(z))].
          const z = trainingLogit(xt, stages);
          const bce = tfr.mean(tfr.softplus(z).sub(z.mul(yt))) as tf.Scalar;
          if (c.l2 === 0) return bce;
          return kernels.reduce((acc: tf.Scalar, k) => acc.add(k.square().sum().mul(c.l2)), bce);
        };
      },
      validate:
        validRows.length > 0
          ? () => {
              const p = ranker.predict(xValid, validRows.length);
              return { loss: logLoss(p, yValid), auc: rocAuc(p, yValid) };
            }
          : undefined,
      onEpoch: async (e) => {
        const stats: RankerEpoch = { epoch: e.epoch, trainLoss: e.trainLoss, valLogLoss: e.valid?.loss ?? NaN, valAuc: e.valid?.auc ?? NaN, improved: e.improved, trainSeconds: e.trainSeconds, validSeconds: e.validSeconds };
        history.push(stats);
        await onEpoch?.(stats);
      },
    });
  } catch (e) {
    model.dispose();
    throw e;
  }
  return new TfRanker(model, ranker.featureNames, mean, std, c, backend, history, bestEpoch, nTrain, validRows.length);
}

function allRows(n: number): Int32Array {
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  return a;
}

function gatherRows(x: Float32Array, rows: Int32Array, d: number): Float32Array {
  const out = new Float32Array(rows.length * d);
  for (let i = 0; i < rows.length; i++) out.set(x.subarray(rows[i] * d, rows[i] * d + d), i * d);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Persistence (the files are storage/tf-models.ts's): featureNames, normalization, config and
// history travel in the network's userDefinedMetadata, so one tfjs model holds everything.

const RANKER_KIND = 'recs-ranker';
const RANKER_FORMAT_VERSION = 1;

interface RankerMetadata {
  kind: typeof RANKER_KIND;
  version: number;
  featureNames: string[];
  mean: number[];
  std: number[];
  config: RankerConfig;
  trainedOn: string;
  history: RankerEpoch[];
  bestEpoch: number;
  nTrain: number;
  nValid: number;
}

/** The ranker's network with its metadata attached, ready to save (storage/tf-models.ts saveRanker). */
export function rankerNetwork(model: RankerModel): tf.LayersModel {
  if (!(model instanceof TfRanker)) throw new TypeError('saveRanker expects a model from trainRanker or loadRanker');
  const meta: RankerMetadata = {
    kind: RANKER_KIND,
    version: RANKER_FORMAT_VERSION,
    featureNames: [...model.featureNames],
    mean: Array.from(model.mean),
    std: Array.from(model.std),
    config: { ...model.config, hiddenUnits: [...model.config.hiddenUnits] },
    trainedOn: model.trainedOn,
    // JSON has no NaN: history entries without validation store null there.
    history: model.history.map((h) => ({ ...h })),
    bestEpoch: model.bestEpoch,
    nTrain: model.nTrain,
    nValid: model.nValid,
  };
  model.network.setUserDefinedMetadata(JSON.parse(JSON.stringify(meta)));
  return model.network;
}

/** The ranker a saved network holds (source names where it came from, for errors); disposes the network if it holds none. */
export function rankerFromNetwork(network: tf.LayersModel, source: string): RankerModel {
  const meta = network.getUserDefinedMetadata() as RankerMetadata | undefined;
  if (!meta || meta.kind !== RANKER_KIND) {
    network.dispose();
    throw new TypeError(`${source} does not hold a ranker (metadata kind ${JSON.stringify(meta?.kind)})`);
  }
  if (meta.version !== RANKER_FORMAT_VERSION) {
    network.dispose();
    throw new TypeError(`${source} holds ranker format ${meta.version}; this code reads ${RANKER_FORMAT_VERSION}`);
  }
  const history = meta.history.map((h) => ({ ...h, valLogLoss: h.valLogLoss ?? NaN, valAuc: h.valAuc ?? NaN }));
  return new TfRanker(network, meta.featureNames, Float32Array.from(meta.mean), Float32Array.from(meta.std), resolveConfig(meta.config), meta.trainedOn, history, meta.bestEpoch, meta.nTrain, meta.nValid);
}

// Ranking model over (user, candidate) feature vectors: p(watch | user, candidate).
//
//   z = clip((x − μ) / σ, ±clipZ)                       standardized features (μ, σ from training rows)
//   x_{l+1} = z ⊙ (W_l x_l + b_l) + x_l,  x_0 = z       DCN-v2 full-rank cross layers (Wang et al. 2021)
//   h = MLP_relu(x_L);  p = σ(wᵀh + c)                  sigmoid output
//   loss = mean BCE(y, p) + l2 · Σ‖W‖²                  computed from the logit (numerically stable)
//
// Trained with Adam on seeded shuffles; early stopping on validation log loss, where the
// validation rows are all examples of a seeded subset of users (a user's examples never straddle
// the split, so the score is not inflated by memorising that user). The best epoch's weights
// are restored. Inputs are plain typed arrays; the pipeline builds them in SQL.
import * as tf from '@tensorflow/tfjs';
import { affineFastGrad, currentTf, tidyRead } from './tf-backend';
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

// ---------------------------------------------------------------------------------------------
// Deterministic helpers (also used by the content model).

/** MurmurHash3 fmix32 finalizer: a bijective 32-bit mixer (every input bit affects every output bit). */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export { mulberry32 } from './random';

import { mulberry32 } from './random';

/** Fisher–Yates shuffle in place with a seeded generator. */
export function shuffleInPlace(a: Int32Array, rand: () => number): Int32Array {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
  return a;
}

/**
 * Split rows by group (user): group g is in validation iff u(g) < fraction, where
 * u(g) = fmix32(g ⊕ fmix32(seed)) / 2³². A user's side depends only on (user, seed), not on which
 * other users are present. If that leaves one side empty while there are ≥ 2 groups, the group
 * with the smallest (largest) u moves over, so both sides are non-empty whenever possible.
 */
export function splitByGroup(groups: Int32Array, fraction: number, seed: number): { trainRows: Int32Array; validRows: Int32Array } {
  if (!(fraction >= 0 && fraction < 1)) throw new RangeError(`validation fraction must be in [0, 1), got ${fraction}`);
  const n = groups.length;
  const salt = fmix32(seed ^ 0x9e3779b9);
  const cut = fraction * 4294967296;
  const u = new Float64Array(n);
  let nValid = 0;
  let minU = Infinity, maxU = -Infinity, minG = 0, maxG = 0;
  for (let i = 0; i < n; i++) {
    const g = groups[i];
    const h = fmix32((g ^ salt) >>> 0);
    u[i] = h;
    if (h < cut) nValid++;
    if (h < minU) { minU = h; minG = g; }
    if (h > maxU) { maxU = h; maxG = g; }
  }
  const severalGroups = n > 0 && minG !== maxG;
  let forceValid = -1, forceTrain = -1;
  if (fraction > 0 && nValid === 0 && severalGroups) forceValid = minG;
  if (nValid === n && severalGroups) forceTrain = maxG;
  const isValid = (i: number) => (groups[i] === forceValid ? true : groups[i] === forceTrain ? false : u[i] < cut);
  let v = 0;
  for (let i = 0; i < n; i++) if (isValid(i)) v++;
  const trainRows = new Int32Array(n - v);
  const validRows = new Int32Array(v);
  for (let i = 0, a = 0, b = 0; i < n; i++) {
    if (isValid(i)) validRows[b++] = i;
    else trainRows[a++] = i;
  }
  return { trainRows, validRows };
}

/** ROC AUC by the Mann–Whitney rank statistic (tied scores share their mean rank). NaN if one class is absent. */
export function rocAuc(scores: Float32Array, labels: Float32Array): number {
  const n = scores.length;
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => scores[a] - scores[b]);
  let nPos = 0;
  let rankSumPos = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]] === scores[order[i]]) j++;
    const meanRank = (i + j) / 2 + 1;
    for (let t = i; t <= j; t++) {
      if (labels[order[t]] >= 0.5) {
        nPos++;
        rankSumPos += meanRank;
      }
    }
    i = j + 1;
  }
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) return NaN;
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

/** Mean binary cross-entropy of probabilities p against labels y in [0, 1], p clipped to [ε, 1 − ε]. */
export function logLoss(p: Float32Array, y: Float32Array, eps = 1e-7): number {
  if (p.length === 0) return NaN;
  let s = 0;
  for (let i = 0; i < p.length; i++) {
    const q = Math.min(1 - eps, Math.max(eps, p[i]));
    s -= y[i] * Math.log(q) + (1 - y[i]) * Math.log(1 - q);
  }
  return s / p.length;
}

// ---------------------------------------------------------------------------------------------
// Network.

interface CrossNetworkArgs {
  nLayers: number;
  seed: number;
  name?: string;
  inputShape?: number[];
}

/** Stack of DCN-v2 cross layers: x_{l+1} = x_0 ⊙ (W_l x_l + b_l) + x_l. Output shape = input shape. */
class CrossNetwork extends tf.layers.Layer {
  static readonly className = 'RecsCrossNetwork';
  private readonly nLayers: number;
  private readonly seed: number;
  private kernels: tf.LayerVariable[] = [];
  private biases: tf.LayerVariable[] = [];

  constructor(args: CrossNetworkArgs) {
    super(args);
    this.nLayers = args.nLayers;
    this.seed = args.seed;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const d = shape[shape.length - 1] as number;
    for (let l = 0; l < this.nLayers; l++) {
      // Small init keeps each cross layer close to the identity (x_{l+1} ≈ x_l) at the start.
      const init = tf.initializers.randomNormal({ mean: 0, stddev: 0.1 / Math.sqrt(d), seed: this.seed + l });
      this.kernels.push(this.addWeight(`kernel_${l}`, [d, d], 'float32', init));
      this.biases.push(this.addWeight(`bias_${l}`, [d], 'float32', tf.initializers.zeros()));
    }
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x0 = Array.isArray(inputs) ? inputs[0] : inputs;
      let x = x0;
      for (let l = 0; l < this.nLayers; l++) x = x0.mul(x.matMul(this.kernels[l].read()).add(this.biases[l].read())).add(x);
      return x;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), nLayers: this.nLayers, seed: this.seed };
  }
}
tf.serialization.registerClass(CrossNetwork);

/** A trainable stage: its kind and its weights as [W, b] pairs (cross: one pair per cross layer). */
interface Stage {
  kind: 'cross' | 'relu' | 'linear';
  pairs: [tf.Variable, tf.Variable][];
}

/** The saved/predicting model (layers up to the logit, then a sigmoid) and the same weights as training stages. */
function buildNetwork(d: number, cfg: RankerConfig): { model: tf.Sequential; stages: Stage[] } {
  const model = tf.sequential({ name: 'ranker' });
  const stages: Stage[] = [];
  const add = (layer: tf.layers.Layer, kind: Stage['kind']) => {
    model.add(layer);
    const w = layer.trainableWeights.map((v) => v.read() as tf.Variable);
    const pairs: [tf.Variable, tf.Variable][] = [];
    for (let i = 0; i < w.length; i += 2) pairs.push([w[i], w[i + 1]]);
    stages.push({ kind, pairs });
  };
  let seed = cfg.seed;
  const first = () => (stages.length === 0 ? { inputShape: [d] } : {});
  if (cfg.crossLayers > 0) add(new CrossNetwork({ nLayers: cfg.crossLayers, seed: seed++, inputShape: [d], name: 'cross' }), 'cross');
  cfg.hiddenUnits.forEach((units, i) => {
    add(tf.layers.dense({ units, activation: 'relu', kernelInitializer: tf.initializers.heNormal({ seed: seed++ }), name: `hidden_${i}`, ...first() }), 'relu');
  });
  add(tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: seed++ }), name: 'logit', ...first() }), 'linear');
  model.add(tf.layers.activation({ activation: 'sigmoid', name: 'p_watch' }));
  return { model, stages };
}

/**
 * The logit, computed from the stages with affineFastGrad: the same function as the saved
 * layers up to 'logit', with a gradient that is several times faster on the WASM backend.
 */
function trainingLogit(x: tf.Tensor2D, stages: Stage[]): tf.Tensor2D {
  let h = x;
  let onData = true; // h is still the input batch: no gradient flows into it
  const affine = (a: tf.Tensor2D, w: tf.Variable, b: tf.Variable) => {
    const y = affineFastGrad(a, w as tf.Tensor2D, b as tf.Tensor1D, !onData);
    onData = false;
    return y;
  };
  for (const { kind, pairs } of stages) {
    if (kind === 'cross') {
      const x0 = h;
      for (const [w, b] of pairs) h = x0.mul(affine(h, w, b)).add(h);
    } else {
      const [w, b] = pairs[0];
      h = affine(h, w, b);
      if (kind === 'relu') h = tf.relu(h);
    }
  }
  return h;
}

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
  const optimizer = tfr.train.adam(c.learningRate);
  const ranker = new TfRanker(model, [...featureNames], mean, std, c, backend, [], 0, nTrain, validRows.length);

  const yValid = new Float32Array(validRows.length);
  for (let i = 0; i < validRows.length; i++) yValid[i] = y[validRows[i]];
  const xValid = gatherRows(x, validRows, d);

  const order = Int32Array.from(trainRows);
  const rand = mulberry32(c.seed ^ 0x5bd1e995);
  const bs = Math.min(c.batchSize, nTrain);
  const xb = new Float32Array(bs * d);
  const yb = new Float32Array(bs);
  const history: RankerEpoch[] = [];
  let best = Infinity;
  let bestEpoch = 0;
  let bestWeights: tf.Tensor[] | undefined;
  let sinceBest = 0;

  try {
    for (let epoch = 1; epoch <= c.maxEpochs; epoch++) {
      const t0 = performance.now();
      shuffleInPlace(order, rand);
      let lossSum = 0;
      for (let start = 0, batch = 0; start < nTrain; start += bs, batch++) {
        const m = Math.min(bs, nTrain - start);
        standardizeRows(x, start, m, d, mean, std, c.clipZ, xb, order);
        for (let r = 0; r < m; r++) yb[r] = y[order[start + r]];
        const cost = tfr.tidy(() => {
          const xt = tfr.tensor2d(xb.subarray(0, m * d), [m, d]);
          const yt = tfr.tensor2d(yb.subarray(0, m), [m, 1]);
          return optimizer.minimize(
            () => {
              // BCE from the logit z: softplus(z) − y·z = −[y log σ(z) + (1 − y) log(1 − σ(z))].
              const z = trainingLogit(xt, stages);
              const bce = tfr.mean(tfr.softplus(z).sub(z.mul(yt))) as tf.Scalar;
              if (c.l2 === 0) return bce;
              return kernels.reduce((acc: tf.Scalar, k) => acc.add(k.square().sum().mul(c.l2)), bce);
            },
            true,
            vars,
          ) as tf.Scalar;
        });
        lossSum += cost.dataSync()[0] * m;
        cost.dispose();
        if (batch % 32 === 31) await yieldToEventLoop();
      }
      const t1 = performance.now();

      let valLogLoss = NaN;
      let valAuc = NaN;
      if (validRows.length > 0) {
        const p = ranker.predict(xValid, validRows.length);
        valLogLoss = logLoss(p, yValid);
        valAuc = rocAuc(p, yValid);
      }
      // Without validation every epoch "improves": the last weights are kept.
      const improved = validRows.length === 0 || valLogLoss < best - c.minDelta;
      if (improved) {
        if (validRows.length > 0) best = valLogLoss;
        bestEpoch = epoch;
        sinceBest = 0;
        if (validRows.length > 0) {
          bestWeights?.forEach((w) => w.dispose());
          bestWeights = vars.map((v) => tfr.keep(v.clone()));
        }
      } else {
        sinceBest++;
      }
      const stats: RankerEpoch = { epoch, trainLoss: lossSum / nTrain, valLogLoss, valAuc, improved, trainSeconds: (t1 - t0) / 1000, validSeconds: (performance.now() - t1) / 1000 };
      history.push(stats);
      await onEpoch?.(stats);
      if (validRows.length > 0 && sinceBest >= c.patience) break;
    }
    if (bestWeights) vars.forEach((v, i) => v.assign(bestWeights![i]));
  } catch (e) {
    model.dispose();
    throw e;
  } finally {
    bestWeights?.forEach((w) => w.dispose());
    optimizer.dispose();
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

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
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

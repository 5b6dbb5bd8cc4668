// The ranker's network: DCN-v2 cross layers, a ReLU MLP and a sigmoid output, built twice over
// the same weights: as tfjs layers (saved, predicting) and as training stages whose logit has a
// faster gradient (model/ranker.ts trains it; the formulas are at its top).
import * as tf from '@tensorflow/tfjs';
import { affineFastGrad } from './tf-backend';

/** What shapes the network (RankerConfig's fields). */
export interface NetworkShape {
  crossLayers: number;
  hiddenUnits: readonly number[];
  seed: number;
}

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
export interface Stage {
  kind: 'cross' | 'relu' | 'linear';
  pairs: [tf.Variable, tf.Variable][];
}

/** The saved/predicting model (layers up to the logit, then a sigmoid) and the same weights as training stages. */
export function buildNetwork(d: number, cfg: NetworkShape): { model: tf.Sequential; stages: Stage[] } {
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
export function trainingLogit(x: tf.Tensor2D, stages: Stage[]): tf.Tensor2D {
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

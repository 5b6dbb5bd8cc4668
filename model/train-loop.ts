// The training loop shared by the TF.js models (model/ranker.ts, model/content/network.ts):
// Adam over seeded shuffles of the training rows, one validation pass per epoch, early stopping
// on the validation loss with the best epoch's weights restored.
//
//   improved(e) ⇔ no validation rows, or loss_val(e) < best − minDelta
//   stop after `patience` epochs in a row without improvement (never without validation rows)
//
// Without validation every epoch "improves" and the last weights are kept.
import type * as tf from '@tensorflow/tfjs';
import { shuffleInPlace } from './random';

type Tf = typeof tf;

export interface LoopSettings {
  learningRate: number;
  batchSize: number;
  maxEpochs: number;
  patience: number;
  minDelta: number;
}

/** What one epoch produced: the caller turns it into its own epoch record. */
export interface LoopEpoch<V> {
  epoch: number; // 1-based
  /** Mean training objective over the epoch's rows. */
  trainLoss: number;
  /** The validation pass's result (undefined without validation rows). */
  valid: V | undefined;
  improved: boolean;
  trainSeconds: number;
  validSeconds: number;
}

export interface TrainLoop<V extends { loss: number }> {
  tf: Tf;
  settings: LoopSettings;
  /** Every trainable variable (restored to the best epoch's values at the end). */
  vars: tf.Variable[];
  /** The training rows; shuffled in place with rand at the start of every epoch. */
  order: Int32Array;
  rand: () => number;
  /**
   * The objective of rows order[start .. start + m), for optimizer.minimize. Called inside
   * tf.tidy, so the batch tensors it makes are freed after the step.
   */
  batchObjective(order: Int32Array, start: number, m: number): () => tf.Scalar;
  /** The validation pass, or undefined when there are no validation rows. */
  validate?: () => V;
  /** Awaited after every epoch (heartbeat from it). */
  onEpoch(epoch: LoopEpoch<V>): void | Promise<void>;
}

/** Run the loop; returns the epoch whose weights were kept (0 if none improved). */
export async function trainWithEarlyStopping<V extends { loss: number }>(loop: TrainLoop<V>): Promise<number> {
  const { tf: tfr, settings: c, vars, order, rand } = loop;
  const nTrain = order.length;
  const bs = Math.min(c.batchSize, nTrain);
  const optimizer = tfr.train.adam(c.learningRate);
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
        const cost = tfr.tidy(() => optimizer.minimize(loop.batchObjective(order, start, m), true, vars) as tf.Scalar);
        lossSum += cost.dataSync()[0] * m;
        cost.dispose();
        // Yield every few dozen batches so timers (heartbeats) keep running in long epochs.
        if (batch % 32 === 31) await new Promise((resolve) => setImmediate(resolve));
      }
      const t1 = performance.now();
      const valid = loop.validate?.();
      const improved = valid === undefined || valid.loss < best - c.minDelta;
      if (improved) {
        bestEpoch = epoch;
        sinceBest = 0;
        if (valid !== undefined) {
          best = valid.loss;
          bestWeights?.forEach((w) => w.dispose());
          bestWeights = vars.map((v) => tfr.keep(v.clone()));
        }
      } else {
        sinceBest++;
      }
      await loop.onEpoch({ epoch, trainLoss: lossSum / nTrain, valid, improved, trainSeconds: (t1 - t0) / 1000, validSeconds: (performance.now() - t1) / 1000 });
      if (valid !== undefined && sinceBest >= c.patience) break;
    }
    if (bestWeights) vars.forEach((v, i) => v.assign(bestWeights![i]));
  } finally {
    bestWeights?.forEach((w) => w.dispose());
    optimizer.dispose();
  }
  return bestEpoch;
}

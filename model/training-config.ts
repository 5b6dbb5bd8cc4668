// Knobs shared by the TF.js models trained with Adam and early stopping (model/ranker.ts,
// model/content/network.ts). Each model states its defaults beside its own config.
export interface TrainingConfig {
  /** Units of each ReLU hidden layer. */
  hiddenUnits: number[];
  /** Adam learning rate. */
  learningRate: number;
  /** Training rows (examples, titles) per gradient step. */
  batchSize: number;
  /** Upper bound on passes over the training rows. */
  maxEpochs: number;
  /** Epochs without a validation-loss improvement of at least minDelta before stopping. */
  patience: number;
  /** Smallest validation-loss decrease that counts as an improvement. */
  minDelta: number;
  /** Fraction of rows held out for early stopping (by a seeded hash of their group); 0 = none, train maxEpochs. */
  validationFraction: number;
  /** L2 penalty on every kernel (weight matrix). */
  l2: number;
  /** Seeds weight init, the validation split and the shuffles. */
  seed: number;
  /** Rows per forward pass at inference. */
  predictBatchSize: number;
}

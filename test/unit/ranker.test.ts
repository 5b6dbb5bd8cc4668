import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mulberry32, rocAuc, splitByGroup, trainRanker, type RankerEpoch } from '../../model/ranker';
import { initTf, type TfRuntime } from '../../model/tf-backend';
import { loadRanker, saveRanker } from '../../storage/tf-models';

const FEATURES = ['retrieval_score', 'retrieval_rank', 'popularity', 'item_age', 'genre_match', 'user_activity'];

/**
 * Planted rule: watched iff features 0 and 1 have the same sign (an interaction no linear model
 * can express), with 5 % of labels flipped; the other features are noise on different scales.
 * 40 examples per user.
 */
function plantedData(n: number, seed: number) {
  const d = FEATURES.length;
  const rand = mulberry32(seed);
  const x = new Float32Array(n * d);
  const y = new Float32Array(n);
  const groups = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) x[i * d + j] = (rand() * 2 - 1) * (j + 1) * 10 + j * 100;
    const a = x[i * d] - 0;
    const b = x[i * d + 1] - 100;
    y[i] = a * b > 0 !== rand() < 0.05 ? 1 : 0;
    groups[i] = Math.floor(i / 40) + seed * 100_000;
  }
  return { x, y, groups };
}

describe('the ranker', () => {
  let rt: TfRuntime;
  beforeAll(async () => {
    vi.spyOn(console, 'info').mockImplementation(() => undefined);
    rt = await initTf('wasm');
  });

  it('learns a planted interaction rule: AUC on validation users and on unseen data is far above chance', async () => {
    const train = plantedData(12_000, 1);
    const epochs: RankerEpoch[] = [];
    const model = await trainRanker(train.x, train.y, train.groups, FEATURES, { maxEpochs: 12, learningRate: 3e-3 }, (e) => {
      epochs.push(e);
    });
    const best = epochs[model.bestEpoch - 1];
    expect(best.valAuc).toBeGreaterThan(0.85);
    expect(epochs[0].valAuc).toBeLessThan(best.valAuc);

    const test = plantedData(4_000, 2);
    expect(rocAuc(model.predict(test.x, 4_000), test.y)).toBeGreaterThan(0.85);
    model.dispose();
  });

  it('puts every example of a user on one side of the validation split, deterministically by seed', () => {
    const rand = mulberry32(3);
    const groups = Int32Array.from({ length: 20_000 }, () => Math.floor(rand() * 1_000));
    const { trainRows, validRows } = splitByGroup(groups, 0.2, 42);
    expect(trainRows.length + validRows.length).toBe(groups.length);
    const trainUsers = new Set(Array.from(trainRows, (i) => groups[i]));
    const validUsers = new Set(Array.from(validRows, (i) => groups[i]));
    for (const u of validUsers) expect(trainUsers.has(u)).toBe(false);
    expect(validUsers.size / (trainUsers.size + validUsers.size)).toBeGreaterThan(0.15);
    expect(validUsers.size / (trainUsers.size + validUsers.size)).toBeLessThan(0.25);

    expect(Array.from(splitByGroup(groups, 0.2, 42).validRows)).toEqual(Array.from(validRows));
    expect(Array.from(splitByGroup(groups, 0.2, 43).validRows)).not.toEqual(Array.from(validRows));
  });

  it('still holds out one whole user when there are only two users', () => {
    const groups = Int32Array.from([7, 7, 7, 9, 9]);
    const { trainRows, validRows } = splitByGroup(groups, 0.01, 1);
    const valid = new Set(Array.from(validRows, (i) => groups[i]));
    const train = new Set(Array.from(trainRows, (i) => groups[i]));
    expect(valid.size).toBe(1);
    expect(train.size).toBe(1);
    expect([...valid][0]).not.toBe([...train][0]);
  });

  it('gives identical predictions after a save and load round trip, with feature names and normalization restored', async () => {
    const data = plantedData(3_000, 4);
    const model = await trainRanker(data.x, data.y, data.groups, FEATURES, { maxEpochs: 2 });
    const dir = await mkdtemp(join(tmpdir(), 'ranker-'));
    try {
      await saveRanker(model, dir);
      const loaded = await loadRanker(dir);
      expect(loaded.featureNames).toEqual(FEATURES);
      expect(Array.from(loaded.mean)).toEqual(Array.from(model.mean));
      expect(Array.from(loaded.std)).toEqual(Array.from(model.std));
      expect(loaded.trainedOn).toBe(rt.backend);
      expect(loaded.history).toHaveLength(model.history.length);
      const before = model.predict(data.x, 3_000);
      const after = loaded.predict(data.x, 3_000);
      let maxDiff = 0;
      for (let i = 0; i < before.length; i++) maxDiff = Math.max(maxDiff, Math.abs(before[i] - after[i]));
      expect(maxDiff).toBeLessThan(1e-7);
      expect(new Set(before).size).toBeGreaterThan(100); // not a constant model
      loaded.dispose();
    } finally {
      model.dispose();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('stops after `patience` epochs without improvement when labels carry no signal, keeping the best epoch', async () => {
    const data = plantedData(4_000, 5);
    const rand = mulberry32(99);
    for (let i = 0; i < data.y.length; i++) data.y[i] = rand() < 0.3 ? 1 : 0;
    const model = await trainRanker(data.x, data.y, data.groups, FEATURES, { maxEpochs: 40, patience: 2, learningRate: 1e-2, batchSize: 128 });
    expect(model.history.length).toBeLessThan(40);
    expect(model.history.length).toBe(model.bestEpoch + 2);
    const kept = model.history[model.bestEpoch - 1].valLogLoss;
    for (const e of model.history) expect(e.valLogLoss).toBeGreaterThanOrEqual(kept - 1e-4);
    model.dispose();
  });

  it('predicts in batches without leaking tensors', async () => {
    const data = plantedData(2_000, 6);
    const model = await trainRanker(data.x, data.y, data.groups, FEATURES, { maxEpochs: 1, predictBatchSize: 300 });
    const before = rt.tf.memory().numTensors;
    const p = model.predict(data.x, 2_000);
    expect(rt.tf.memory().numTensors).toBe(before);
    expect(p).toHaveLength(2_000);
    // Batch boundaries do not change the answer: row 1999 alone scores as it did inside the last batch.
    expect(model.predict(data.x.subarray(1999 * 6), 1)[0]).toBeCloseTo(p[1999], 6);
    model.dispose();
  });

  it('refuses inputs whose shapes disagree or that hold non-finite values, naming the problem', async () => {
    const data = plantedData(100, 7);
    await expect(trainRanker(data.x.subarray(1), data.y, data.groups, FEATURES)).rejects.toThrow(/x must hold n × d = 100 × 6 = 600 values, got 599/);
    await expect(trainRanker(data.x, data.y, data.groups.subarray(1), FEATURES)).rejects.toThrow(/groups must hold n = 100/);
    const bad = data.x.slice();
    bad[3 * 6 + 2] = NaN;
    await expect(trainRanker(bad, data.y, data.groups, FEATURES)).rejects.toThrow(/x\[3, popularity\] = NaN is not finite/);
    await expect(trainRanker(data.x, data.y, data.groups, FEATURES, { hiddenUnits: [0] })).rejects.toThrow(RangeError);
  });

  afterAll(() => {
    vi.restoreAllMocks();
  });
});

describe('ROC AUC', () => {
  it('matches the Mann–Whitney count on a hand-checked case', () => {
    // Positive 0.35 beats one of two negatives, positive 0.8 beats both: 3 of 4 pairs.
    expect(rocAuc(Float32Array.from([0.1, 0.4, 0.35, 0.8]), Float32Array.from([0, 0, 1, 1]))).toBeCloseTo(0.75, 10);
  });

  it('counts a tie between a positive and a negative as half a pair', () => {
    expect(rocAuc(Float32Array.from([0.5, 0.5, 0.9]), Float32Array.from([0, 1, 1]))).toBeCloseTo(0.75, 10);
  });

  it('is undefined when one class is missing', () => {
    expect(rocAuc(Float32Array.from([0.1, 0.2]), Float32Array.from([1, 1]))).toBeNaN();
  });
});

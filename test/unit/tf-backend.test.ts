import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

// tfjs-node is an optional dependency: these tests hold whether or not it is installed.
const nodeInstalled = (() => {
  try {
    createRequire(import.meta.url).resolve('@tensorflow/tfjs-node');
    return true;
  } catch {
    return false;
  }
})();

// Each test loads a fresh copy of the module, so its once-only state starts empty.
async function freshBackendModule() {
  vi.resetModules();
  return import('../../model/tf-backend');
}

describe('TF.js backend selection', () => {
  let info: ReturnType<typeof vi.spyOn>;
  const savedEnv = process.env.TF_BACKEND;
  beforeEach(() => {
    delete process.env.TF_BACKEND;
    info = vi.spyOn(console, 'info').mockImplementation(() => undefined);
  });
  afterEach(() => {
    info.mockRestore();
    if (savedEnv === undefined) delete process.env.TF_BACKEND;
    else process.env.TF_BACKEND = savedEnv;
  });

  it('the default choice is tfjs-node when it is installed and loads, else wasm or cpu, and is the live backend', async () => {
    const { initTf } = await freshBackendModule();
    const { tf, backend } = await initTf();
    const logged = String(info.mock.calls[0][0]);
    if (backend === 'tensorflow') expect(nodeInstalled).toBe(true);
    else {
      expect(['wasm', 'cpu']).toContain(backend);
      expect(logged).toMatch(nodeInstalled ? /node: (failed|loaded)/ : /node: not installed/);
    }
    expect(tf.getBackend()).toBe(backend);
    expect(tf.tensor1d([1, 2, 3]).sum().dataSync()[0]).toBeCloseTo(6, 6);
  });

  it('asking for node uses it when installed, else falls back to wasm without throwing and says why in one log line', async () => {
    const { initTf } = await freshBackendModule();
    const { backend } = await initTf('node');
    expect(info).toHaveBeenCalledTimes(1);
    const logged = String(info.mock.calls[0][0]);
    if (!nodeInstalled) {
      expect(backend).toBe('wasm');
      expect(logged).toMatch(/\[tf\] backend wasm \(node: not installed\)/);
    } else if (backend === 'tensorflow') {
      expect(logged).toBe('[tf] backend tensorflow');
    } else {
      // Installed but unusable (e.g. libtensorflow missing): the fallback names the failure.
      expect(backend).toBe('wasm');
      expect(logged).toMatch(/\[tf\] backend wasm \(node: (failed to load|loaded, but)/);
    }
  });

  it('repeated calls share one initialisation and log the choice once', async () => {
    const { initTf } = await freshBackendModule();
    const first = initTf('wasm');
    expect(initTf('wasm')).toBe(first);
    expect(initTf()).toBe(first);
    await first;
    expect(info).toHaveBeenCalledTimes(1);
  });

  it('an explicit cpu preference switches the live backend, and wasm and cpu compute the same matmul', async () => {
    const { initTf } = await freshBackendModule();
    const a = [1, 2, 3, 4, 5, 6];
    const b = [0.5, -1, 2, 0, 1, 3];
    const onWasm = (await initTf('wasm')).tf;
    const w = onWasm.matMul(onWasm.tensor2d(a, [2, 3]), onWasm.tensor2d(b, [3, 2])).dataSync();
    const { tf, backend } = await initTf('cpu');
    expect(backend).toBe('cpu');
    const c = tf.matMul(tf.tensor2d(a, [2, 3]), tf.tensor2d(b, [3, 2])).dataSync();
    // [1 2 3; 4 5 6] · [0.5 -1; 2 0; 1 3] = [7.5 8; 18 14]
    [7.5, 8, 18, 14].forEach((v, i) => expect(c[i]).toBeCloseTo(v, 5));
    Array.from(w).forEach((v, i) => expect(v).toBeCloseTo(c[i], 5));
  });

  it('tidyRead returns the values of the built tensor and leaves no tensor behind', async () => {
    const { initTf, tidyRead } = await freshBackendModule();
    const { tf } = await initTf('wasm');
    const before = tf.memory().numTensors;
    const v = tidyRead(() => tf.tensor1d([1, 2, 3]).mul(2).add(1));
    expect(Array.from(v)).toEqual([3, 5, 7]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('the fast affine op has the same value and gradients as tfjs\' own matMul + bias, on wasm and on cpu', async () => {
    const { initTf, affineFastGrad } = await freshBackendModule();
    for (const prefer of ['wasm', 'cpu'] as const) {
      const { tf: t } = await initTf(prefer);
      const a = t.tensor2d([0.5, -1, 2, 1.5, 0, -0.25], [3, 2]);
      const w = t.tensor2d([1, 2, -1, 0.5, 3, -2], [2, 3]);
      const b = t.tensor1d([0.1, -0.2, 0.3]);
      // Scalar objective Σ sin(y) so that ∂/∂y is not constant.
      const reference = t.grads((x: tf.Tensor, v: tf.Tensor, c: tf.Tensor) => t.sin(t.add(t.matMul(x as tf.Tensor2D, v as tf.Tensor2D), c)).sum());
      const fast = t.grads((x: tf.Tensor, v: tf.Tensor, c: tf.Tensor) => t.sin(affineFastGrad(x as tf.Tensor2D, v as tf.Tensor2D, c as tf.Tensor1D)).sum());
      const want = reference([a, w, b]).map((g) => Array.from(g.dataSync()));
      const got = fast([a, w, b]).map((g) => Array.from(g.dataSync()));
      for (let i = 0; i < 3; i++) want[i].forEach((v, j) => expect(got[i][j]).toBeCloseTo(v, 5));
      // On data inputs the ∂a product is skipped (zeros); ∂W and ∂b are unchanged.
      const onData = t.grads((x: tf.Tensor, v: tf.Tensor, c: tf.Tensor) => t.sin(affineFastGrad(x as tf.Tensor2D, v as tf.Tensor2D, c as tf.Tensor1D, false)).sum());
      const [da, dw] = onData([a, w, b]).map((g) => Array.from(g.dataSync()));
      expect(da.every((v) => v === 0)).toBe(true);
      want[1].forEach((v, j) => expect(dw[j]).toBeCloseTo(v, 5));
    }
  });

  it('TF_BACKEND is the default preference when the caller passes none', async () => {
    process.env.TF_BACKEND = 'cpu';
    const { initTf } = await freshBackendModule();
    expect((await initTf()).backend).toBe('cpu');
  });

  it('model code asking for the current runtime keeps the backend the caller chose, whatever TF_BACKEND says', async () => {
    const { initTf, currentTf } = await freshBackendModule();
    await initTf('wasm');
    process.env.TF_BACKEND = 'cpu';
    expect((await currentTf()).backend).toBe('wasm');
  });

  it('a misspelt TF_BACKEND is rejected with the variable named', async () => {
    const { parseTfBackend } = await freshBackendModule();
    expect(() => parseTfBackend('gpu')).toThrow(/TF_BACKEND="gpu": expected one of node\|wasm\|cpu/);
    expect(parseTfBackend(' WASM ')).toBe('wasm');
    expect(parseTfBackend('')).toBeUndefined();
  });
});

describe('the model directory IO handler', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tf-io-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes model.json and weights.bin and reads back the same weights and metadata', async () => {
    const { initTf } = await freshBackendModule();
    const { modelDirIO } = await import('../../storage/tf-models');
    const { tf } = await initTf('wasm');
    const model = tf.sequential();
    model.add(tf.layers.dense({ units: 3, inputShape: [4], kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }));
    model.setUserDefinedMetadata({ note: 'hello' });
    await model.save(modelDirIO(dir));
    expect((await readdir(dir)).sort()).toEqual(['model.json', 'weights.bin']);

    const loaded = await tf.loadLayersModel(modelDirIO(dir));
    expect(loaded.getUserDefinedMetadata()).toEqual({ note: 'hello' });
    const before = model.getWeights().map((w) => Array.from(w.dataSync()));
    const after = loaded.getWeights().map((w) => Array.from(w.dataSync()));
    expect(after).toEqual(before);
    model.dispose();
    loaded.dispose();
  });
});

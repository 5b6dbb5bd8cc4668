// TensorFlow.js runtime: the one place that picks the backend (saved models are read and
// written by storage/tf-models.ts). Order of preference: @tensorflow/tfjs-node (native
// libtensorflow; an optional dependency that is often absent) → @tensorflow/tfjs-backend-wasm (XNNPACK, fast dense ops,
// missing a few gradient kernels such as embedding gathers) → 'cpu' (plain JS, always there).
// The same model code and the same saved files work on any of them.
//
// Environment: TF_BACKEND=node|wasm|cpu forces the first choice (lower ones remain fallbacks).
// Entry points should read it through their configuration and pass it to initTf(); the
// process.env read below is only the documented default for callers that pass nothing.
import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import { dirname, sep } from 'node:path';

export const TF_BACKENDS = ['node', 'wasm', 'cpu'] as const;
/** A backend preference; each name falls back to the names after it. */
export type TfBackendName = (typeof TF_BACKENDS)[number];

export interface TfRuntime {
  tf: typeof tf;
  /** tfjs' own name of the live backend (tf.getBackend()): 'tensorflow', 'wasm' or 'cpu'. */
  backend: string;
}

const TFJS_NODE = '@tensorflow/tfjs-node';
const TFJS_WASM = '@tensorflow/tfjs-backend-wasm';
/** tfjs registry name of each preference. */
const REGISTRY_NAME: Record<TfBackendName, string> = { node: 'tensorflow', wasm: 'wasm', cpu: 'cpu' };

/** Parse a backend preference (e.g. the TF_BACKEND variable); empty/undefined → undefined. */
export function parseTfBackend(value: string | undefined, variable = 'TF_BACKEND'): TfBackendName | undefined {
  if (value === undefined || value === '') return undefined;
  const v = value.trim().toLowerCase();
  if ((TF_BACKENDS as readonly string[]).includes(v)) return v as TfBackendName;
  throw new RangeError(`${variable}=${JSON.stringify(value)}: expected one of ${TF_BACKENDS.join('|')}`);
}

let current: { prefer: TfBackendName; promise: Promise<TfRuntime> } | undefined;
let wasmPrepared: Promise<void> | undefined;

/**
 * Select and initialise the TF.js backend; resolves to the tfjs module and the live backend.
 *
 * prefer defaults to the TF_BACKEND environment variable, and to 'node' (best available) when
 * that is unset. Idempotent: repeated calls share one module-level promise; a later call with
 * no preference returns whatever is live. A later call with a different explicit preference
 * switches the global backend (benchmarks comparing backends use this).
 * Absent or broken backends fall through to the next one with a one-line note; the choice is
 * logged once per selection. Also enables tfjs production mode, which silences tfjs' own
 * console banners (the "install tfjs-node" hint is replaced by the log line here).
 */
export function initTf(prefer: TfBackendName | undefined = parseTfBackend(process.env.TF_BACKEND)): Promise<TfRuntime> {
  if (current && (prefer === undefined || prefer === current.prefer)) return current.promise;
  const previous = current?.promise;
  const want = prefer ?? 'node';
  const promise = (async () => {
    if (previous) await previous.catch(() => undefined);
    return selectBackend(want);
  })();
  current = { prefer: want, promise };
  promise.catch(() => {
    if (current?.promise === promise) current = undefined; // let a later call retry
  });
  return promise;
}

/**
 * The live runtime, initialising with the default preference only if nothing was chosen yet.
 * Model code calls this, so training or loading never switches a backend the caller picked.
 */
export function currentTf(): Promise<TfRuntime> {
  return current?.promise ?? initTf();
}

async function selectBackend(prefer: TfBackendName): Promise<TfRuntime> {
  tf.enableProdMode();
  const skipped: string[] = [];
  for (const name of TF_BACKENDS.slice(TF_BACKENDS.indexOf(prefer))) {
    const problem = await tryBackend(name);
    if (problem === null) {
      const backend = tf.getBackend();
      const why = skipped.length ? ` (${skipped.join('; ')})` : '';
      console.info(`[tf] backend ${backend}${why}`);
      return { tf, backend };
    }
    skipped.push(`${name}: ${problem}`);
  }
  throw new Error(`no TF.js backend could be initialised (${skipped.join('; ')})`);
}

/** null when the backend is live, else a short reason it is not. */
async function tryBackend(name: TfBackendName): Promise<string | null> {
  try {
    if (name === 'node') {
      if (!tf.findBackend(REGISTRY_NAME.node)) {
        if (!isResolvable(TFJS_NODE)) return 'not installed';
        await import(/* @vite-ignore */ TFJS_NODE);
      }
      // A second copy of tfjs-core (version skew) would register the backend elsewhere.
      if (!tf.findBackend(REGISTRY_NAME.node)) return 'loaded, but registered on another copy of @tensorflow/tfjs-core';
    } else if (name === 'wasm') {
      wasmPrepared ??= prepareWasm();
      await wasmPrepared;
    }
    return (await tf.setBackend(REGISTRY_NAME[name])) ? null : 'failed to initialise';
  } catch (e) {
    if (name === 'wasm') wasmPrepared = undefined;
    return `failed to load (${firstLine(e)})`;
  }
}

/** Register the WASM backend and point it at the .wasm binaries shipped in its dist folder (no network). */
async function prepareWasm(): Promise<void> {
  const wasm = await import(TFJS_WASM);
  const main = createRequire(import.meta.url).resolve(TFJS_WASM); // …/tfjs-backend-wasm/dist/tf-backend-wasm.node.js
  wasm.setWasmPaths(dirname(main) + sep);
}

function isResolvable(specifier: string): boolean {
  try {
    createRequire(import.meta.url).resolve(specifier);
    return true;
  } catch {
    return false;
  }
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0].slice(0, 200);
}

/**
 * Values of the tensor f builds, with every intermediate freed. Use this instead of returning
 * dataSync() from inside tf.tidy: tidy walks its return value looking for tensors, key by key,
 * which for an n-element typed array costs O(n) slow property visits (≈ 1 s for 2 MB).
 */
export function tidyRead(f: () => tf.Tensor): Float32Array {
  const t = tf.tidy(f);
  try {
    return t.dataSync() as Float32Array;
  } finally {
    t.dispose();
  }
}

/**
 * y = a·W + b (a: m × p, W: p × q, b: q), with a gradient written for speed:
 *   ∂a = dy·transpose(W),  ∂W = transpose(a)·dy,  ∂b = 1ᵀ·dy.
 * tfjs' built-in gradients use matMul with transposeA/transposeB flags, which the WASM backend
 * runs 5–9× slower than an explicit transpose plus a plain matMul (1024×16 by 1024×64: 0.9 ms
 * against 0.2 ms), so on WASM the transposes are explicit (on CPU the flags are cheaper and
 * stay); and they reduce the bias gradient with sum over axis 0, ~10× slower than the
 * ones-vector product on both. On WASM the built-in backward pass cost ~15× the forward pass.
 * Training loops use this for every weight matrix; saved models keep the standard layers (the
 * same function), so inference is unchanged. Pass inputNeedsGrad = false when a is the input
 * batch itself: ∂a is then never needed and not computed.
 */
export function affineFastGrad(a: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, inputNeedsGrad = true): tf.Tensor2D {
  return (inputNeedsGrad ? affineOp : affineOnDataOp)(a, w, b) as tf.Tensor2D;
}

/** inputNeedsGrad = false (a is data, not a function of weights) skips the m × p product for ∂a. */
function affineCustomOp(inputNeedsGrad: boolean) {
  return tf.customGrad((...args: (tf.Tensor | ((save: tf.Tensor[]) => void))[]) => {
    const [a, w, b, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, (save: tf.Tensor[]) => void];
    save([a, w]);
    return {
      value: tf.add(tf.matMul(a, w), b),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sa, sw] = saved as tf.Tensor2D[];
        const g = dy as tf.Tensor2D;
        const ones = tf.ones([1, g.shape[0]]) as tf.Tensor2D;
        const db = tf.reshape(tf.matMul(ones, g), [g.shape[1]]);
        // Explicit transposes only where they pay: on the CPU backend the flags are cheaper.
        const wasm = tf.getBackend() === 'wasm';
        const dw = wasm ? tf.matMul(tf.transpose(sa), g) : tf.matMul(sa, g, true, false);
        const da = !inputNeedsGrad ? tf.zerosLike(sa) : wasm ? tf.matMul(g, tf.transpose(sw)) : tf.matMul(g, sw, false, true);
        return [da, dw, db];
      },
    };
  });
}
const affineOp = affineCustomOp(true);
const affineOnDataOp = affineCustomOp(false);

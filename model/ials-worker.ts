// Worker thread of trainIals: takes chunks of rows from a shared atomic counter and runs the row
// kernels on shared factors: the WASM SIMD kernel (simd-kernel.ts) when trainIals put the state in
// a shared WASM memory, else the scalar-JS kernels of ials-kernel.ts. Rows of one side are
// independent given the other side, so which worker takes which chunk does not change the result.
import { parentPort, workerData } from 'node:worker_threads';
import { createCgScratch, gramRowsAdd, lossRows, solveRowsCg } from './ials-kernel';
import { createSimdKernel } from './simd-kernel';

export interface SideData {
  indptr: Int32Array; // nRows + 1
  indices: Int32Array; // nnz
  values: Float32Array; // nnz, confidence c
  lam: Float32Array; // nRows, the regulariser weight λ_r of each row (rowLambda)
  factors: Float32Array; // nRows × k, this side's factors (updated by 'solve')
  gram: Float64Array; // k×k, raw Gram of this side's factors (written by the caller after 'gram')
  gram32: Float32Array; // k×k, the same Gram in f32 for the SIMD kernel
  chunks: Int32Array; // nChunks + 1 row boundaries, balanced by work
  nRows: number;
}

export interface IalsWorkerData {
  k: number;
  alpha0: number;
  lambda: number;
  nu: number;
  cgSteps: number;
  /** The shared WASM memory every typed array of `user`/`item`/`scratch` lives in, or null (JS kernels). */
  memory: WebAssembly.Memory | null;
  scratch: Float32Array[]; // per worker: 3k (CG vectors) + max(k×k (a Gram block), a row's partner weights), in `memory`
  gather: Float32Array[]; // per worker (SIMD kernel only): gatherRows × k, a row's partner vectors in order
  gatherRows: number;
  worker: number; // this worker's index
  gramBlockRows: number;
  user: SideData;
  item: SideData;
  gramBlocks: Float64Array; // nBlocks × k × k partial Grams
  lossParts: Float64Array; // one partial loss per chunk
  counter: Int32Array; // [0]: next chunk / block to take
}

export type IalsJob = { op: 'gram' | 'solve' | 'loss'; side: 'user' | 'item'; id: number };

const d = workerData as IalsWorkerData;
const { k } = d;
const kernel = d.memory ? createSimdKernel(d.memory) : null;
if (d.memory && !kernel) throw new Error('the WASM SIMD kernel could not be instantiated in a worker');
const scratch = d.scratch[d.worker];
const cgScratch = scratch.byteOffset; // r, p, Ap, then the partner weights
const gramScratch = scratch.subarray(3 * k, 3 * k + k * k); // k×k f32 partial Gram of one block
const jsScratch = createCgScratch(k);

function take(): number {
  return Atomics.add(d.counter, 0, 1);
}

function run(job: IalsJob): void {
  const self = job.side === 'user' ? d.user : d.item;
  const other = job.side === 'user' ? d.item : d.user;
  if (job.op === 'gram') {
    const nBlocks = Math.ceil(self.nRows / d.gramBlockRows);
    for (let b = take(); b < nBlocks; b = take()) {
      const out = d.gramBlocks.subarray(b * k * k, (b + 1) * k * k);
      const lo = b * d.gramBlockRows, hi = Math.min(self.nRows, (b + 1) * d.gramBlockRows);
      if (kernel) {
        // f32 within a block, f64 across blocks (the caller sums them)
        gramScratch.fill(0);
        kernel.gram(self.factors.byteOffset, lo, hi, k, gramScratch.byteOffset);
        out.set(gramScratch);
      } else {
        out.fill(0);
        gramRowsAdd(self.factors, k, lo, hi, out);
      }
    }
    return;
  }
  const nChunks = self.chunks.length - 1;
  for (let c = take(); c < nChunks; c = take()) {
    const lo = self.chunks[c], hi = self.chunks[c + 1];
    if (job.op === 'solve') {
      if (kernel) {
        kernel.solve(self.factors.byteOffset, other.factors.byteOffset, self.indptr.byteOffset, self.indices.byteOffset, self.values.byteOffset, self.lam.byteOffset, other.gram32.byteOffset, cgScratch, lo, hi, k, d.cgSteps, d.alpha0, d.gather[d.worker].byteOffset, d.gatherRows);
      } else {
        solveRowsCg(self.factors, other.factors, k, self.indptr, self.indices, self.values, other.gram, d.alpha0, d.lambda, d.nu, other.nRows, d.cgSteps, lo, hi, jsScratch);
      }
    } else {
      d.lossParts[c] = lossRows(self.factors, other.factors, k, self.indptr, self.indices, self.values, d.alpha0, d.lambda, d.nu, other.nRows, job.side === 'user', lo, hi);
    }
  }
}

parentPort!.on('message', (job: IalsJob) => {
  try {
    run(job);
    parentPort!.postMessage({ id: job.id, ok: true, result: { simd: kernel !== null } });
  } catch (e) {
    parentPort!.postMessage({ id: job.id, ok: false, error: e instanceof Error ? e.stack ?? e.message : String(e) });
  }
});

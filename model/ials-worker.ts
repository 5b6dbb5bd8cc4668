// Worker thread of trainIals: takes chunks of rows from a shared atomic counter and runs the row
// kernels of ials-kernel.ts on SharedArrayBuffer-backed factors. Rows of one side are independent
// given the other side, so which worker takes which chunk does not change the result.
import { parentPort, workerData } from 'node:worker_threads';
import { createCgScratch, createSimdScratch, gramRowsAdd, lossRows, solveRowsCg, solveRowsCgSimd } from './ials-kernel';
import { createSimdKernel } from './simd-kernel';

export interface SideData {
  indptr: Int32Array; // nRows + 1
  indices: Int32Array; // nnz
  values: Float32Array; // nnz, confidence c
  factors: Float32Array; // nRows × k, this side's factors (updated by 'solve')
  gram: Float64Array; // k×k, raw Gram of this side's factors (written by the caller after 'gram')
  chunks: Int32Array; // nChunks + 1 row boundaries, balanced by work
  nRows: number;
}

export interface IalsWorkerData {
  k: number;
  alpha0: number;
  lambda: number;
  nu: number;
  cgSteps: number;
  simd: boolean;
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
const kernel = d.simd && k % 4 === 0 ? createSimdKernel() : null;
const simdScratch = kernel ? createSimdScratch(kernel, k) : null;
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
      out.fill(0);
      gramRowsAdd(self.factors, k, b * d.gramBlockRows, Math.min(self.nRows, (b + 1) * d.gramBlockRows), out);
    }
    return;
  }
  const nChunks = self.chunks.length - 1;
  for (let c = take(); c < nChunks; c = take()) {
    const lo = self.chunks[c], hi = self.chunks[c + 1];
    if (job.op === 'solve') {
      if (simdScratch) {
        solveRowsCgSimd(self.factors, other.factors, k, self.indptr, self.indices, self.values, other.gram, d.alpha0, d.lambda, d.nu, other.nRows, d.cgSteps, lo, hi, simdScratch);
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
    parentPort!.postMessage({ id: job.id, ok: true, result: { simd: simdScratch !== null } });
  } catch (e) {
    parentPort!.postMessage({ id: job.id, ok: false, error: e instanceof Error ? e.stack ?? e.message : String(e) });
  }
});

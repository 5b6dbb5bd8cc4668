// Artifact files of a run (DATA_DIR/runs/<version>/): CSR matrices, float arrays, JSON.
// Binary, little-endian, with a small header so a truncated file is caught on read.
import { mkdirSync, readFileSync, writeFileSync, renameSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Csr } from '../model/types';
import { assertVersion } from './redis-keys';

/** A run's artifact directory: ARTIFACT_DIR/<version> (ARTIFACT_DIR defaults to DATA_DIR/runs). */
export function runDir(cfg: { ARTIFACT_DIR?: string; DATA_DIR: string }, version: string): string {
  return join(cfg.ARTIFACT_DIR ?? join(cfg.DATA_DIR, 'runs'), assertVersion(version));
}

/** Write atomically: a crashed writer never leaves a half file under the final name. */
function writeAtomic(path: string, data: Buffer | string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

const CSR_MAGIC = 0x31525343; // "CSR1"

export function writeCsr(path: string, m: Csr): void {
  const nnz = m.indptr[m.nRows];
  const head = Buffer.alloc(16);
  head.writeUInt32LE(CSR_MAGIC, 0);
  head.writeUInt32LE(m.nRows, 4);
  head.writeUInt32LE(m.nCols, 8);
  head.writeUInt32LE(nnz, 12);
  const parts = [head, Buffer.from(m.indptr.buffer, m.indptr.byteOffset, (m.nRows + 1) * 4), Buffer.from(m.indices.buffer, m.indices.byteOffset, nnz * 4), Buffer.from(m.values.buffer, m.values.byteOffset, nnz * 4)];
  writeAtomic(path, Buffer.concat(parts));
}

export function readCsr(path: string): Csr {
  const buf = readFileSync(path);
  if (buf.length < 16 || buf.readUInt32LE(0) !== CSR_MAGIC) throw new Error(`${path} is not a CSR file`);
  const nRows = buf.readUInt32LE(4);
  const nCols = buf.readUInt32LE(8);
  const nnz = buf.readUInt32LE(12);
  const expected = 16 + 4 * (nRows + 1) + 8 * nnz;
  if (buf.length !== expected) throw new Error(`${path}: ${buf.length} bytes, expected ${expected}`);
  const body = new Uint8Array(buf.buffer, buf.byteOffset + 16, expected - 16).slice().buffer;
  return {
    nRows,
    nCols,
    indptr: new Int32Array(body, 0, nRows + 1),
    indices: new Int32Array(body, 4 * (nRows + 1), nnz),
    values: new Float32Array(body, 4 * (nRows + 1 + nnz), nnz),
  };
}

export function writeF32(path: string, a: Float32Array): void {
  writeAtomic(path, Buffer.from(a.buffer, a.byteOffset, a.byteLength));
}

export function readF32(path: string): Float32Array {
  const buf = readFileSync(path);
  if (buf.length % 4 !== 0) throw new Error(`${path}: length ${buf.length} is not a multiple of 4`);
  return new Float32Array(new Uint8Array(buf).buffer);
}

export function writeJson(path: string, value: unknown): void {
  writeAtomic(path, JSON.stringify(value, null, 1));
}

export function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

export { existsSync as artifactExists };

/** Build a CSR from (row, col, value) triples already sorted by row then col. */
export function csrFromSortedTriples(nRows: number, nCols: number, rows: Int32Array, cols: Int32Array, vals: Float32Array, n = rows.length): Csr {
  const indptr = new Int32Array(nRows + 1);
  for (let i = 0; i < n; i++) {
    const r = rows[i];
    if (r < 0 || r >= nRows) throw new RangeError(`row ${r} outside 0..${nRows - 1}`);
    if (cols[i] < 0 || cols[i] >= nCols) throw new RangeError(`column ${cols[i]} outside 0..${nCols - 1}`);
    if (i > 0 && (rows[i] < rows[i - 1] || (rows[i] === rows[i - 1] && cols[i] <= cols[i - 1]))) throw new RangeError(`triples not strictly sorted at ${i}`);
    indptr[r + 1]++;
  }
  for (let r = 0; r < nRows; r++) indptr[r + 1] += indptr[r];
  return { nRows, nCols, indptr, indices: cols.slice(0, n), values: vals.slice(0, n) };
}

export const artifactPath = (dir: string, name: string) => join(dir, name);

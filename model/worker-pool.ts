// A fixed pool of worker_threads for CPU-heavy numeric steps, so the calling thread (a Temporal
// activity that must keep heart-beating) only waits on messages. Each job is broadcast to every
// worker; workers share the work through SharedArrayBuffers and an atomic chunk counter.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * Start a worker whose entry is a TypeScript module. Node 20 does not apply `--import tsx` to a
 * worker's entry module, and vitest's module runner does not reach workers at all, so the worker
 * starts from a tiny ESM bootstrap that registers tsx's loader and then imports the entry.
 * Compiled entries (.js/.mjs) start directly.
 */
export function startModuleWorker(entry: URL, workerData: unknown): Worker {
  if (!/\.[cm]?tsx?$/.test(entry.pathname)) return new Worker(entry, { workerData });
  let api: string;
  try {
    api = (import.meta as unknown as { resolve(s: string): string }).resolve('tsx/esm/api');
  } catch {
    // Under vitest import.meta.resolve is missing: take the CommonJS path and use its ESM sibling.
    api = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  }
  const boot = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(boot, { eval: true, workerData });
}

interface Reply {
  id: number;
  ok: boolean;
  result?: unknown;
  error?: string;
}

export class WorkerPool {
  private readonly workers: Worker[];
  private nextId = 1;
  private readonly pending = new Map<number, { left: number; results: unknown[]; resolve: (r: unknown[]) => void; reject: (e: Error) => void }>();
  private failed: Error | null = null;

  constructor(entry: URL, size: number, dataFor: (index: number) => unknown) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`pool size must be a positive integer, got ${size}`);
    this.workers = Array.from({ length: size }, (_, i) => {
      const w = startModuleWorker(entry, dataFor(i));
      w.on('message', (m: Reply) => this.onReply(i, m));
      w.on('error', (e) => this.fail(e instanceof Error ? e : new Error(String(e))));
      w.on('exit', (code) => {
        if (code !== 0) this.fail(new Error(`worker ${i} exited with code ${code}`));
      });
      return w;
    });
  }

  get size(): number {
    return this.workers.length;
  }

  /** Send `msg` to every worker; resolves with each worker's result (by worker index). */
  run(msg: Record<string, unknown>): Promise<unknown[]> {
    if (this.failed) return Promise.reject(this.failed);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { left: this.workers.length, results: new Array(this.workers.length), resolve, reject });
      for (const w of this.workers) w.postMessage({ ...msg, id });
    });
  }

  async close(): Promise<void> {
    this.failed ??= new Error('pool closed');
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private onReply(index: number, m: Reply): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    if (!m.ok) {
      this.pending.delete(m.id);
      p.reject(new Error(`worker ${index}: ${m.error}`));
      return;
    }
    p.results[index] = m.result;
    if (--p.left === 0) {
      this.pending.delete(m.id);
      p.resolve(p.results);
    }
  }

  private fail(e: Error): void {
    if (this.failed) return;
    this.failed = e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }
}

// In-memory serving state of one API instance: the live version's catalog, item factors, an
// HNSW index over them (inner product), popular/trending lists, the fold-in Gram matrix, and
// the pool of fresh titles. Loaded at start, on channel messages, and by a poll fallback; a
// new snapshot is built completely before one assignment swaps it in, so a request sees
// either the old state or the new one, never a mix.
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import hnswlib from 'hnswlib-node';
import { z } from 'zod';
import { foldInUser } from '../model/foldin';
import { gram } from '../model/linalg';
import { ItemHeads } from './feed-json';
import type { FeedStore, VersionBlob } from './store';

export interface CatalogItem {
  movie_id: string;
  title: string;
  genres: string[];
  genresLower: string[];
  year: number | null;
  added_at: string;
  addedAtMs: number; // NaN when unknown
}

export interface VersionState {
  version: string;
  dataAsOfMs: number; // the model's clock: events up to here are in the lists
  k: number;
  nItems: number;
  alpha0: number;
  lambda: number;
  nu: number;
  items: CatalogItem[]; // item-index order
  /** items[i].movie_id by item index: the serving path reads ids here, not from the title objects (each a cache miss at 10^5 titles). */
  ids: string[];
  indexById: Map<string, number>; // movie_id → itemIndex
  itemFactors: Float32Array; // nItems × k, row-major
  ann: hnswlib.HierarchicalNSW | null; // labels are item indices, space 'ip'; null for a version without factors (k = 0: a popularity baseline)
  popular: number[]; // item indices, most popular first
  trending: number[]; // item indices, most trending first
  /** α0·YᵀY (k × k, Float64), shared by every fold-in solve of this version. */
  gramAlpha0: Float64Array;
  /** Served from memory while Redis is down: the head of `popular`. */
  fallback: number[];
  /** Each title's response JSON up to its score (api/feed-json.ts); absent in hand-built test states. */
  heads?: ItemHeads;
  loadedAt: number;
}

export interface FreshTitle extends CatalogItem {
  /** Content/factor vector in this version's space (k), or null when unknown or from another space. */
  vector: Float32Array | null;
  /** Index in the version's items when the version already lists the title, else −1. */
  itemIndex: number;
}

export interface Snapshot {
  v: VersionState;
  fresh: FreshTitle[];
  freshById: Map<string, FreshTitle>;
  /** Item indices of the fresh titles the version lists (the feed counts their impressions without reading ids). */
  freshIndices: Set<number>;
}

const itemSchema = z.object({
  movie_id: z.string(),
  title: z.string().default(''),
  genres: z.array(z.string()).default([]),
  year: z.number().nullable().default(null),
  added_at: z.string().nullable().default(null),
});
const listsSchema = z.object({ popular: z.array(z.number().int().min(0)).default([]), trending: z.array(z.number().int().min(0)).default([]) });
const freshSchema = itemSchema.extend({ vector: z.array(z.number()).nullable().optional(), version: z.string().optional() });

function toCatalogItem(r: z.infer<typeof itemSchema>): CatalogItem {
  const addedAt = r.added_at ?? '';
  return { movie_id: r.movie_id, title: r.title, genres: r.genres, genresLower: r.genres.map((g) => g.toLowerCase()), year: r.year, added_at: addedAt, addedAtMs: addedAt ? Date.parse(addedAt) : NaN };
}

/** The version's catalog, checked field by field (a schema library costs ~10× more at 10^5 items). */
function parseItems(version: string, json: string): CatalogItem[] {
  const raw: unknown = JSON.parse(json);
  if (!Array.isArray(raw)) throw new RangeError(`version ${version}: items is not a JSON array`);
  const out = new Array<CatalogItem>(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const r = raw[i] as Record<string, unknown> | null;
    if (typeof r !== 'object' || r === null || typeof r.movie_id !== 'string') throw new RangeError(`version ${version}: item ${i} has no movie_id`);
    const genres = Array.isArray(r.genres) ? r.genres.filter((g): g is string => typeof g === 'string') : [];
    out[i] = toCatalogItem({
      movie_id: r.movie_id,
      title: typeof r.title === 'string' ? r.title : '',
      genres,
      year: typeof r.year === 'number' ? r.year : null,
      added_at: typeof r.added_at === 'string' ? r.added_at : null,
    });
  }
  return out;
}

/** Meta values are JSON (numbers, strings); tolerate plain strings too. */
export function metaValue(meta: Record<string, string>, field: string): unknown {
  const raw = meta[field];
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

function metaNumber(meta: Record<string, string>, field: string, fallback?: number): number {
  const v = Number(metaValue(meta, field));
  if (Number.isFinite(v)) return v;
  if (fallback !== undefined) return fallback;
  throw new RangeError(`version meta ${field} is missing or not a number`);
}

/** One turn of the event loop: long builds await it between slices so requests keep being served. */
export const yieldToLoop = () => new Promise<void>((r) => setImmediate(r));

export interface BuildOptions {
  hnswM: number;
  hnswEfConstruction: number;
  hnswEfSearch: number;
  fallbackSize: number;
  /** Milliseconds of CPU a build may take before yielding to requests. */
  sliceMs?: number;
  /** Model defaults for metas that lack them. */
  defaults: { alpha0: number; lambda: number; nu: number };
}

// Building the HNSW graph of 10^5 items takes tens of CPU seconds: big catalogs are built in a
// worker thread, written to a temporary file and read back with the asynchronous reader, so a
// publish never stalls the requests being served. Small catalogs are built inline, time-sliced.
const WORKER_BUILD_MIN_ITEMS = 2000;
const BUILD_WORKER_JS = `
const { parentPort, workerData: w } = require('node:worker_threads');
const { HierarchicalNSW } = require(w.hnswPath);
const f = new Float32Array(w.factors);
const idx = new HierarchicalNSW('ip', w.k);
idx.initIndex(Math.max(1, w.n), w.m, w.efc, 42);
const row = new Array(w.k);
for (let i = 0; i < w.n; i++) {
  for (let j = 0; j < w.k; j++) row[j] = f[i * w.k + j];
  idx.addPoint(row, i);
}
idx.writeIndexSync(w.file);
parentPort.postMessage('built');
`;

async function buildAnn(itemFactors: Float32Array, nItems: number, k: number, o: BuildOptions): Promise<hnswlib.HierarchicalNSW> {
  const ann = new hnswlib.HierarchicalNSW('ip', k);
  if (nItems >= WORKER_BUILD_MIN_ITEMS && o.sliceMs !== 0) {
    const dir = await mkdtemp(join(tmpdir(), 'recs-hnsw-'));
    const file = join(dir, 'index.bin');
    try {
      const shared = new SharedArrayBuffer(itemFactors.byteLength);
      new Float32Array(shared).set(itemFactors);
      const worker = new Worker(BUILD_WORKER_JS, {
        eval: true,
        workerData: { factors: shared, n: nItems, k, m: o.hnswM, efc: o.hnswEfConstruction, file, hnswPath: createRequire(import.meta.url).resolve('hnswlib-node') },
      });
      await new Promise<void>((resolve, reject) => {
        worker.once('message', () => resolve());
        worker.once('error', reject);
        worker.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`HNSW build worker exited with ${code}`))));
      });
      await ann.readIndex(file);
      return ann;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  ann.initIndex(Math.max(1, nItems), o.hnswM, o.hnswEfConstruction, 42);
  const row = new Array<number>(k);
  let t0 = performance.now();
  for (let i = 0; i < nItems; i++) {
    const off = i * k;
    for (let j = 0; j < k; j++) row[j] = itemFactors[off + j];
    ann.addPoint(row, i);
    if (performance.now() - t0 > (o.sliceMs ?? 2)) {
      await yieldToLoop();
      t0 = performance.now();
    }
  }
  return ann;
}

/** Validate a version's blobs and build its state (HNSW off the event loop, Gram time-sliced). */
export async function buildVersionState(version: string, blob: VersionBlob, o: BuildOptions): Promise<VersionState> {
  const sliceMs = o.sliceMs ?? 2;
  if (!blob.items || !blob.itemFactors) throw new RangeError(`version ${version}: items or item factors missing`);
  const items = parseItems(version, blob.items);
  const nItems = items.length;
  const k = metaNumber(blob.meta, 'k', nItems > 0 ? blob.itemFactors.length / 4 / nItems : undefined);
  // k = 0: a baseline version (popularity lists, no factors): served without fold-in and similar titles.
  if (!Number.isInteger(k) || k < 0) throw new RangeError(`version ${version}: k=${k} is not a non-negative integer`);
  if (blob.itemFactors.length !== nItems * k * 4) throw new RangeError(`version ${version}: item factors have ${blob.itemFactors.length} bytes, expected ${nItems}×${k}×4`);
  const metaN = metaValue(blob.meta, 'n_items');
  if (metaN !== undefined && Number(metaN) !== nItems) throw new RangeError(`version ${version}: n_items=${String(metaN)} but items has ${nItems}`);
  const dataAsOfMs = Date.parse(String(metaValue(blob.meta, 'data_as_of') ?? ''));
  if (!Number.isFinite(dataAsOfMs)) throw new RangeError(`version ${version}: data_as_of is missing or not a date`);
  // Aligned copy (a Buffer from Redis need not start on a 4-byte boundary).
  const itemFactors = new Float32Array(new Uint8Array(blob.itemFactors).buffer.slice(0));

  const indexById = new Map<string, number>();
  items.forEach((it, i) => indexById.set(it.movie_id, i));
  const lists = listsSchema.parse(blob.lists ? JSON.parse(blob.lists) : {});
  const inRange = (xs: number[]) => xs.filter((i) => i < nItems);
  const popular = inRange(lists.popular);
  const trending = inRange(lists.trending);

  const ann = k > 0 ? await buildAnn(itemFactors, nItems, k, o) : null;
  let t0 = performance.now();
  ann?.setEf(o.hnswEfSearch);

  // α0·YᵀY (what model/foldin.ts prepareFoldIn computes) accumulated over row blocks, so no
  // single block holds the event loop for long at 10^5 items.
  const alpha0 = metaNumber(blob.meta, 'alpha0', o.defaults.alpha0);
  const gramAlpha0 = new Float64Array(k * k);
  const part = new Float64Array(k * k);
  const block = Math.max(1, Math.floor(20_000 / k));
  for (let r = 0; r < nItems; r += block) {
    const n = Math.min(block, nItems - r);
    gram(itemFactors.subarray(r * k, (r + n) * k), n, k, part);
    for (let j = 0; j < k * k; j++) gramAlpha0[j] += alpha0 * part[j];
    if (performance.now() - t0 > sliceMs) {
      await yieldToLoop();
      t0 = performance.now();
    }
  }

  const heads = await ItemHeads.build(items, yieldToLoop);

  return {
    version,
    dataAsOfMs,
    k,
    nItems,
    alpha0,
    lambda: metaNumber(blob.meta, 'lambda', o.defaults.lambda),
    nu: metaNumber(blob.meta, 'nu', o.defaults.nu),
    items,
    ids: items.map((it) => it.movie_id),
    indexById,
    itemFactors,
    ann,
    popular,
    trending,
    gramAlpha0,
    fallback: (popular.length > 0 ? popular : trending.length > 0 ? trending : items.map((_, i) => i)).slice(0, o.fallbackSize),
    heads,
    loadedAt: Date.now(),
  };
}

/**
 * The fresh pool: titles the version does not know (from the fresh hash, with their content
 * vector when it has this version's k), plus version items added after the model's clock.
 */
export function buildFreshPool(v: VersionState, raw: Record<string, string>): FreshTitle[] {
  const out: FreshTitle[] = [];
  for (let i = 0; i < v.nItems; i++) {
    const it = v.items[i];
    if (it.addedAtMs > v.dataAsOfMs) out.push({ ...it, vector: v.itemFactors.subarray(i * v.k, (i + 1) * v.k), itemIndex: i });
  }
  for (const json of Object.values(raw)) {
    let parsed;
    try {
      parsed = freshSchema.parse(JSON.parse(json));
    } catch {
      continue; // one bad entry must not hide the others
    }
    if (v.indexById.has(parsed.movie_id)) continue;
    const vecOk = parsed.vector && parsed.vector.length === v.k && (parsed.version === undefined || parsed.version === v.version);
    out.push({ ...toCatalogItem(parsed), vector: vecOk ? Float32Array.from(parsed.vector!) : null, itemIndex: -1 });
  }
  return out;
}

export interface StateEvents {
  /** A version was built; awaited before it serves (per-version tables are built here). */
  onLoaded?: (v: VersionState, ms: number) => void | Promise<void>;
  onError?: (what: string, e: unknown) => void;
}

/** Owns the current Snapshot and keeps it in step with Redis. */
export class ServingState {
  private snap: Snapshot | null = null;
  private loading: Promise<void> | null = null;
  private freshRaw = '';
  private freshRawMap: Record<string, string> = {};
  private timer: ReturnType<typeof setInterval> | null = null;
  private unsubscribe: (() => Promise<void>) | null = null;
  private lastKick = 0;

  constructor(
    private readonly store: FeedStore,
    private readonly opts: BuildOptions & { pollMs: number },
    private readonly events: StateEvents = {},
  ) {}

  snapshot(): Snapshot | null {
    return this.snap;
  }

  async start(): Promise<void> {
    try {
      this.unsubscribe = await this.store.subscribe((m) => this.onMessage(m));
    } catch (e) {
      this.events.onError?.('subscribe', e);
    }
    this.timer = setInterval(() => void this.refresh(), this.opts.pollMs);
    this.timer.unref();
    await this.refresh();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.unsubscribe?.();
    await this.loading?.catch(() => {});
  }

  onMessage(message: string): void {
    let type: unknown;
    try {
      type = (JSON.parse(message) as { type?: unknown }).type;
    } catch {
      return;
    }
    if (type === 'publish' || type === 'rollback' || type === 'title_added') void this.refresh();
  }

  /** A request saw a live pointer other than the loaded version: refresh, at most once a second. */
  kick(): void {
    const now = Date.now();
    if (now - this.lastKick < 1000) return;
    this.lastKick = now;
    void this.refresh();
  }

  /** Re-read the live pointer and the fresh pool; rebuild what changed. Single-flight. */
  refresh(): Promise<void> {
    if (this.loading) return this.loading;
    this.loading = this.doRefresh()
      .catch((e) => this.events.onError?.('refresh', e))
      .finally(() => {
        this.loading = null;
      });
    return this.loading;
  }

  private async doRefresh(): Promise<void> {
    const live = await this.store.readLive();
    let v = this.snap?.v ?? null;
    if (live && live !== v?.version) {
      const t0 = performance.now();
      const blob = await this.store.readVersion(live);
      v = await buildVersionState(live, blob, this.opts);
      await this.events.onLoaded?.(v, performance.now() - t0);
    }
    if (!v) return;
    let freshMap = this.freshRawMap;
    try {
      freshMap = await this.store.readFresh();
    } catch (e) {
      // A new version still goes live with the last known fresh pool.
      this.events.onError?.('readFresh', e);
    }
    const freshRaw = JSON.stringify(freshMap);
    if (v !== this.snap?.v || freshRaw !== this.freshRaw) {
      const fresh = buildFreshPool(v, freshMap);
      this.freshRaw = freshRaw;
      this.freshRawMap = freshMap;
      this.snap = { v, fresh, freshById: new Map(fresh.map((f) => [f.movie_id, f])), freshIndices: new Set(fresh.filter((f) => f.itemIndex >= 0).map((f) => f.itemIndex)) };
    }
  }
}

/**
 * The fold-in of a user the version lacks, from the titles the API saw them watch (catalog
 * indices): every recent watch counts as a full watch, c = watchWeight (CONF_WATCH_WEIGHT;
 * completion is not kept with the recent watches). The feed's and the rows' cold path alike.
 */
export function foldInWatches(v: VersionState, watched: readonly number[], watchWeight: number): Float32Array {
  const conf = new Float32Array(watched.length).fill(watchWeight);
  return foldInUser(v.itemFactors, v.k, v.gramAlpha0, Int32Array.from(watched), conf, v.lambda, v.nu, v.alpha0, v.nItems);
}

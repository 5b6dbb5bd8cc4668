// truth/ of a synthetic world: written beside the events, loaded back as an Oracle that scores
// every title by the true watch propensity (the ceiling a benchmark compares models with).
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { endianness } from 'node:os';
import { join } from 'node:path';
import { isoUtc, parseIsoSeconds } from '../world-dir';
import type { World } from './catalog';
import { GENRES, type WorldParams } from './params';
import { TasteModel, type TasteParams } from './taste';

/**
 * truth/ layout (binaries are little-endian, row-major, no header; shapes in meta.json):
 *   meta.json         { format: "recs-truth/1", dims, genres, nUsers, nTitles, start, end (ISO),
 *                       epochSeconds, tasteWeight, trendBoost, trendTauSeconds, fitMean, fitStd, params }
 *   user_ids.json     row order of the user_* files ("u1"…)
 *   movie_ids.json    row order of the item_* files ("m1"…)
 *   user_latent.f32   nUsers × dims      latent taste x_u
 *   user_genre.f32    nUsers × nGenres   genre preference p_u at the start
 *   user_drift.f32    nUsers × nGenres   genre drift δ_u over the whole range
 *   item_latent.f32   nTitles × dims     latent traits v_i
 *   item_genre.f32    nTitles × nGenres  1/|G_i| on the title's genres
 *   item_logpop.f32   nTitles            −zipfExponent·ln(rank_i)
 *   item_added.f64    nTitles            added_at, unix seconds
 */
export const TRUTH_DIR = 'truth';
const TRUTH_FORMAT = 'recs-truth/1';

interface TruthMeta {
  format: string;
  dims: number;
  genres: string[];
  nUsers: number;
  nTitles: number;
  start: string;
  end: string;
  epochSeconds: number;
  tasteWeight: number;
  trendBoost: number;
  trendTauSeconds: number;
  fitMean: number;
  fitStd: number;
  params: WorldParams;
}

const LITTLE_ENDIAN_HOST = endianness() === 'LE';

function toLittleEndian(a: Float32Array | Float64Array): Buffer {
  if (LITTLE_ENDIAN_HOST) return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  const b = Buffer.alloc(a.byteLength);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const w = a.BYTES_PER_ELEMENT;
  for (let j = 0; j < a.length; j++) {
    if (w === 4) dv.setFloat32(j * 4, a[j], true);
    else dv.setFloat64(j * 8, a[j], true);
  }
  return b;
}

function fromLittleEndian<T extends Float32Array | Float64Array>(b: Buffer, Ctor: { new (n: number): T; BYTES_PER_ELEMENT: number }, expected: number, name: string): T {
  const w = Ctor.BYTES_PER_ELEMENT;
  if (b.byteLength !== expected * w) throw new RangeError(`${name}: expected ${expected} values (${expected * w} bytes), got ${b.byteLength} bytes`);
  const out = new Ctor(expected);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let j = 0; j < expected; j++) out[j] = w === 4 ? dv.getFloat32(j * 4, true) : dv.getFloat64(j * 8, true);
  return out;
}

export async function writeTruth(dir: string, w: World): Promise<void> {
  const t = w.taste;
  await mkdir(dir, { recursive: true });
  const meta: TruthMeta = {
    format: TRUTH_FORMAT, dims: t.dims, genres: [...GENRES], nUsers: t.nUsers, nTitles: t.nTitles,
    start: isoUtc(t.start), end: isoUtc(t.end), epochSeconds: t.epochSeconds, tasteWeight: t.tasteWeight,
    trendBoost: t.trendBoost, trendTauSeconds: t.trendTauSeconds, fitMean: t.fitMean, fitStd: t.fitStd, params: w.params,
  };
  await writeFile(join(dir, 'meta.json'), JSON.stringify(meta, null, 2) + '\n');
  await writeFile(join(dir, 'user_ids.json'), JSON.stringify(Array.from({ length: t.nUsers }, (_, u) => `u${u + 1}`)) + '\n');
  await writeFile(join(dir, 'movie_ids.json'), JSON.stringify(Array.from({ length: t.nTitles }, (_, i) => `m${i + 1}`)) + '\n');
  await writeFile(join(dir, 'user_latent.f32'), toLittleEndian(t.userLatent));
  await writeFile(join(dir, 'user_genre.f32'), toLittleEndian(t.userGenre));
  await writeFile(join(dir, 'user_drift.f32'), toLittleEndian(t.userDrift));
  await writeFile(join(dir, 'item_latent.f32'), toLittleEndian(t.itemLatent));
  await writeFile(join(dir, 'item_genre.f32'), toLittleEndian(t.itemGenre));
  await writeFile(join(dir, 'item_logpop.f32'), toLittleEndian(t.itemLogPop));
  await writeFile(join(dir, 'item_added.f64'), toLittleEndian(t.itemAdded));
}

export interface Oracle {
  userIds: string[];
  movieIds: string[];
  /**
   * The true watch logit of every title (movieIds order) for the user at asOf:
   * tasteWeight·fit − zipfExponent·ln(rank) + trend. Ranking by it is ranking by the probability
   * that the user's next pick is that title. Titles not yet added at asOf score −Infinity.
   */
  score(userId: string, asOf: Date): Float32Array;
  /** The standardised taste fit alone (drives completion and ratings), movieIds order. */
  fit(userId: string, asOf: Date): Float32Array;
}

/** Load truth/ of a synthetic world directory. */
export async function loadOracle(worldDir: string): Promise<Oracle> {
  const dir = join(worldDir, TRUTH_DIR);
  let meta: TruthMeta;
  try {
    meta = JSON.parse(await readFile(join(dir, 'meta.json'), 'utf8')) as TruthMeta;
  } catch (e) {
    throw new Error(`${worldDir} has no readable ${TRUTH_DIR}/meta.json (only synthetic worlds have ground truth): ${(e as Error).message}`);
  }
  if (meta.format !== TRUTH_FORMAT) throw new Error(`${dir}/meta.json: format "${meta.format}", expected "${TRUTH_FORMAT}"`);
  const userIds = JSON.parse(await readFile(join(dir, 'user_ids.json'), 'utf8')) as string[];
  const movieIds = JSON.parse(await readFile(join(dir, 'movie_ids.json'), 'utf8')) as string[];
  const { nUsers: m, nTitles: n, dims: d } = meta;
  const G = meta.genres.length;
  const f32 = async (name: string, count: number) => fromLittleEndian(await readFile(join(dir, name)), Float32Array, count, name);
  const taste: TasteParams = {
    dims: d, nGenres: G, nUsers: m, nTitles: n,
    userLatent: await f32('user_latent.f32', m * d),
    userGenre: await f32('user_genre.f32', m * G),
    userDrift: await f32('user_drift.f32', m * G),
    itemLatent: await f32('item_latent.f32', n * d),
    itemGenre: await f32('item_genre.f32', n * G),
    itemLogPop: await f32('item_logpop.f32', n),
    itemAdded: fromLittleEndian(await readFile(join(dir, 'item_added.f64')), Float64Array, n, 'item_added.f64'),
    start: parseIsoSeconds(meta.start), end: parseIsoSeconds(meta.end), epochSeconds: meta.epochSeconds,
    tasteWeight: meta.tasteWeight, trendBoost: meta.trendBoost, trendTauSeconds: meta.trendTauSeconds,
    fitMean: meta.fitMean, fitStd: meta.fitStd,
  };
  if (userIds.length !== m || movieIds.length !== n) throw new RangeError(`${dir}: id lists (${userIds.length}, ${movieIds.length}) do not match meta (${m}, ${n})`);
  const model = new TasteModel(taste);
  const userIndex = new Map(userIds.map((id, u) => [id, u]));
  const rawStatic = new Float64Array(n);
  const rawDrift = new Float64Array(n);

  const fitInto = (userId: string, asOf: Date, out: Float32Array): number => {
    const u = userIndex.get(userId);
    if (u === undefined) throw new RangeError(`unknown user "${userId}"`);
    const e = model.epochOf(Math.floor(asOf.getTime() / 1000));
    const f = model.driftFraction(e);
    model.staticFit(u, rawStatic);
    model.driftFit(u, rawDrift);
    for (let i = 0; i < n; i++) out[i] = (rawStatic[i] + f * rawDrift[i] - taste.fitMean) / taste.fitStd;
    return e;
  };

  return {
    userIds,
    movieIds,
    fit(userId, asOf) {
      const out = new Float32Array(n);
      fitInto(userId, asOf, out);
      return out;
    },
    score(userId, asOf) {
      const out = new Float32Array(n);
      const e = fitInto(userId, asOf, out);
      const t = asOf.getTime() / 1000;
      for (let i = 0; i < n; i++) {
        out[i] = taste.itemAdded[i] > t ? -Infinity : taste.tasteWeight * out[i] + taste.itemLogPop[i] + model.trend(i, e);
      }
      return out;
    },
  };
}

// Post-play "up next" benchmark: how often the title a user plays right after finishing one is in
// the top 10 of each policy, trained by time (iALS on watches before a cutoff; cases after it):
//   popular_next     the most watched titles before the cutoff the user has not watched
//   item_to_item     the finished title's nearest neighbours by y_f·y_i (no user, no franchise)
//   up_next          the API's policy with the shipped knobs (model/up-next.ts): franchise next
//                    parts from titles, then the UP_NEXT_NEIGHBOURS nearest neighbours re-scored
//                    s_i = x_u·y_i + β·y_f·y_i, β = UP_NEXT_ITEM_WEIGHT
//   up_next_no_franchise  the same without the franchise signal
// plus a sweep of β (hit@10 of up_next for each β): β is chosen on the demo world and only
// checked on MovieLens.
// Data sets:
//   demo       the synthetic demo world, simulated in memory; one case per user: their first
//              completed watch after the cutoff, and what they play next drawn from the
//              generator's post-play model (data/world/franchise.ts: next part with SEQUEL_PROB,
//              else the watch propensity tilted toward the finished title). Titles carry the
//              world's franchise names; the policy reads them with the title heuristic.
//   movielens  ../shared/data/ml-latest-small-2016 when present: consecutive ratings by time
//              after the cutoff (the next strictly later timestamp's titles are the truth; a tie of
//              several counts a hit on any), up to 20 pairs per user averaged into one value per user.
// Every figure carries its sample size and a 95 % bootstrap interval over users; each policy is
// compared with up_next paired. Everything the user watched up to the finished title is excluded
// from every policy (offline we know the whole history). Prints a table, writes
// bench/results/up-next.json.
//
// Run: npm run bench:up-next [-- --only demo|movielens] [--seed 42] [--cases 3000] [--threads 1]
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../config';
import { Rng } from '../data/rng';
import { buildWorld } from '../data/world/catalog';
import { POST_PLAY_STREAM, postPlayChoice } from '../data/world/franchise';
import { PRESETS } from '../data/world/params';
import { EventBuffer, UserSimulator, epochTables } from '../data/world/simulate';
import { bootstrapMean, pairedComparison, type Interval, type PairedComparison } from '../model/bootstrap';
import { buildFranchiseIndex, type FranchiseIndex } from '../model/franchise';
import { trainIals, transposeCsr } from '../model/ials';
import type { Csr } from '../model/types';
import { exactNeighbours, upNext } from '../model/up-next';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const MOVIELENS_DIR = resolve(ROOT, '..', 'shared', 'data', 'ml-latest-small-2016');
const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : undefined;
};
const SEED = Number(arg('seed') ?? 42);
const MAX_CASES = Number(arg('cases') ?? 3000);
const K_AT = 10;
const ML_PAIRS_PER_USER = 20;
const DEMO_HOLDOUT_DAYS = 14;
const ML_TEST_SHARE = Number(arg('ml-test-share') ?? 0.2); // the last 20 % of ratings by time (10 % leaves ~20 users)
const cfg = loadConfig({ RECS_ENV: 'test' });
const BOOT = { samples: 1000, seed: SEED };
const THREADS = Number(arg('threads') ?? 1);

/** One data set ready to score: factors, the trained users/items, and the cases. */
interface Prepared {
  nItems: number;
  k: number;
  itemFactors: Float32Array;
  userFactors: Float32Array;
  popular: number[]; // item indices, most watched first
  franchise: FranchiseIndex;
  /** Per case: the user (training row), the finished title, what the user had watched, the truth. */
  cases: { user: number; group: number; finished: number; watched: Set<number>; truth: Set<number> }[];
  nGroups: number;
}

/** Binary user × item matrix from (user, item) pairs; duplicates merge. */
function csrOf(nUsers: number, nItems: number, pairs: Array<[number, number]>): Csr {
  const rows: Set<number>[] = Array.from({ length: nUsers }, () => new Set<number>());
  for (const [u, i] of pairs) rows[u].add(i);
  const indptr = new Int32Array(nUsers + 1);
  for (let u = 0; u < nUsers; u++) indptr[u + 1] = indptr[u] + rows[u].size;
  const indices = new Int32Array(indptr[nUsers]);
  rows.forEach((r, u) => indices.set([...r].sort((a, b) => a - b), indptr[u]));
  return { nRows: nUsers, nCols: nItems, indptr, indices, values: new Float32Array(indices.length).fill(1) };
}

async function train(byUser: Csr): Promise<{ userFactors: Float32Array; itemFactors: Float32Array; k: number; seconds: number }> {
  const t0 = performance.now();
  const f = await trainIals(byUser, transposeCsr(byUser), {
    factors: cfg.ALS_FACTORS, epochs: cfg.ALS_EPOCHS, alpha0: cfg.ALS_ALPHA0, lambda: cfg.ALS_LAMBDA, nu: cfg.ALS_NU, cgSteps: cfg.ALS_CG_STEPS, seed: cfg.ALS_SEED, threads: THREADS,
  });
  return { ...f, seconds: (performance.now() - t0) / 1000 };
}

function popularity(byUser: Csr): number[] {
  const c = new Float64Array(byUser.nCols);
  for (const i of byUser.indices) c[i]++;
  return Array.from({ length: byUser.nCols }, (_, i) => i).sort((a, b) => c[b] - c[a] || a - b);
}

async function prepareDemo(): Promise<Prepared & { note: Record<string, unknown> }> {
  const w = buildWorld(PRESETS.demo, SEED);
  const { taste } = w;
  const ev = new EventBuffer();
  const sim = new UserSimulator(w, epochTables(w), ev);
  for (let u = 0; u < taste.nUsers; u++) sim.run(u);
  const cutoff = taste.end - taste.start - DEMO_HOLDOUT_DAYS * 86_400; // relative seconds
  const pairs: Array<[number, number]> = [];
  const byUser: Array<Array<[number, number, boolean]>> = Array.from({ length: taste.nUsers }, () => []); // [ts, title, completed]
  for (let j = 0; j < ev.length; j++) {
    if (ev.type[j] !== 0) continue; // watches
    const complete = ev.watch[j] >= 0.9 * w.catalog.durations[ev.movie[j]];
    byUser[ev.user[j]].push([ev.ts[j], ev.movie[j], complete]);
    if (ev.ts[j] < cutoff) pairs.push([ev.user[j], ev.movie[j]]);
  }
  const csr = csrOf(taste.nUsers, taste.nTitles, pairs);
  const f = await train(csr);
  const seenInTraining = new Uint8Array(taste.nTitles);
  for (const i of csr.indices) seenInTraining[i] = 1;
  const order = new Rng(SEED, POST_PLAY_STREAM + 1).shuffle(Int32Array.from({ length: taste.nUsers }, (_, u) => u));
  const rng = new Rng(SEED, POST_PLAY_STREAM);
  const scratch = new Float64Array(taste.nTitles);
  const cases: Prepared['cases'] = [];
  for (const u of order) {
    if (cases.length >= MAX_CASES) break;
    if (csr.indptr[u + 1] === csr.indptr[u]) continue; // the model lacks the user
    const hist = byUser[u].sort((a, b) => a[0] - b[0]);
    const at = hist.findIndex(([ts, i, complete]) => ts >= cutoff && complete && seenInTraining[i] === 1);
    if (at < 0) continue;
    const [ts, finished] = hist[at];
    const watched = new Set<number>();
    for (const [t2, i] of hist) if (t2 <= ts) watched.add(i);
    const next = postPlayChoice(w.model, w.franchises, u, finished, taste.start + ts, (i) => watched.has(i), rng, scratch);
    if (next < 0) continue;
    cases.push({ user: u, group: cases.length, finished, watched, truth: new Set([next]) });
  }
  const franchise = buildFranchiseIndex(w.catalog.names.map((title, i) => ({ title, year: w.catalog.years[i] })));
  return {
    nItems: taste.nTitles, k: f.k, itemFactors: f.itemFactors, userFactors: f.userFactors, popular: popularity(csr), franchise, cases, nGroups: cases.length,
    note: { users: taste.nUsers, titles: taste.nTitles, watches: pairs.length, franchises: w.franchises.members.length, holdout_days: DEMO_HOLDOUT_DAYS, train_seconds: Math.round(f.seconds) },
  };
}

/** A CSV line's fields (quotes with "" escapes). */
function csvFields(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let q = false;
  for (let j = 0; j < line.length; j++) {
    const ch = line[j];
    if (q) {
      if (ch === '"' && line[j + 1] === '"') {
        cur += '"';
        j++;
      } else if (ch === '"') q = false;
      else cur += ch;
    } else if (ch === '"') q = true;
    else if (ch === ',') {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

async function prepareMovieLens(dir: string): Promise<Prepared & { note: Record<string, unknown> }> {
  const movies = readFileSync(join(dir, 'movies.csv'), 'utf8').split('\n').slice(1).filter(Boolean).map(csvFields);
  const itemOf = new Map<string, number>();
  const titles: string[] = [];
  for (const [id, title] of movies) {
    itemOf.set(id, titles.length);
    titles.push(title);
  }
  const ratings = readFileSync(join(dir, 'ratings.csv'), 'utf8').split('\n').slice(1).filter(Boolean).map((l) => l.split(','));
  const userOf = new Map<string, number>();
  const rows: Array<[number, number, number]> = []; // user, item, ts
  for (const [uid, mid, , ts] of ratings) {
    const i = itemOf.get(mid);
    if (i === undefined) continue;
    if (!userOf.has(uid)) userOf.set(uid, userOf.size);
    rows.push([userOf.get(uid)!, i, Number(ts)]);
  }
  const times = rows.map((r) => r[2]).sort((a, b) => a - b);
  const cutoff = times[Math.floor(times.length * (1 - ML_TEST_SHARE))];
  const nUsers = userOf.size;
  const csr = csrOf(nUsers, titles.length, rows.filter((r) => r[2] < cutoff).map((r) => [r[0], r[1]]));
  const f = await train(csr);
  const inTraining = new Uint8Array(titles.length);
  for (const i of csr.indices) inTraining[i] = 1;
  const byUser: Array<Array<[number, number]>> = Array.from({ length: nUsers }, () => []);
  for (const [u, i, ts] of rows) byUser[u].push([ts, i]);
  const cases: Prepared['cases'] = [];
  let nGroups = 0;
  for (let u = 0; u < nUsers; u++) {
    if (csr.indptr[u + 1] === csr.indptr[u]) continue;
    const hist = byUser[u].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let pairsOfUser = 0;
    for (let j = 0; j < hist.length && pairsOfUser < ML_PAIRS_PER_USER; j++) {
      const [ts, finished] = hist[j];
      if (ts < cutoff || !inTraining[finished]) continue;
      let n = j + 1;
      while (n < hist.length && hist[n][0] === ts) n++;
      if (n >= hist.length) break;
      const truth = new Set<number>();
      for (let m = n; m < hist.length && hist[m][0] === hist[n][0]; m++) truth.add(hist[m][1]);
      const watched = new Set<number>();
      for (let m = 0; m < n; m++) watched.add(hist[m][1]);
      for (const t of truth) watched.delete(t);
      cases.push({ user: u, group: nGroups, finished, watched, truth });
      pairsOfUser++;
    }
    if (pairsOfUser > 0) nGroups++;
  }
  const franchise = buildFranchiseIndex(titles.map((title) => ({ title })));
  return {
    nItems: titles.length, k: f.k, itemFactors: f.itemFactors, userFactors: f.userFactors, popular: popularity(csr), franchise, cases, nGroups,
    note: { dir: relative(ROOT, dir), users: nUsers, titles: titles.length, ratings: rows.length, cutoff: new Date(cutoff * 1000).toISOString(), franchises: franchise.members.length, train_seconds: Math.round(f.seconds) },
  };
}

const POLICIES = ['up_next', 'up_next_no_franchise', 'item_to_item', 'popular_next'] as const;
const BETAS = [0, 0.5, 1, 2, 4];
type Policy = (typeof POLICIES)[number];

function score(p: Prepared): { cases: number; users: number; franchise_cases: number; policies: Record<Policy, { hit_at_10: Interval; mrr_at_10: Interval; franchise_hit_at_10: Interval }>; vs_up_next: Record<string, PairedComparison>; beta_sweep_hit_at_10: Record<string, Interval> } {
  const { k, itemFactors: Y, userFactors: X } = p;
  const near = exactNeighbours(Y, p.nItems, k);
  const perUser = (vals: number[]) => {
    const sum = new Float64Array(p.nGroups);
    const cnt = new Float64Array(p.nGroups);
    p.cases.forEach((c, j) => ((sum[c.group] += vals[j]), cnt[c.group]++));
    return sum.map((s, g) => s / Math.max(1, cnt[g]));
  };
  const hits: Record<Policy, number[]> = Object.fromEntries(POLICIES.map((x) => [x, []])) as unknown as Record<Policy, number[]>;
  const rr: Record<Policy, number[]> = Object.fromEntries(POLICIES.map((x) => [x, []])) as unknown as Record<Policy, number[]>;
  const isFranchiseCase: boolean[] = [];
  const sweep: number[][] = BETAS.map(() => []);
  for (const c of p.cases) {
    const accept = (i: number) => i !== c.finished && !c.watched.has(i);
    const userVec = X.subarray(c.user * k, (c.user + 1) * k);
    const finishedVec = Y.subarray(c.finished * k, (c.finished + 1) * k);
    const base = { finished: c.finished, finishedVec, itemFactors: Y, k, neighbours: near, nNeighbours: cfg.UP_NEXT_NEIGHBOURS, accept, limit: K_AT };
    const franchise = cfg.UP_NEXT_FRANCHISE === 1 ? p.franchise : null;
    const lists: Record<Policy, number[]> = {
      up_next: upNext({ ...base, userVec, itemWeight: cfg.UP_NEXT_ITEM_WEIGHT, franchise }).map((x) => x.itemIndex),
      up_next_no_franchise: upNext({ ...base, userVec, itemWeight: cfg.UP_NEXT_ITEM_WEIGHT, franchise: null }).map((x) => x.itemIndex),
      item_to_item: near(finishedVec, K_AT, accept),
      popular_next: p.popular.filter(accept).slice(0, K_AT),
    };
    isFranchiseCase.push(p.franchise.franchise[c.finished] >= 0);
    BETAS.forEach((beta, b) => {
      const list = upNext({ ...base, userVec, itemWeight: beta, franchise }).map((x) => x.itemIndex);
      sweep[b].push(list.some((i) => c.truth.has(i)) ? 1 : 0);
    });
    for (const x of POLICIES) {
      const r = lists[x].findIndex((i) => c.truth.has(i));
      hits[x].push(r >= 0 ? 1 : 0);
      rr[x].push(r >= 0 ? 1 / (r + 1) : 0);
    }
  }
  const fr = (vals: number[]) => Float64Array.from(vals.filter((_, j) => isFranchiseCase[j]));
  const policies = Object.fromEntries(
    POLICIES.map((x) => [x, { hit_at_10: bootstrapMean(perUser(hits[x]), BOOT), mrr_at_10: bootstrapMean(perUser(rr[x]), BOOT), franchise_hit_at_10: bootstrapMean(fr(hits[x]), BOOT) }]),
  ) as Record<Policy, { hit_at_10: Interval; mrr_at_10: Interval; franchise_hit_at_10: Interval }>;
  const vs: Record<string, PairedComparison> = {};
  for (const x of POLICIES) if (x !== 'up_next') vs[`hit_at_10 up_next - ${x}`] = pairedComparison(perUser(hits.up_next), perUser(hits[x]), BOOT);
  const betaSweep = Object.fromEntries(BETAS.map((beta, b) => [String(beta), bootstrapMean(perUser(sweep[b]), BOOT)]));
  return { cases: p.cases.length, users: p.nGroups, franchise_cases: isFranchiseCase.filter(Boolean).length, policies, vs_up_next: vs, beta_sweep_hit_at_10: betaSweep };
}

const pct = (i: Interval) => `${(100 * i.mean).toFixed(1)}% [${(100 * i.lo).toFixed(1)}, ${(100 * i.hi).toFixed(1)}]`;

async function main(): Promise<void> {
  const only = arg('only');
  const t0 = performance.now();
  const load0 = loadavg();
  const out: Record<string, unknown> = {
    script: 'bench/up-next.ts',
    generated_at: new Date().toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model, loadavg_at_start: load0.map((x) => Math.round(x * 100) / 100) },
    settings: { seed: SEED, k_at: K_AT, factors: cfg.ALS_FACTORS, epochs: cfg.ALS_EPOCHS, up_next_neighbours: cfg.UP_NEXT_NEIGHBOURS, up_next_item_weight: cfg.UP_NEXT_ITEM_WEIGHT, up_next_franchise: cfg.UP_NEXT_FRANCHISE, threads: THREADS, confidence: 'binary (1 per watched title)' },
    datasets: {} as Record<string, unknown>,
  };
  const sets: Array<[string, () => Promise<Prepared & { note: Record<string, unknown> }>]> = [];
  if (only !== 'movielens') sets.push(['demo', prepareDemo]);
  if (only !== 'demo') {
    if (existsSync(join(MOVIELENS_DIR, 'ratings.csv'))) sets.push(['movielens', () => prepareMovieLens(MOVIELENS_DIR)]);
    else console.log(`movielens: ${MOVIELENS_DIR} not found, skipped`);
  }
  for (const [name, prepare] of sets) {
    const p = await prepare();
    const s = score(p);
    (out.datasets as Record<string, unknown>)[name] = { ...p.note, ...s };
    console.log(`\n${name}: ${s.cases} cases, ${s.users} users (${s.franchise_cases} cases after a franchise title)`);
    console.log(`${'policy'.padEnd(22)} ${'hit@10'.padEnd(24)} ${'MRR@10'.padEnd(24)} franchise-case hit@10`);
    for (const x of POLICIES) console.log(`${x.padEnd(22)} ${pct(s.policies[x].hit_at_10).padEnd(24)} ${pct(s.policies[x].mrr_at_10).padEnd(24)} ${pct(s.policies[x].franchise_hit_at_10)}`);
    console.log(`  β sweep, up_next hit@10: ${Object.entries(s.beta_sweep_hit_at_10).map(([b, i]) => `β=${b} ${pct(i)}`).join('; ')}`);
    for (const [label, c] of Object.entries(s.vs_up_next)) console.log(`  ${label}: ${(100 * c.diff).toFixed(1)} pts [${(100 * c.diffLo).toFixed(1)}, ${(100 * c.diffHi).toFixed(1)}]`);
  }
  out.seconds = Math.round((performance.now() - t0) / 1000);
  out.machine = { ...(out.machine as object), loadavg_at_end: loadavg().map((x) => Math.round(x * 100) / 100) };
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  const path = join(ROOT, 'bench', 'results', 'up-next.json');
  writeFileSync(path, JSON.stringify(out, null, 2) + '\n');
  console.log(`\nwrote ${path}`);
}

await main();

// Serving benchmark: GET /home-feed under an open-loop load.
//
//   npx tsx bench/serve.ts [--users 1000000] [--items 100000] [--k 64] [--rates 1000,2000,4000]
//                          [--seconds 30] [--redis-url redis://…] [--keep]
//
// 1. Starts a dedicated redis-server on a free port (or uses --redis-url with a private prefix),
//    writes one synthetic version (items, factors, lists, fresh pool) and --users precomputed
//    lists with the real codec, pipelined, with a progress line.
// 2. Starts the API as a child process (node --import tsx api/server.ts) and waits for /readyz.
// 3. For each rate: sends requests on a fixed schedule (open loop: latency is measured from the
//    scheduled send time, so a slow server cannot slow the generator down and hide its own
//    queueing), 64 keep-alive connections, users mixed: 90% warm (10% of them with watches since the
//    model), 5% cold with events (fold-in), 5% brand new (cold start). Alongside, a separate
//    client measures Redis's own GET round trip of a user list: the floor.
// 4. Prints p50/p95/p99/max and errors per rate, writes bench/results/serve.json, and removes
//    everything it wrote (stops its redis-server, or deletes its prefix).
//
// --autocannon [--api-procs 1,2] [--connections 50,10] [--seconds 20]: after the same seeding, step 2-3
// are replaced by bench/serve-autocannon.ts (one API started with `--procs N` per count, autocannon
// in a process of its own per connection count and rate, limit=50). Then the same load at --bare-rates
// (2000) against three bare node:http servers (bench/bare-server.ts; --no-bare skips them), for the
// machine's own floor. --repeat N runs all of it N times (default 1); `summary` has each point's median p99. Only the `autocannon` section of serve.json is rewritten; the other
// fields keep the last open-loop run.
//
// --surfaces [--users 200000] [--seconds 30] [--rows-rates 100,500] [--up-next-rates 100,500] [--repeat 3] [--api-procs N] [--no-bare]: after the same
// seeding, GET /home-rows (5×20) and GET /up-next instead (bench/serve-surfaces.ts), each round
// followed by a bare server's floor at the targets' rates; only the `surfaces` section of serve.json is rewritten.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { encodeF32, encodeUserList, keys } from '../storage/redis-keys';
import { mulberry32 as rng } from '../model/random';
import { LoadClient } from './load-client';
import { runAutocannon, type AutocannonRun } from './serve-autocannon';
import { surfacesMode } from './serve-surfaces';
import { cpuOf, latencySummary, p99Upper, pct, r3, redisCpuMs, scrapeAll, type LatencyMs } from './serve-metrics';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def;
}
const USERS = Number(arg('users', '1000000'));
const ITEMS = Number(arg('items', '100000'));
const K = Number(arg('k', '64'));
const TOP_N = 500;
const RATES = arg('rates', '1000,2000,4000').split(',').map(Number);
const AUTOCANNON = process.argv.includes('--autocannon');
const SURFACES = process.argv.includes('--surfaces');
const SECONDS = Number(arg('seconds', AUTOCANNON ? '20' : '30'));
const EXTERNAL_REDIS = arg('redis-url', '');
const KEEP = process.argv.includes('--keep');
// API instances: open loop = separate processes, connections split evenly; --autocannon = a list
// of cluster sizes (`api/server.ts --procs N`), one run each.
const API_PROCS_LIST = arg('api-procs', '1').split(',').map(Number);
const API_PROCS = API_PROCS_LIST[0];
const PREFIX = arg('prefix', `bench-serve-${randomBytes(3).toString('hex')}`); // --prefix with --redis-url --keep: seed once, reuse
const VERSION = 'v20240601T000000Z';
const FOLD_USERS = 20_000;
const FRESH = 30;

const rand = rng(42);
const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());

async function freePort(): Promise<number> {
  const s = createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

function progress(label: string, done: number, total: number, t0: number): void {
  const s = (performance.now() - t0) / 1000;
  process.stdout.write(`\r${label}: ${done.toLocaleString('en')}/${total.toLocaleString('en')} (${((100 * done) / total).toFixed(0)}%, ${(done / Math.max(s, 1e-3)).toFixed(0)}/s)   `);
  if (done === total) process.stdout.write('\n');
}

const GENRES = ['Action', 'Adventure', 'Animation', 'Comedy', 'Crime', 'Documentary', 'Drama', 'Family', 'Fantasy', 'Horror', 'Romance', 'Sci-Fi', 'Thriller'];

async function seed(redis: Redis, dataAsOf: number): Promise<void> {
  const ks = keys(PREFIX);
  const t0 = performance.now();
  // Catalog and factors: popularity-ordered items, factor norms decaying with rank.
  const items = Array.from({ length: ITEMS }, (_, i) => ({
    movie_id: `m${i}`,
    title: `Title ${i}`,
    genres: [GENRES[i % GENRES.length], ...(i % 4 === 0 ? [GENRES[(i * 7) % GENRES.length]] : [])],
    year: 1950 + (i % 75),
    added_at: new Date(i < ITEMS - 20 ? dataAsOf - 86400_000 * (1 + (i % 3000)) : dataAsOf + 3600_000).toISOString(),
  }));
  const factors = new Float32Array(ITEMS * K);
  for (let i = 0; i < ITEMS; i++) {
    const scale = 0.3 / Math.sqrt(K) / Math.pow(1 + i / 1000, 0.3);
    for (let j = 0; j < K; j++) factors[i * K + j] = gauss() * scale;
  }
  const popular = Array.from({ length: 2000 }, (_, i) => i);
  const trending = Array.from({ length: 1000 }, (_, i) => (i * 37) % 3000);
  await redis
    .pipeline()
    .hset(ks.versionMeta(VERSION), {
      created_at: JSON.stringify(new Date().toISOString()),
      data_as_of: JSON.stringify(new Date(dataAsOf).toISOString()),
      trained_at: JSON.stringify(new Date().toISOString()),
      k: String(K),
      n_items: String(ITEMS),
      n_users: String(USERS),
      alpha0: '0.005',
      lambda: '0.02',
      nu: '1',
      metrics: '{}',
    })
    .set(ks.items(VERSION), JSON.stringify(items))
    .set(ks.itemFactors(VERSION), encodeF32(factors))
    .set(ks.lists(VERSION), JSON.stringify({ popular, trending }))
    .exec();
  const fresh: Record<string, string> = {};
  for (let f = 0; f < FRESH; f++) {
    const vector = Array.from({ length: K }, () => gauss() * (0.3 / Math.sqrt(K)));
    fresh[`fresh${f}`] = JSON.stringify({ movie_id: `fresh${f}`, title: `Fresh ${f}`, genres: [GENRES[f % GENRES.length]], year: 2024, added_at: new Date(dataAsOf + 7200_000).toISOString(), vector });
  }
  await redis.hset(ks.fresh, fresh);

  // Lists: 1024 templates of 500 distinct, popularity-skewed items with falling scores; each
  // user gets a template copy with their own user vector (the codec's bytes, so decoding costs
  // what it would in production).
  const templates: Buffer[] = [];
  for (let t = 0; t < 1024; t++) {
    const chosen = new Set<number>();
    while (chosen.size < TOP_N) chosen.add(Math.min(ITEMS - 1, Math.floor(Math.pow(rand(), 2.5) * ITEMS)));
    const idx = [...chosen];
    const scores = idx.map((_, r) => 0.9 - (0.6 * r) / TOP_N);
    templates.push(encodeUserList(new Float32Array(K), idx, scores));
  }
  const BATCH = 2000;
  const t1 = performance.now();
  for (let u0 = 0; u0 < USERS; u0 += BATCH) {
    const p = redis.pipeline();
    for (let u = u0; u < Math.min(USERS, u0 + BATCH); u++) {
      // The user's own vector in the format-2 codec: vecScale at byte 8, i16 entries from byte 20.
      const buf = Buffer.from(templates[u & 1023]);
      const vecScale = 1.2 / 32767; // |x_j| ≤ 4σ of N(0, 0.3²)
      buf.writeFloatLE(vecScale, 8);
      for (let j = 0; j < K; j++) buf.writeInt16LE(Math.max(-32767, Math.min(32767, Math.round((gauss() * 0.3) / vecScale))), 20 + 2 * j);
      p.set(ks.userList(VERSION, `u${u}`), buf);
      // 10% of warm users watched two titles since the model's clock: the feed must drop them.
      if (u % 10 === 0) p.zadd(ks.recent(`u${u}`), dataAsOf + 60_000, `m${u % 500}`, dataAsOf + 120_000, `m${(u * 7) % 500}`);
    }
    await p.exec();
    progress('user lists', Math.min(USERS, u0 + BATCH), USERS, t1);
  }
  const p = redis.pipeline();
  for (let c = 0; c < FOLD_USERS; c++) {
    const n = 3 + (c % 3);
    const args: (string | number)[] = [];
    for (let e = 0; e < n; e++) args.push(dataAsOf + 1000 * (e + 1), `m${Math.floor(Math.pow(rand(), 2) * 5000)}`);
    p.zadd(ks.recent(`c${c}`), ...args);
  }
  await p.exec();
  await redis.set(ks.live, VERSION);
  console.log(`seeded ${USERS.toLocaleString('en')} lists, ${ITEMS.toLocaleString('en')} items (k=${K}), ${FOLD_USERS.toLocaleString('en')} cold users with events in ${((performance.now() - t0) / 1000).toFixed(1)} s; redis used_memory: ${(await redis.info('memory')).match(/used_memory_human:(\S+)/)?.[1]}`);
}

interface Phase {
  rate: number;
  seconds: number;
  sent: number;
  ok: number;
  errors: number;
  achieved_rps: number;
  latency_ms: LatencyMs;
  sources: Record<string, number>;
  redis_get_floor_ms: { p50: number; p95: number; p99: number; max: number; n: number };
  server_side_p99_ms_upper: number | null;
  /** The API's event-loop delay over the phase (from /metrics) and its GC pauses. */
  api_event_loop_delay_ms: Record<string, number>;
  api_gc: { pauses: number; total_ms: number };
  /** CPU time per request (user+sys) of the API process and of redis-server: contention-proof cost. */
  api_cpu_ms_per_req: number | null;
  redis_cpu_ms_per_req: number | null;
  generator_cpu_ms_per_req: number;
  /** 1-minute load average of the machine at the end of the phase (other processes share it). */
  loadavg_1m: number;
}

async function runPhase(bases: string[], client: LoadClient, floorRedis: Redis, apiPids: Array<number | undefined>, rate: number, seconds: number, record: boolean): Promise<Phase> {
  const cpuOfApis = () => (apiPids.every((pid) => pid !== undefined) ? cpuOf(apiPids as number[]) : null);
  const total = Math.round(rate * seconds);
  const lat = new Float64Array(total);
  let done = 0;
  let ok = 0;
  let errors = 0;
  const sources: Record<string, number> = {};
  const interval = 1000 / rate;
  const r = rng(rate);
  const userFor = (): string => {
    const x = r();
    if (x < 0.9) return `u${Math.floor(r() * USERS)}`;
    if (x < 0.95) return `c${Math.floor(r() * FOLD_USERS)}`;
    return `new${Math.floor(r() * 1e9)}`;
  };
  const before = await scrapeAll(bases);
  const apiCpu0 = cpuOfApis();
  const genCpu0 = process.cpuUsage();
  const redisCpu0 = await redisCpuMs(floorRedis);

  // Floor: Redis's own GET of a user list, 200/s, same process, same period.
  const floor: number[] = [];
  const ks = keys(PREFIX);
  const floorTimer = setInterval(() => {
    const t = performance.now();
    floorRedis.getBuffer(ks.userList(VERSION, `u${Math.floor(r() * USERS)}`)).then(() => floor.push(performance.now() - t), () => {});
  }, 5);

  await new Promise<void>((resolve) => {
    const start = performance.now();
    let sent = 0;
    const finish = () => {
      if (++done === total) resolve();
    };
    const send = (scheduled: number) => {
      const i = sent++;
      client.get(`/home-feed?user_id=${userFor()}&limit=20`, (status, body) => {
        lat[i] = performance.now() - scheduled;
        if (status === 200 && body) {
          ok++;
          const m = /"source":"(\w+)"/.exec(body.toString('latin1', 0, Math.min(body.length, 400)));
          if (m) sources[m[1]] = (sources[m[1]] ?? 0) + 1;
        } else errors++;
        finish();
      });
    };
    const tick = () => {
      const now = performance.now();
      while (sent < total && start + sent * interval <= now) send(start + sent * interval);
      if (sent < total) setTimeout(tick, 1);
    };
    tick();
  });
  clearInterval(floorTimer);
  const apiCpu1 = cpuOfApis();
  const genCpu = process.cpuUsage(genCpu0);
  const redisCpu1 = await redisCpuMs(floorRedis);
  const after = await scrapeAll(bases);
  const sorted = lat.slice().sort();
  const fl = Float64Array.from(floor).sort();
  const elapsed = sorted.length ? seconds : 0;
  return {
    rate,
    seconds,
    sent: total,
    ok,
    errors,
    achieved_rps: Math.round(total / Math.max(elapsed, 1e-9)),
    latency_ms: latencySummary(sorted),
    sources,
    redis_get_floor_ms: { p50: r3(pct(fl, 0.5)), p95: r3(pct(fl, 0.95)), p99: r3(pct(fl, 0.99)), max: r3(fl[fl.length - 1] ?? NaN), n: fl.length },
    server_side_p99_ms_upper: record ? p99Upper(before.routes.get('/home-feed'), after.routes.get('/home-feed')) : null,
    api_event_loop_delay_ms: after.loopDelayMs,
    api_gc: { pauses: after.gcPauses - before.gcPauses, total_ms: r3(after.gcPauseMs - before.gcPauseMs) },
    api_cpu_ms_per_req: apiCpu0 !== null && apiCpu1 !== null ? r3((apiCpu1 - apiCpu0) / total) : null,
    redis_cpu_ms_per_req: r3((redisCpu1 - redisCpu0) / total),
    generator_cpu_ms_per_req: r3((genCpu.user + genCpu.system) / 1000 / total),
    loadavg_1m: Math.round(os.loadavg()[0] * 100) / 100,
  };
}

async function waitReady(base: string, child: ChildProcess, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`api exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${base}/readyz`)).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('api not ready in time');
}

async function main(): Promise<void> {
  let redisProc: ChildProcess | null = null;
  const apis: ChildProcess[] = [];
  let redisUrl = EXTERNAL_REDIS;
  if (!redisUrl) {
    const port = await freePort();
    redisProc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    redisUrl = `redis://127.0.0.1:${port}`;
  }
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null, retryStrategy: () => 100 });
  redis.on('error', () => {});
  const floorRedis = new Redis(redisUrl, { lazyConnect: true });
  floorRedis.on('error', () => {});
  try {
    await redis.ping();
    await floorRedis.connect();
    // --keep with a fixed --prefix seeds once: a later run that finds the same world reuses it.
    const seededUsers = KEEP ? await redis.hget(keys(PREFIX).versionMeta(VERSION), 'n_users') : null;
    if (seededUsers === String(USERS) && (await redis.get(keys(PREFIX).live)) === VERSION) console.log(`reusing the world seeded under ${PREFIX} (${USERS.toLocaleString('en')} lists)`);
    else await seed(redis, Date.now() - 86400_000);
    if (AUTOCANNON) return await autocannonMode(redisUrl, floorRedis);
    if (SURFACES) {
      const env = { RECS_ENV: 'demo', ...process.env, REDIS_URL: redisUrl, REDIS_PREFIX: PREFIX, ALS_FACTORS: String(K) };
      const rates = { rowsRates: arg('rows-rates', '100,500').split(',').map(Number), upNextRates: arg('up-next-rates', '100,500').split(',').map(Number) };
      return await surfacesMode({ root: ROOT, env, port: await freePort(), users: USERS, foldUsers: FOLD_USERS, seconds: SECONDS, ...rates, repeat: Number(arg('repeat', '3')), apis, waitReady, procs: API_PROCS, nodeArgs: arg('api-node-args', '').split(' ').filter(Boolean), bare: process.argv.includes('--no-bare') ? null : { version: VERSION, port: await freePort() } });
    }

    const ports: number[] = [];
    const t0 = performance.now();
    for (let a = 0; a < API_PROCS; a++) {
      const port = await freePort();
      ports.push(port);
      const env = { RECS_ENV: 'demo', ...process.env, REDIS_URL: redisUrl, REDIS_PREFIX: PREFIX, PORT: String(port), ALS_FACTORS: String(K) };
      const nodeArgs = arg('api-node-args', '').split(' ').filter(Boolean);
      apis.push(spawn(process.execPath, [...nodeArgs, '--import', 'tsx', join(ROOT, 'api/server.ts')], { cwd: ROOT, env, stdio: ['ignore', 'inherit', 'inherit'] }));
    }
    const bases = ports.map((p) => `http://127.0.0.1:${p}`);
    for (let a = 0; a < API_PROCS; a++) await waitReady(bases[a], apis[a], 300_000);
    console.log(`api ready in ${((performance.now() - t0) / 1000).toFixed(1)} s (${API_PROCS} process${API_PROCS > 1 ? 'es' : ''}; catalog, factors, HNSW over ${ITEMS.toLocaleString('en')} items)`);

    const client = new LoadClient('127.0.0.1', ports, 64);
    await client.open();
    console.log('warm-up: 5 s at 500 req/s');
    await runPhase(bases, client, floorRedis, apis.map((a) => a.pid), 500, 5, false);
    const phases: Phase[] = [];
    console.log('rate req/s | p50 ms | p95 ms | p99 ms | max ms | errors | redis GET p50/p99 ms | api/redis/generator CPU ms per req | api loop delay p99/max ms | api GC ms | load | sources');
    for (const rate of RATES) {
      const ph = await runPhase(bases, client, floorRedis, apis.map((a) => a.pid), rate, SECONDS, true);
      phases.push(ph);
      console.log(
        `${String(rate).padStart(10)} | ${ph.latency_ms.p50.toFixed(2).padStart(6)} | ${ph.latency_ms.p95.toFixed(2).padStart(6)} | ${ph.latency_ms.p99.toFixed(2).padStart(6)} | ${ph.latency_ms.max.toFixed(1).padStart(6)} | ${String(ph.errors).padStart(6)} | ${ph.redis_get_floor_ms.p50.toFixed(3)}/${ph.redis_get_floor_ms.p99.toFixed(3)} | ${ph.api_cpu_ms_per_req}/${ph.redis_cpu_ms_per_req}/${ph.generator_cpu_ms_per_req} | ${ph.api_event_loop_delay_ms.p99}/${ph.api_event_loop_delay_ms.max} | ${ph.api_gc.total_ms} | ${ph.loadavg_1m} | ${JSON.stringify(ph.sources)}`,
      );
      await new Promise((r) => setTimeout(r, 2000)); // let queues drain between rates
    }
    client.close();
    const xlen = await redis.xlen(keys(PREFIX).events);
    // The other modes' sections (autocannon, surfaces) are kept: each mode rewrites only its own.
    const file = join(ROOT, 'bench/results/serve.json');
    const kept = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
    const out = {
      ...Object.fromEntries(Object.entries(kept).filter(([key]) => key === 'autocannon' || key.startsWith('surfaces'))),
      at: new Date().toISOString(),
      machine: { cpus: os.cpus().length, cpu_model: os.cpus()[0]?.model, node: process.version, total_mem_gb: Math.round(os.totalmem() / 2 ** 30) },
      setup: { users: USERS, items: ITEMS, k: K, top_n: TOP_N, fold_in_users: FOLD_USERS, fresh_titles: FRESH, mix: '90% warm (10% with recent watches), 5% fold-in, 5% new', limit: 20, open_loop: true, seconds_per_rate: SECONDS, api: `${API_PROCS} child process(es) (node --import tsx api/server.ts), default knobs`, api_procs: API_PROCS, api_node_args: arg('api-node-args', ''), redis: EXTERNAL_REDIS ? 'external' : 'dedicated redis-server' },
      target: { rate: 2000, p99_ms: 5 },
      phases,
      impressions_in_stream: xlen,
    };
    mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
    writeFileSync(file, JSON.stringify(out, null, 2) + '\n');
    console.log(`impression events written to the stream: ${xlen.toLocaleString('en')}`);
    console.log('wrote bench/results/serve.json');
  } finally {
    for (const api of apis) {
      if (api.exitCode !== null) continue;
      api.kill('SIGTERM');
      await Promise.race([once(api, 'exit'), new Promise((r) => setTimeout(r, 15_000))]);
    }
    if (redisProc) {
      redisProc.kill('SIGKILL');
      console.log('stopped the dedicated redis-server');
    } else if (!KEEP) {
      let cursor = '0';
      let n = 0;
      do {
        const [next, found] = await redis.scan(cursor, 'MATCH', `${PREFIX}:*`, 'COUNT', 5000);
        cursor = next;
        if (found.length) n += await redis.unlink(...found);
      } while (cursor !== '0');
      console.log(`deleted ${n.toLocaleString('en')} keys under ${PREFIX}`);
    }
    redis.disconnect();
    floorRedis.disconnect();
  }
}

async function autocannonMode(redisUrl: string, floorRedis: Redis): Promise<void> {
  const r = rng(7);
  const connections = arg('connections', '50,10').split(',').map(Number);
  const repeat = Number(arg('repeat', '1'));
  const common = { root: ROOT, seconds: SECONDS, connections, limit: 50, users: USERS, foldUsers: FOLD_USERS, floorKey: () => keys(PREFIX).userList(VERSION, `u${Math.floor(r() * USERS)}`), floorRedis, waitReady };
  const runs: Array<AutocannonRun & { round: number }> = [];
  const bare: Array<AutocannonRun & { round: number }> = [];
  // --repeat N: the whole plan N times (API, then the bare servers), each target point judged on the median of its rounds.
  for (let round = 1; round <= repeat; round++) {
    for (const procs of API_PROCS_LIST) {
      const run = await runAutocannon({ ...common, env: { RECS_ENV: 'demo', ...process.env, REDIS_URL: redisUrl, REDIS_PREFIX: PREFIX, ALS_FACTORS: String(K) }, port: await freePort(), procs, nodeArgs: arg('api-node-args', '').split(' ').filter(Boolean), rates: RATES });
      runs.push({ ...run, round });
    }
    // The same generator, connections and target rate against bare node:http servers (bench/bare-server.ts):
    // what any Node service answering with the feed's bytes, after none, one or the API's three Redis reads, gets here.
    if (!process.argv.includes('--no-bare'))
      for (const mode of ['static', 'get', 'reads3'] as const) {
        const run = await runAutocannon({ ...common, env: { ...process.env, REDIS_URL: redisUrl, REDIS_PREFIX: PREFIX }, port: await freePort(), procs: 1, nodeArgs: [], rates: arg('bare-rates', '2000').split(',').map(Number), bare: { mode, bodyBytes: runs[0].response_bytes, version: VERSION } });
        bare.push({ ...run, round });
      }
  }
  // Per server, process count, connections and rate: the rounds' corrected p99s and their median.
  const summary: Array<{ server: string; procs: number; connections: number; rate: number; p99_ms_by_round: number[]; p99_ms_median: number; errors: number }> = [];
  for (const run of [...runs, ...bare])
    for (const ph of run.phases) {
      let row = summary.find((x) => x.server === run.server && x.procs === run.procs && x.connections === ph.connections && x.rate === ph.rate);
      if (!row) summary.push((row = { server: run.server, procs: run.procs, connections: ph.connections, rate: ph.rate, p99_ms_by_round: [], p99_ms_median: NaN, errors: 0 }));
      row.p99_ms_by_round.push(ph.corrected_latency_ms.p99);
      row.errors += ph.errors + ph.timeouts + ph.non2xx;
    }
  for (const row of summary) row.p99_ms_median = [...row.p99_ms_by_round].sort((a, b) => a - b)[Math.floor(row.p99_ms_by_round.length / 2)];
  console.log('corrected p99 ms by round (median): the API beside the bare servers, same generator');
  console.log('server | procs | conns | rate req/s | p99 by round | median | errors');
  for (const x of summary) console.log(`${x.server} | ${x.procs} | ${x.connections} | ${x.rate} | ${x.p99_ms_by_round.join(' / ')} | ${x.p99_ms_median} | ${x.errors}`);
  const file = join(ROOT, 'bench/results/serve.json');
  const out = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  out.autocannon = {
    at: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpu_model: os.cpus()[0]?.model, node: process.version, loadavg_at_start: os.loadavg().map((x) => Math.round(x * 100) / 100) },
    setup: { users: USERS, items: ITEMS, k: K, top_n: TOP_N, mix: '90% warm (10% with recent watches), 5% fold-in, 5% new', limit: 50, connections, seconds_per_rate: SECONDS, generator: 'autocannon (overallRate) in a process of its own (bench/autocannon-run.ts); per phase: corrected_latency_ms (each response plus the coordinated-omission correction at the connections\' real interval, judged against the target), raw_latency_ms (each response), latency_ms (autocannon\'s own histogram, whose correction uses a 1 ms interval whatever the rate); the Redis GET floor is timed by the parent', note: "autocannon's rate limit is a per-connection quota per second: each connection sends its share back to back at the start of every second, so at a fixed rate the API sees bursts of `connections` concurrent requests (latency ≈ connections × service time / cores), not a steady stream; the open-loop section paces sends evenly", api: 'api/server.ts --procs N (node:cluster, one port)', redis: EXTERNAL_REDIS ? 'external' : 'dedicated redis-server' },
    target: { rate: 2000, p99_ms: 5, errors: 0, judged_on: 'corrected_latency_ms.p99 (with --repeat: the median over rounds, summary[].p99_ms_median)' },
    rounds: repeat,
    summary,
    runs,
    bare_servers: {
      note: "bench/bare-server.ts: node:http alone, answering every request with a body of the API's feed size (response_bytes), after no Redis read (static), one GET of the user's stored list (get), or the API's three reads (reads3); same generator, connections and seconds, right after the API runs",
      runs: bare,
    },
  };
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(file, JSON.stringify(out, null, 2) + '\n');
  console.log('wrote the autocannon section of bench/results/serve.json');
}

await main();

// The autocannon mode of bench:serve (`npm run bench:serve -- --autocannon`): an independent,
// off-the-shelf load generator at fixed rates, as an operator would measure the API.
//
// For each API process count (--api-procs 1,2): start ONE API (`api/server.ts --procs N`, node
// cluster on one port), warm it up, then for each rate (--rates 1000,2000,4000) run autocannon
// (50 connections, `overallRate`, --seconds 20; latencies corrected for coordinated omission)
// on GET /home-feed?user_id=<random>&limit=50 with bench/serve.ts's user mix. Alongside, the same
// process reads Redis's own GET of a user list every 5 ms (the floor) and the CPU time of every
// API process (primary + workers) and of redis-server. The caller seeds Redis and writes the JSON.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import os from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { cpuOf, pct, pidTree, r3, redisCpuMs } from './serve-metrics';

export interface AutocannonPhase {
  rate: number;
  seconds: number;
  connections: number;
  requests: number;
  achieved_rps: number;
  /** autocannon's own histogram (its coordinated-omission correction at a 1 ms interval; see bench/autocannon-run.ts). */
  latency_ms: { p50: number; p90: number; p99: number; p999: number; max: number; mean: number };
  /** Each response's own time, send to response. */
  raw_latency_ms: LatencySummary;
  /** raw with the coordinated-omission correction at the connections' real interval: what the target is judged on. */
  corrected_latency_ms: LatencySummary & { expected_interval_ms: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  redis_get_floor_ms: { p50: number; p99: number; max: number; n: number };
  /** user+sys CPU of all API processes (cluster primary + workers) over the phase / requests. */
  api_cpu_ms_per_req: number | null;
  redis_cpu_ms_per_req: number;
  /** This process: autocannon plus the floor reader. */
  generator_cpu_ms_per_req: number;
  loadavg_1m: number;
}

export interface LatencySummary {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
  n: number;
}

export interface AutocannonRun {
  procs: number;
  api_node_args: string;
  /** The server under load: 'api', or a bare server (bench/bare-server.ts: 'static', 'get', 'reads3'). */
  server: string;
  /** Bytes of one response body (a warm user's feed at the run's limit, for the API). */
  response_bytes: number;
  phases: AutocannonPhase[];
}

export interface AutocannonSetup {
  root: string;
  env: NodeJS.ProcessEnv;
  port: number;
  procs: number;
  nodeArgs: string[];
  rates: number[];
  seconds: number;
  /** Connection counts, one series of rates each: autocannon's rate limit is a per-connection quota per second, so the count is the burst's concurrency. */
  connections: number[];
  limit: number;
  /** The user mix (bench/autocannon-run.ts): warm users u0…u<users−1>, fold-in users c0…c<foldUsers−1>. */
  users: number;
  foldUsers: number;
  floorKey: () => string;
  floorRedis: Redis;
  waitReady: (base: string, child: ChildProcess, ms: number) => Promise<void>;
  /** Instead of the API: a bare node:http server (bench/bare-server.ts <mode> <body bytes>), same env and port. */
  bare?: { mode: 'static' | 'get' | 'reads3'; bodyBytes: number; version: string };
}

export async function runAutocannon(s: AutocannonSetup): Promise<AutocannonRun> {
  const argv = s.bare ? [join(s.root, 'bench/bare-server.ts'), s.bare.mode, String(s.bare.bodyBytes)] : [`${s.root}/api/server.ts`, '--procs', String(s.procs)];
  const env = { ...s.env, PORT: String(s.port), ...(s.bare ? { BARE_VERSION: s.bare.version } : {}) };
  const api = spawn(process.execPath, [...s.nodeArgs, '--import', 'tsx', ...argv], { cwd: s.root, env, stdio: ['ignore', s.nodeArgs.some((a) => a.startsWith('--trace-gc')) ? 'inherit' : 'ignore', 'inherit'] });
  const base = `http://127.0.0.1:${s.port}`;
  const label = s.bare ? `bare server '${s.bare.mode}'` : `${s.procs} API process(es)`;
  try {
    await s.waitReady(base, api, 300_000);
    const responseBytes = (await (await fetch(`${base}/home-feed?user_id=u1&limit=${s.limit}`)).arrayBuffer()).byteLength;
    // Every worker must be ready, not just the first to answer: ask until N distinct pids answered or 60 s.
    const t0 = Date.now();
    while (s.procs > 1 && pidTree(api.pid!).length < s.procs + 1 && Date.now() - t0 < 60_000) await new Promise((r) => setTimeout(r, 250));
    await new Promise((r) => setTimeout(r, 3000 * s.procs)); // the later workers load catalog + HNSW too
    const phase = async (rate: number, seconds: number, connections: number): Promise<AutocannonPhase> => {
      const pids = pidTree(api.pid!);
      const floor: number[] = [];
      const floorTimer = setInterval(() => {
        const t = performance.now();
        s.floorRedis.getBuffer(s.floorKey()).then(() => floor.push(performance.now() - t), () => {});
      }, 5);
      const api0 = cpuOf(pids);
      const redis0 = await redisCpuMs(s.floorRedis);
      const input = { url: base, connections, rate, seconds, limit: s.limit, users: s.users, foldUsers: s.foldUsers, seed: 7 + rate + connections };
      const gen = spawn(process.execPath, ['--import', 'tsx', join(s.root, 'bench/autocannon-run.ts'), JSON.stringify(input)], { cwd: s.root, stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      gen.stdout.on('data', (b: Buffer) => (out += b.toString()));
      const [code] = (await once(gen, 'exit')) as [number | null];
      if (code !== 0) throw new Error(`autocannon run exited ${code}`);
      const res = JSON.parse(out.trim().split('\n').pop()!) as { latency: Record<'p50' | 'p90' | 'p99' | 'p999' | 'max' | 'mean', number>; raw: LatencySummary; corrected: LatencySummary & { expected_interval_ms: number }; requests: number; errors: number; timeouts: number; non2xx: number; cpu_ms: number };
      clearInterval(floorTimer);
      const api1 = cpuOf(pids);
      const redis1 = await redisCpuMs(s.floorRedis);
      const fl = Float64Array.from(floor).sort();
      const n = Math.max(1, res.requests);
      return {
        rate,
        seconds,
        connections,
        requests: res.requests,
        achieved_rps: Math.round(res.requests / seconds),
        latency_ms: { p50: res.latency.p50, p90: res.latency.p90, p99: res.latency.p99, p999: res.latency.p999, max: res.latency.max, mean: r3(res.latency.mean) },
        raw_latency_ms: res.raw,
        corrected_latency_ms: res.corrected,
        errors: res.errors,
        timeouts: res.timeouts,
        non2xx: res.non2xx,
        redis_get_floor_ms: { p50: r3(pct(fl, 0.5)), p99: r3(pct(fl, 0.99)), max: r3(fl[fl.length - 1] ?? NaN), n: fl.length },
        api_cpu_ms_per_req: api0 !== null && api1 !== null ? r3((api1 - api0) / n) : null,
        redis_cpu_ms_per_req: r3((redis1 - redis0) / n),
        generator_cpu_ms_per_req: r3(res.cpu_ms / n),
        loadavg_1m: Math.round(os.loadavg()[0] * 100) / 100,
      };
    };
    console.log(`autocannon: ${label}; warm-up 5 s at 500 req/s`);
    await phase(500, 5, s.connections[0]);
    const phases: AutocannonPhase[] = [];
    console.log('server | procs | conns | rate req/s | corrected p50/p90/p99/max ms | raw p50/p99 ms | autocannon p50/p99 ms | errors/timeouts/non2xx | redis GET p50/p99 ms | api/redis/gen CPU ms per req | load');
    for (const connections of s.connections)
    for (const rate of s.rates) {
      const ph = await phase(rate, s.seconds, connections);
      phases.push(ph);
      const c = ph.corrected_latency_ms;
      console.log(`${s.bare ? s.bare.mode : 'api'} | ${String(s.procs).padStart(5)} | ${String(connections).padStart(5)} | ${String(rate).padStart(10)} | ${c.p50}/${c.p90}/${c.p99}/${c.max} | ${ph.raw_latency_ms.p50}/${ph.raw_latency_ms.p99} | ${ph.latency_ms.p50}/${ph.latency_ms.p99} | ${ph.errors}/${ph.timeouts}/${ph.non2xx} | ${ph.redis_get_floor_ms.p50}/${ph.redis_get_floor_ms.p99} | ${ph.api_cpu_ms_per_req}/${ph.redis_cpu_ms_per_req}/${ph.generator_cpu_ms_per_req} | ${ph.loadavg_1m}`);
      await new Promise((r) => setTimeout(r, 2000));
    }
    return { procs: s.procs, api_node_args: s.nodeArgs.join(' '), server: s.bare ? s.bare.mode : 'api', response_bytes: responseBytes, phases };
  } finally {
    if (api.exitCode === null) {
      api.kill('SIGTERM');
      await Promise.race([once(api, 'exit'), new Promise((r) => setTimeout(r, 20_000))]);
    }
  }
}

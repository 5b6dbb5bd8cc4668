// What the serving benchmark (bench/serve.ts) reads from the processes under test: the API's
// /metrics (request histogram, event-loop delay, GC pauses) and the CPU time of the API and Redis.
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

/** utime+stime of a process in ms, from /proc (Linux). */
export function procCpuMs(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // clock ticks (USER_HZ = 100)
  } catch {
    return null;
  }
}

/** The API processes: the one we spawned and its children (cluster workers), from /proc. */
export function pidTree(root: number): number[] {
  const out = [root];
  for (let i = 0; i < out.length; i++) {
    try {
      for (const tid of readFileSync(`/proc/${out[i]}/task/${out[i]}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)) out.push(Number(tid));
    } catch {
      // gone
    }
  }
  return out;
}

/** Summed utime+stime (ms) of processes; null when one is gone. */
export function cpuOf(pids: number[]): number | null {
  let sum = 0;
  for (const p of pids) {
    const c = procCpuMs(p);
    if (c === null) return null;
    sum += c;
  }
  return sum;
}

/** used_cpu_user + used_cpu_sys of the redis-server, in ms (INFO cpu). */
export async function redisCpuMs(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const user = Number(/used_cpu_user:([\d.]+)/.exec(info)?.[1] ?? 0);
  const sys = Number(/used_cpu_sys:([\d.]+)/.exec(info)?.[1] ?? 0);
  return (user + sys) * 1000;
}

/** Rounded to 3 decimals, for the JSON. */
export const r3 = (x: number) => Math.round(x * 1000) / 1000;

export interface Scrape {
  /** The request-duration histogram of every route (cumulative: le → count). */
  routes: Map<string, Map<number, number>>;
  loopDelayMs: Record<string, number>; // since the previous scrape
  gcPauseMs: number; // cumulative sum of GC pauses
  gcPauses: number;
}

/** The server-side histograms (from /metrics) of every route, event-loop delay and GC pauses. */
async function scrape(base: string): Promise<Scrape> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const loopDelayMs: Record<string, number> = {};
  // prom-client's default metrics: event-loop lag percentiles (reset at each scrape) and GC pauses by kind.
  for (const m of text.matchAll(/^nodejs_eventloop_lag_(p50|p90|p99|max)_seconds (\S+)$/gm)) loopDelayMs[m[1]] = r3(Number(m[2]) * 1000);
  let gcPauseMs = 0;
  let gcPauses = 0;
  for (const m of text.matchAll(/^nodejs_gc_duration_seconds_sum\{[^}]*\} (\S+)$/gm)) gcPauseMs += Number(m[1]) * 1000;
  for (const m of text.matchAll(/^nodejs_gc_duration_seconds_count\{[^}]*\} (\S+)$/gm)) gcPauses += Number(m[1]);
  return { routes: routeBuckets(text), loopDelayMs, gcPauseMs, gcPauses };
}

function routeBuckets(text: string): Map<string, Map<number, number>> {
  const routes = new Map<string, Map<number, number>>();
  for (const m of text.matchAll(/^recs_api_request_duration_seconds_bucket\{([^}]*)\} (\d+)$/gm)) {
    const route = /route="([^"]+)"/.exec(m[1])?.[1];
    const leText = /le="([^"]+)"/.exec(m[1])?.[1];
    if (!route || !leText) continue;
    const le = leText === '+Inf' ? Infinity : Number(leText);
    let out = routes.get(route);
    if (!out) routes.set(route, (out = new Map()));
    out.set(le, (out.get(le) ?? 0) + Number(m[2]));
  }
  return routes;
}

/** The upper bound (ms) of the histogram bucket holding the 99th percentile of the requests between two scrapes (an absent route: no requests). */
export function p99Upper(before: Map<number, number> = new Map(), after: Map<number, number> = new Map()): number | null {
  const les = [...after.keys()].sort((a, b) => a - b);
  const total = (after.get(Infinity) ?? 0) - (before.get(Infinity) ?? 0);
  if (total <= 0) return null;
  for (const le of les) if ((after.get(le) ?? 0) - (before.get(le) ?? 0) >= 0.99 * total) return le * 1000;
  return null;
}

/** Scrape every API instance and merge: histograms and GC add up, loop delays take the worst. */
export async function scrapeAll(bases: string[]): Promise<Scrape> {
  const all = await Promise.all(bases.map(scrape));
  const routes = new Map<string, Map<number, number>>();
  const loopDelayMs: Record<string, number> = {};
  for (const a of all) {
    for (const [route, h] of a.routes) {
      let out = routes.get(route);
      if (!out) routes.set(route, (out = new Map()));
      for (const [le, n] of h) out.set(le, (out.get(le) ?? 0) + n);
    }
    for (const [q, v] of Object.entries(a.loopDelayMs)) loopDelayMs[q] = Math.max(loopDelayMs[q] ?? 0, v);
  }
  return { routes, loopDelayMs, gcPauseMs: all.reduce((x, a) => x + a.gcPauseMs, 0), gcPauses: all.reduce((x, a) => x + a.gcPauses, 0) };
}

/** The q-quantile of an ascending array (nearest rank, lower), NaN when empty. */
export function pct(sorted: Float64Array, q: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : NaN;
}

export interface LatencyMs {
  p50: number;
  p95: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

/** p50/p95/p99/p99.9/max/mean (ms, 3 decimals) of an ascending array of latencies. */
export function latencySummary(sorted: Float64Array): LatencyMs {
  return { p50: r3(pct(sorted, 0.5)), p95: r3(pct(sorted, 0.95)), p99: r3(pct(sorted, 0.99)), p999: r3(pct(sorted, 0.999)), max: r3(sorted[sorted.length - 1]), mean: r3(sorted.reduce((a, b) => a + b, 0) / sorted.length) };
}

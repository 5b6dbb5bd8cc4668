// One autocannon phase in a process of its own (bench/serve-autocannon.ts spawns it), so the load
// generator's event loop is not the one that times the Redis GET floor, and its CPU is its own.
// Input: one JSON argument {url, connections, rate, seconds, limit, users, foldUsers, seed}.
// Output: one JSON line on stdout: autocannon's latency/requests/errors and this process's CPU ms.
// The user mix is bench/serve.ts's: 90% warm u<i>, 5% fold-in c<i>, 5% new.
//
// Latency, three ways from the same run:
//   • `raw`: every 2xx response's own time from send to response (µs precision, from autocannon's
//     'response' events): what each request took.
//   • `corrected`: raw plus the coordinated-omission correction done with the connection's real
//     schedule: a response of T ms on a connection meant to send every I = 1000·connections/rate ms
//     also records T − I, T − 2I, … > 0 (HdrHistogram's recordValueWithExpectedInterval). The
//     conservative figure, and the one bench:serve judges against the target.
//   • `autocannon`: autocannon's own histogram. With a rate set it corrects with an expected
//     interval of Math.ceil(1 / rate) — 1 ms for any per-connection rate, where the interval in ms
//     is 1000 / rate (5 ms at 200 req/s per connection) — so a T ms response adds about T samples
//     1 ms apart, which are not requests. Kept for comparison with earlier runs.
import autocannon from 'autocannon';
import { mulberry32 } from '../model/random';

interface Input {
  url: string;
  connections: number;
  rate: number;
  seconds: number;
  limit: number;
  users: number;
  foldUsers: number;
  seed: number;
}

const o = JSON.parse(process.argv[2] ?? '{}') as Input;
const r = mulberry32(o.seed);
const userFor = (): string => {
  const x = r();
  if (x < 0.9) return `u${Math.floor(r() * o.users)}`;
  if (x < 0.95) return `c${Math.floor(r() * o.foldUsers)}`;
  return `new${Math.floor(r() * 1e9)}`;
};
const cpu0 = process.cpuUsage();
const raw: number[] = [];
const inst = autocannon({
  url: o.url,
  connections: o.connections,
  overallRate: o.rate,
  duration: o.seconds,
  requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: `/home-feed?user_id=${userFor()}&limit=${o.limit}` }) }],
});
inst.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
  if (status >= 200 && status < 300) raw.push(ms);
});
const res = await inst;
const cpu = process.cpuUsage(cpu0);
const intervalMs = (1000 * o.connections) / o.rate;
const corrected: number[] = [];
for (const t of raw) for (let x = t; x > 0; x -= intervalMs) corrected.push(x);
const summary = (xs: number[]) => {
  const a = Float64Array.from(xs).sort();
  const q = (p: number) => (a.length === 0 ? NaN : Math.round(a[Math.min(a.length - 1, Math.floor(p * a.length))] * 1000) / 1000);
  let sum = 0;
  for (const x of a) sum += x;
  return { p50: q(0.5), p90: q(0.9), p99: q(0.99), p999: q(0.999), max: q(1), mean: Math.round((sum / Math.max(1, a.length)) * 1000) / 1000, n: a.length };
};
process.stdout.write(
  JSON.stringify({
    raw: summary(raw),
    corrected: { ...summary(corrected), expected_interval_ms: intervalMs },
    latency: { p50: res.latency.p50, p90: res.latency.p90, p99: res.latency.p99, p999: res.latency.p99_9, max: res.latency.max, mean: res.latency.mean },
    requests: res.requests.total,
    errors: res.errors,
    timeouts: res.timeouts,
    non2xx: res.non2xx,
    cpu_ms: (cpu.user + cpu.system) / 1000,
  }) + '\n',
);

// One autocannon phase in a process of its own (bench/serve-autocannon.ts spawns it), so the load
// generator's event loop is not the one that times the Redis GET floor, and its CPU is its own.
// Input: one JSON argument {url, connections, rate, seconds, limit, users, foldUsers, seed}.
// Output: one JSON line on stdout: autocannon's latency/requests/errors and this process's CPU ms.
// The user mix is bench/serve.ts's: 90% warm u<i>, 5% fold-in c<i>, 5% new.
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
const res = await autocannon({
  url: o.url,
  connections: o.connections,
  overallRate: o.rate,
  duration: o.seconds,
  requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: `/home-feed?user_id=${userFor()}&limit=${o.limit}` }) }],
});
const cpu = process.cpuUsage(cpu0);
process.stdout.write(
  JSON.stringify({
    latency: { p50: res.latency.p50, p90: res.latency.p90, p99: res.latency.p99, p999: res.latency.p99_9, max: res.latency.max, mean: res.latency.mean },
    requests: res.requests.total,
    errors: res.errors,
    timeouts: res.timeouts,
    non2xx: res.non2xx,
    cpu_ms: (cpu.user + cpu.system) / 1000,
  }) + '\n',
);

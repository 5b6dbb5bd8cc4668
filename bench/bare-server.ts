// The bare servers of bench:serve's autocannon mode (on by default; --no-bare skips them): the least a Node service can do per feed request on
// this machine, driven by the same generator, rate and connections as the API in the same run.
//
//   node --import tsx bench/bare-server.ts <static|get|reads3> <body bytes>
//   env: PORT, REDIS_URL, REDIS_PREFIX, BARE_VERSION (the version whose user lists are read)
//
// A bare node:http server (no express, no validation, no model, no metrics) that answers every
// GET with the same JSON body of <body bytes> (the size of the API's feed response), after:
//   • static: nothing;
//   • get: one Redis GET of the requesting user's stored list (the key and bytes the API reads);
//   • reads3: the API's three reads (live pointer, the user's list, their recent watches), sent
//     as plain commands like the API's serving client.
// If the API's p99 is close to this server's, what is left is the machine (two cores shared by
// the generator, Redis and the server; the loopback write of every response), not the API's work.
import http from 'node:http';
import { Redis } from 'ioredis';
import { keys } from '../storage/redis-keys';

const mode = process.argv[2] ?? 'static';
if (!['static', 'get', 'reads3'].includes(mode)) throw new Error(`unknown bare-server mode ${mode} (static, get, reads3)`);
const bodyBytes = Number(process.argv[3] ?? '4000');
const ks = keys(process.env.REDIS_PREFIX ?? 'recs');
const version = process.env.BARE_VERSION ?? '';
// A JSON array of one repeated string: valid JSON of exactly bodyBytes bytes.
const body = Buffer.from(`["${'x'.repeat(Math.max(0, bodyBytes - 4))}"]`);

const redis = mode === 'static' ? null : new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { enableAutoPipelining: false, maxRetriesPerRequest: 1 });
if (redis) await redis.ping();

const userOf = (url: string): string => {
  const m = /[?&]user_id=([^&]+)/.exec(url);
  return m ? decodeURIComponent(m[1]) : 'u0';
};

const server = http.createServer((req, res) => {
  const send = () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
    res.end(body);
  };
  if (!redis || req.url === '/readyz') return send();
  const user = userOf(req.url ?? '');
  const reads: Promise<unknown>[] = [redis.getBuffer(ks.userList(version, user))];
  if (mode === 'reads3') reads.push(redis.get(ks.live), redis.zrangebyscore(ks.recent(user), `(${Date.now() - 86400_000}`, '+inf', 'WITHSCORES'));
  Promise.all(reads).then(send, () => {
    res.writeHead(503).end();
  });
});
server.listen(Number(process.env.PORT ?? 18555), '127.0.0.1');
process.on('SIGTERM', () => {
  server.close();
  redis?.disconnect();
  process.exit(0);
});

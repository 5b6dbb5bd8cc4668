// Seconds from "add a title" to its first appearance in a matching user's feed, through the real
// path: POST /titles → addTitle workflow on a worker → Redis fresh pool + notify → the API's
// in-memory fresh pool → GET /home-feed. Self-contained: its own DATA_DIR, Redis prefix and task
// queue on the running services (npm run services:up), a generated world, one retrain first.
// Run: npx tsx bench/fresh.ts [--preset tiny|demo] [--titles 5]. Writes bench/results/fresh.json.
import { Client, Connection } from '@temporalio/client';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { createApp, type FeedResponse } from '../api/app';
import { servingRedisOptions } from '../api/server';
import { apiOptions } from '../api/schemas';
import { RedisFeedStore } from '../api/store';
import type { RetrainResult } from '../activities/types';
import { loadConfig } from '../config';
import { generateWorld } from '../data/generator';
import type { Title } from '../model/types';
import { runDir } from '../storage/artifacts';
import { decodeUserList, keys } from '../storage/redis-keys';
import { runFiles } from '../storage/run-data';
import { createWorker } from '../worker';

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
};
const PRESET = arg('preset', 'tiny') as 'tiny' | 'demo';
const TITLES = Number(arg('titles', '5'));

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'recs-bench-fresh-'));
  const id = `bench-fresh-${process.pid}`;
  const cfg = loadConfig({ ...process.env, DATA_DIR: dataDir, REDIS_PREFIX: id, TEMPORAL_TASK_QUEUE: id, ADMIN_TOKEN: 'bench-fresh-token' });
  const worldDir = join(dataDir, 'world');
  console.error(`generating the ${PRESET} world`);
  await generateWorld({ preset: PRESET, seed: 42, outDir: worldDir });
  const { worker, close } = await createWorker(cfg);
  const running = worker.run();
  const connection = await Connection.connect({ address: cfg.TEMPORAL_ADDRESS });
  const client = new Client({ connection, namespace: cfg.TEMPORAL_NAMESPACE });
  console.error('retraining (one version to add titles to)');
  const live = (await client.workflow.execute('retrain', { taskQueue: id, workflowId: `${id}-retrain`, args: [{ worldDir }] })) as RetrainResult;

  const redis = new Redis(cfg.REDIS_URL, servingRedisOptions(apiOptions(cfg)));
  const store = new RedisFeedStore(redis, { prefix: id, circuitOpenMs: 500, subscriber: () => redis.duplicate({ enableOfflineQueue: true, commandTimeout: undefined }) });
  const app = createApp({
    cfg,
    store,
    titleAdder: { addTitle: async (t: Title) => ({ workflowId: (await client.workflow.start('addTitle', { taskQueue: id, workflowId: `${id}-add-${t.movie_id}`, args: [t] })).workflowId }) },
  });
  await app.start();
  const server = createServer(app.handler).listen(0);
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const items = runFiles.items(runDir(cfg, live.version));
  const users = runFiles.users(runDir(cfg, live.version));
  const genres = [...new Set(items.flatMap((t) => t.genres))].sort();
  const k = keys(id);
  const rows: Record<string, unknown>[] = [];
  for (let n = 0; n < TITLES; n++) {
    const genre = genres[n % genres.length];
    const movieId = `m-bench-fresh-${n}`;
    const t0 = performance.now();
    const res = await fetch(`${base}/titles`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer bench-fresh-token' }, body: JSON.stringify({ movie_id: movieId, title: `Fresh ${genre} ${n}`, year: 2026, genres: [genre], duration_seconds: 6000 }) });
    if (res.status !== 202) throw new Error(`POST /titles: ${res.status} ${await res.text()}`);
    const tAccepted = performance.now();
    const { workflow_id } = (await res.json()) as { workflow_id: string };
    await client.workflow.getHandle(workflow_id).result();
    const tWorkflow = performance.now();
    // the user whose factor matches the new title best
    const vec = (JSON.parse((await redis.hget(k.fresh, movieId))!) as { vector: number[] }).vector;
    let best = users[0];
    let bestScore = -Infinity;
    const pipe = redis.pipeline();
    for (const u of users) pipe.getBuffer(k.userList(live.version, u));
    const bufs = (await pipe.exec())!;
    bufs.forEach(([, b], i) => {
      const v = decodeUserList(b as Buffer).userVec;
      let s = 0;
      for (let f = 0; f < v.length; f++) s += v[f] * vec[f];
      if (s > bestScore) [best, bestScore] = [users[i], s];
    });
    let seen = -1;
    let requests = 0;
    while (seen < 0 && performance.now() - t0 < 60_000) {
      requests++;
      const f = (await (await fetch(`${base}/home-feed?user_id=${best}&limit=20`)).json()) as FeedResponse;
      if (f.items.some((it) => it.movie_id === movieId)) seen = performance.now();
      else await new Promise((r) => setTimeout(r, 20));
    }
    // The API logs every served page as an impression slate on the events stream (batched, async).
    let impression = -1;
    while (seen >= 0 && impression < 0 && performance.now() - seen < 5000) {
      const entries = (await redis.xrevrange(k.events, '+', '-', 'COUNT', 200)) as [string, string[]][];
      if (entries.some(([, f]) => f[1]?.includes('"event_type":"impression"') && f[1].includes(`"${movieId}"`))) impression = performance.now();
      else await new Promise((r) => setTimeout(r, 10));
    }
    const row = { movieId, genre, user: best, acceptedMs: tAccepted - t0, workflowDoneMs: tWorkflow - t0, firstInFeedSeconds: seen < 0 ? null : (seen - t0) / 1000, impressionInStreamSeconds: impression < 0 ? null : (impression - t0) / 1000, feedRequests: requests };
    rows.push(row);
    console.log(`${movieId} [${genre}] → ${best}: accepted ${row.acceptedMs.toFixed(0)} ms, workflow done ${row.workflowDoneMs.toFixed(0)} ms, first in feed ${row.firstInFeedSeconds?.toFixed(2) ?? 'never'} s (${requests} feed requests), impression on the stream ${row.impressionInStreamSeconds?.toFixed(2) ?? 'not seen'} s`);
  }
  const secs = rows.map((r) => r.firstInFeedSeconds as number | null).filter((x): x is number => x !== null).sort((a, b) => a - b);
  const summary = { titles: TITLES, appeared: secs.length, medianSeconds: secs[Math.floor(secs.length / 2)] ?? null, maxSeconds: secs[secs.length - 1] ?? null };
  console.log(`median ${summary.medianSeconds?.toFixed(2)} s, max ${summary.maxSeconds?.toFixed(2)} s, ${summary.appeared}/${TITLES} appeared (target ≤ 10 s)`);
  const out = join(dirname(fileURLToPath(import.meta.url)), 'results', 'fresh.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), preset: PRESET, cores: availableParallelism(), loadAverageAtEnd: loadavg(), summary, rows }, null, 2) + '\n');

  server.close();
  await app.close();
  const ks = await redis.keys(`${id}:*`);
  for (let i = 0; i < ks.length; i += 1000) await redis.del(...ks.slice(i, i + 1000));
  redis.disconnect();
  worker.shutdown();
  await running;
  await close();
  await connection.close();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

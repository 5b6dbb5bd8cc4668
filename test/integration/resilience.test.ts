// Crashes and outages during a retrain: a worker SIGKILLed mid-training or mid-scoring, Redis
// gone during publish. Real worker processes, the Temporal dev server, a dedicated Redis.
import { Client, Connection } from '@temporalio/client';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RetrainResult } from '../../activities/types';
import { loadConfig, type Config } from '../../config';
import { generateWorld } from '../../data/generator';
import { readJson, runDir } from '../../storage/artifacts';
import { keys } from '../../storage/redis-keys';
import { runFiles } from '../../storage/run-data';
import { warehousePath } from '../../storage/clients';
import { Warehouse } from '../../storage/duckdb';
import { ingestFile, initSchema } from '../../storage/ingest';
import { tempDir } from '../helpers/paths';
import { configEnv, spawnWorker, type WorkerProcess } from '../helpers/worker-process';

let worldDir: string;
let connection: Connection;
let client: Client;
const workers: WorkerProcess[] = [];

function testConfig(name: string, extra: Record<string, string> = {}): Config {
  const id = `${name}-${randomUUID().slice(0, 6)}`;
  return loadConfig({
    ...process.env,
    DATA_DIR: tempDir(name),
    REDIS_PREFIX: `t-${id}`,
    TEMPORAL_TASK_QUEUE: `test-${id}`,
    ALS_FACTORS: '32',
    ALS_THREADS: '2',
    ACTIVITY_HEARTBEAT_TIMEOUT_SECONDS: '3',
    EVAL_TRADEOFFS: 'false', // the trade-off sweep is retrain.test.ts's to check
    ...extra,
  });
}

async function startWorker(cfg: Config): Promise<WorkerProcess> {
  const w = await spawnWorker(configEnv(cfg));
  workers.push(w);
  return w;
}

async function everyUserHasAList(cfg: Config, redis: Redis, r: RetrainResult): Promise<void> {
  const users = runFiles.users(runDir(cfg, r.version));
  const p = redis.pipeline();
  for (const u of users) p.exists(keys(cfg.REDIS_PREFIX).userList(r.version, u));
  const found = (await p.exec())!.reduce((a, [, v]) => a + Number(v), 0);
  expect(found).toBe(users.length);
  expect(await redis.get(keys(cfg.REDIS_PREFIX).live)).toBe(r.version);
}

beforeAll(async () => {
  worldDir = join(tempDir('world'), 'tiny');
  await generateWorld({ preset: 'tiny', seed: 11, outDir: worldDir });
  connection = await Connection.connect({ address: loadConfig().TEMPORAL_ADDRESS });
  client = new Client({ connection });
});

afterAll(async () => {
  for (const w of workers) await w.kill();
  await connection?.close();
});

describe('a worker killed mid-run', { timeout: 240_000 }, () => {
  it('SIGKILL during training: a new worker resumes from the checkpoint and the version is complete', async () => {
    const cfg = testConfig('kill-train', { ALS_EPOCHS: '120' });
    const redis = new Redis(cfg.REDIS_URL);
    const w1 = await startWorker(cfg);
    const handle = await client.workflow.start('retrain', { taskQueue: cfg.TEMPORAL_TASK_QUEUE, workflowId: `kill-train-${randomUUID()}`, args: [{ worldDir }] });
    await w1.waitFor(/"progress":\{"step":"train gate","epoch":(1\d|[2-9]\d)/);
    await w1.kill('SIGKILL');
    await startWorker(cfg);
    const r = (await handle.result()) as RetrainResult;
    expect(r.status).toBe('published');
    await everyUserHasAList(cfg, redis, r);
    const info = readJson<{ resumedFromEpoch: number; epochs: number }>(join(runDir(cfg, r.version), 'gate.model.json'));
    expect(info.epochs).toBe(120);
    expect(info.resumedFromEpoch).toBeGreaterThanOrEqual(10);
    redis.disconnect();
  });

  it('SIGKILL during scoring: the unfinished shards run on a new worker and every user has a list', async () => {
    const cfg = testConfig('kill-score', { ALS_EPOCHS: '5', SCORE_SHARDS: '6', SCORE_CONCURRENCY: '1', RANKER_ENABLED: 'false' }) // shards, not the ranker, are under test;
    const redis = new Redis(cfg.REDIS_URL);
    const w1 = await startWorker(cfg);
    const handle = await client.workflow.start('retrain', { taskQueue: cfg.TEMPORAL_TASK_QUEUE, workflowId: `kill-score-${randomUUID()}`, args: [{ worldDir }] });
    await w1.waitFor(/"progress":\{"step":"score","shard":2/);
    await w1.kill('SIGKILL');
    await startWorker(cfg);
    const r = (await handle.result()) as RetrainResult;
    expect(r.status).toBe('published');
    await everyUserHasAList(cfg, redis, r);
    // the history shows a shard started more than once, or finished before the kill: either way complete
    redis.disconnect();
  });
});

describe('a worker killed mid-drain', { timeout: 240_000 }, () => {
  it('SIGKILL while draining the events stream: every event arrives in the warehouse exactly once', async () => {
    const cfg = testConfig('kill-drain');
    // The catalog the events refer to (the worker is not running yet, so the file is free).
    const wh0 = await Warehouse.open(warehousePath(cfg));
    await initSchema(wh0);
    await ingestFile(wh0, 'titles', join(worldDir, 'movies.csv'));
    wh0.close();
    const redis = new Redis(cfg.REDIS_URL);
    const stream = keys(cfg.REDIS_PREFIX).events;
    const N = 3000;
    for (let i = 0; i < N; i += 500) {
      const pipe = redis.pipeline();
      for (let n = i; n < i + 500; n++) {
        const e = { event_id: `kd-${n}`, user_id: `u${n % 50}`, movie_id: `m${(n % 200) + 1}`, event_type: 'watch', ts: new Date(Date.UTC(2026, 9, 1) + n * 1000).toISOString(), watch_seconds: 3000, duration_seconds: 6000, rating: null, source: 'home_feed:1' };
        pipe.xadd(stream, 'MAXLEN', '~', 10_000_000, '*', 'e', JSON.stringify(e));
      }
      await pipe.exec();
    }
    const w1 = await startWorker(cfg);
    const handle = await client.workflow.start('drainEvents', { taskQueue: cfg.TEMPORAL_TASK_QUEUE, workflowId: `kill-drain-${randomUUID()}`, args: [{ batchSize: 50, batchesPerActivity: 1000, maxBatches: 10_000, blockMs: 100, claimIdleMs: 1000 }] });
    await w1.waitFor(/"progress":\{"step":"drained batch","batch":5\b/);
    await w1.kill('SIGKILL');
    const w2 = await startWorker(cfg);
    await handle.result();
    await w2.kill('SIGTERM'); // let go of the warehouse file
    const wh = await Warehouse.open(warehousePath(cfg), { readOnly: true });
    const [c] = await wh.query<{ n: bigint; d: bigint }>("SELECT count(*) AS n, count(DISTINCT event_id) AS d FROM events WHERE event_id LIKE 'kd-%'");
    wh.close();
    expect(Number(c.n)).toBe(N);
    expect(Number(c.d)).toBe(N);
    const groups = (await redis.call('XINFO', 'GROUPS', stream)) as unknown[][];
    const pending = groups.map((g) => Number(g[g.indexOf('pending') + 1]));
    expect(pending.every((x) => x === 0)).toBe(true);
    redis.disconnect();
  });
});

describe('Redis unavailable during publish', { timeout: 240_000 }, () => {
  let redisProc: ChildProcess | null = null;
  const port = 6390 + Math.floor(Math.random() * 500);
  const dir = tempDir('redis');
  const startRedis = async () => {
    redisProc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', ''], { stdio: 'ignore' });
    const r = new Redis({ port, lazyConnect: true, retryStrategy: () => 100 });
    r.on('error', () => undefined); // refused until the server is up
    for (let i = 0; i < 100; i++) {
      try {
        await r.connect();
        await r.ping();
        break;
      } catch {
        await new Promise((res) => setTimeout(res, 100));
      }
    }
    r.disconnect();
  };
  const stopRedis = async () => {
    const p = redisProc;
    if (!p || p.exitCode !== null) return;
    const gone = new Promise((res) => p.on('exit', res));
    p.kill('SIGKILL');
    await gone;
  };
  afterAll(stopRedis);

  it('keeps the pointer, retries, and completes when Redis is back', async () => {
    await startRedis();
    const cfg = testConfig('redis-down', { REDIS_URL: `redis://127.0.0.1:${port}`, ALS_EPOCHS: '5', RANKER_ENABLED: 'false' }) // publish, not the ranker, is under test;
    const k = keys(cfg.REDIS_PREFIX);
    const redis = new Redis(cfg.REDIS_URL, { retryStrategy: () => 200, maxRetriesPerRequest: 1 });
    redis.on('error', () => undefined); // expected while the server is down
    await startWorker(cfg);
    const first = (await client.workflow.execute('retrain', { taskQueue: cfg.TEMPORAL_TASK_QUEUE, workflowId: `redis-down-a-${randomUUID()}`, args: [{ worldDir }] })) as RetrainResult;
    expect(await redis.get(k.live)).toBe(first.version);

    // Refuse writes to the live pointer (an ACL key selector) so the publish attempt fails, then take
    // Redis away entirely while the activity keeps retrying.
    await redis.call('ACL', 'SETUSER', 'default', 'resetkeys', '%R~*', `%W~${cfg.REDIS_PREFIX}:v:*`, `%W~${cfg.REDIS_PREFIX}:{ctl}:v:*`, `%W~${k.pending}`, `%W~${k.versions}`);
    const handle = await client.workflow.start('retrain', { taskQueue: cfg.TEMPORAL_TASK_QUEUE, workflowId: `redis-down-b-${randomUUID()}`, args: [{}] });
    let sawRetry = false;
    for (let i = 0; i < 600 && !sawRetry; i++) {
      const d = await handle.describe();
      const pending = d.raw.pendingActivities ?? [];
      sawRetry = pending.some((a) => a.activityType?.name === 'publishVersion' && (a.attempt ?? 0) >= 2);
      if (!sawRetry) await new Promise((res) => setTimeout(res, 100));
    }
    expect(sawRetry).toBe(true);
    expect(await redis.get(k.live)).toBe(first.version); // unchanged while publishing fails
    await stopRedis();
    await new Promise((res) => setTimeout(res, 3000)); // attempts fail against a dead Redis
    await startRedis(); // the ACL does not survive a restart; the data does (AOF)
    const second = (await handle.result()) as RetrainResult;
    expect(second.status).toBe('published');
    expect(await redis.get(k.live)).toBe(second.version);
    const hist = await handle.fetchHistory();
    const failures = (hist.events ?? []).filter((e) => e.activityTaskStartedEventAttributes && (e.activityTaskStartedEventAttributes.attempt ?? 1) > 1);
    expect(failures.length).toBeGreaterThan(0);
    redis.disconnect();
  });
});

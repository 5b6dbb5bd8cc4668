// A real pipeline for integration tests: a worker on its own task queue, DATA_DIR and Redis
// prefix, against the Temporal dev server and Redis that `npm test` brings up (no mocks).
import { Client, Connection } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { loadConfig, type Config } from '../../config';
import { createWorker } from '../../worker';
import { tempDir } from './paths';

export interface TestPipeline {
  cfg: Config;
  client: Client;
  redis: Redis;
  taskQueue: string;
  stopWorker(): Promise<void>;
  startWorker(): Promise<void>;
  close(): Promise<void>;
}

export async function startPipeline(name: string, env: Record<string, string> = {}): Promise<TestPipeline> {
  const id = `${name}-${randomUUID().slice(0, 8)}`;
  const cfg = loadConfig({
    ...process.env,
    DATA_DIR: tempDir(name),
    REDIS_PREFIX: `t-${id}`.slice(0, 32),
    TEMPORAL_TASK_QUEUE: `test-${id}`,
    ALS_FACTORS: '16',
    ALS_EPOCHS: '8',
    ALS_THREADS: '2',
    SCORE_SHARDS: '3',
    // The trade-off sweep re-evaluates the run a dozen times; retrain.test.ts turns it on and checks it.
    EVAL_TRADEOFFS: 'false',
    ...env,
  });
  const connection = await Connection.connect({ address: cfg.TEMPORAL_ADDRESS });
  const client = new Client({ connection, namespace: cfg.TEMPORAL_NAMESPACE });
  const redis = new Redis(cfg.REDIS_URL);
  let running: { done: Promise<void>; stop: () => Promise<void> } | null = null;
  const startWorker = async () => {
    const { worker, close } = await createWorker(cfg);
    const done = worker.run().finally(close);
    running = { done, stop: async () => { worker.shutdown(); await done; } };
  };
  const stopWorker = async () => {
    if (running) await running.stop();
    running = null;
  };
  await startWorker();
  return {
    cfg,
    client,
    redis,
    taskQueue: cfg.TEMPORAL_TASK_QUEUE,
    startWorker,
    stopWorker,
    async close() {
      await stopWorker();
      const keys = await redis.keys(`${cfg.REDIS_PREFIX}:*`);
      for (let i = 0; i < keys.length; i += 1000) await redis.del(...keys.slice(i, i + 1000));
      redis.disconnect();
      await connection.close();
    },
  };
}

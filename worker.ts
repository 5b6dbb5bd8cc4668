// Composition root of the pipeline: validate config → open DuckDB and Redis → activities →
// Temporal worker on the configured task queue. `npm run worker`.
import { NativeConnection, Worker } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';
import { createActivities } from './activities';
import { loadConfigOrExit, type Config } from './config';
import { redisClient, warehousePath } from './storage/clients';
import { Warehouse } from './storage/duckdb';
import { initSchema } from './storage/ingest';
import { VersionStore } from './storage/redis-versions';
import { ensureSearchAttributes } from './storage/search-attributes';

export const WORKFLOWS_PATH = fileURLToPath(new URL('./workflows/index.ts', import.meta.url));

/** Build a worker (not yet running) and a close() for its resources. */
export async function createWorker(cfg: Config, opts: { taskQueue?: string } = {}) {
  const wh = await Warehouse.open(warehousePath(cfg));
  await initSchema(wh);
  const redis = redisClient(cfg);
  const versions = new VersionStore(redis, cfg.REDIS_PREFIX, cfg.USER_LIST_TTL_SECONDS);
  await ensureSearchAttributes(cfg.TEMPORAL_ADDRESS, cfg.TEMPORAL_NAMESPACE);
  const connection = await NativeConnection.connect({ address: cfg.TEMPORAL_ADDRESS });
  const worker = await Worker.create({
    connection,
    namespace: cfg.TEMPORAL_NAMESPACE,
    taskQueue: opts.taskQueue ?? cfg.TEMPORAL_TASK_QUEUE,
    workflowsPath: WORKFLOWS_PATH,
    activities: createActivities({ cfg, wh, redis, versions }),
    maxConcurrentActivityTaskExecutions: 4,
  });
  const close = async () => {
    await connection.close();
    redis.disconnect();
    wh.close();
  };
  return { worker, close };
}

async function main() {
  const cfg = loadConfigOrExit();
  const { worker, close } = await createWorker(cfg);
  console.error(`worker: task queue ${cfg.TEMPORAL_TASK_QUEUE} on ${cfg.TEMPORAL_ADDRESS} (namespace ${cfg.TEMPORAL_NAMESPACE}), data in ${cfg.DATA_DIR}`);
  await worker.run(); // returns after SIGINT/SIGTERM (the SDK's default shutdown signals)
  await close();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}

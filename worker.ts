// Composition root of the pipeline: validate config → open DuckDB and Redis → activities →
// Temporal worker on the configured task queue. `npm run worker`. Logs through pino (the SDK's
// logger too, so activity lines carry workflowId and activityType); Prometheus metrics on
// WORKER_METRICS_PORT.
import { NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';
import { createActivities } from './activities';
import { loadConfigOrExit, type Config } from './config';
import { redisClient, warehousePath } from './storage/clients';
import { Warehouse } from './storage/duckdb';
import { initSchema } from './storage/ingest';
import { VersionStore } from './storage/redis-versions';
import { ensureSearchAttributes } from './storage/search-attributes';
import { createLogger, temporalLogger } from './observability/log';
import { startMetricsServer } from './observability/metrics-server';
import { instrumentActivities, WorkerMetrics } from './observability/worker-metrics';

export const WORKFLOWS_PATH = fileURLToPath(new URL('./workflows/index.ts', import.meta.url));

/** Build a worker (not yet running), its metrics and a close() for its resources. */
export async function createWorker(cfg: Config, opts: { taskQueue?: string; metrics?: WorkerMetrics } = {}) {
  const metrics = opts.metrics ?? new WorkerMetrics();
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
    activities: instrumentActivities(createActivities({ cfg, wh, redis, versions }), metrics),
    maxConcurrentActivityTaskExecutions: 4,
  });
  const close = async () => {
    await connection.close();
    redis.disconnect();
    wh.close();
  };
  return { worker, metrics, close };
}

async function main() {
  const cfg = loadConfigOrExit();
  const log = createLogger({ name: 'worker', level: cfg.LOG_LEVEL });
  // Before any connection: the SDK's lines (and the native core's warnings) go through pino.
  Runtime.install({ logger: temporalLogger(log), telemetryOptions: { logging: { filter: { core: 'WARN', other: 'ERROR' }, forward: {} } } });
  const { worker, metrics, close } = await createWorker(cfg);
  let metricsServer: Awaited<ReturnType<typeof startMetricsServer>> | null = null;
  if (cfg.WORKER_METRICS_PORT > 0) {
    // Metrics are not worth a dead worker: a taken port is logged and the pipeline runs on.
    metricsServer = await startMetricsServer(metrics.registry, cfg.WORKER_METRICS_PORT).catch((e: Error) => {
      log.error({ err: e, port: cfg.WORKER_METRICS_PORT }, 'worker metrics server could not start; running without /metrics');
      return null;
    });
    if (metricsServer) log.info({ port: metricsServer.port }, 'worker metrics on /metrics');
  }
  log.info({ taskQueue: cfg.TEMPORAL_TASK_QUEUE, address: cfg.TEMPORAL_ADDRESS, namespace: cfg.TEMPORAL_NAMESPACE, dataDir: cfg.DATA_DIR }, `worker: task queue ${cfg.TEMPORAL_TASK_QUEUE} on ${cfg.TEMPORAL_ADDRESS} (namespace ${cfg.TEMPORAL_NAMESPACE}), data in ${cfg.DATA_DIR}`);
  await worker.run(); // returns after SIGINT/SIGTERM (the SDK's default shutdown signals)
  await metricsServer?.close();
  await close();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}

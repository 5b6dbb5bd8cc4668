// Composition root of the pipeline: validate config → open DuckDB and Redis → activities →
// Temporal workers, one per role's task queue (workflows/task-queues.ts). `npm run worker`
// takes every role; `npm run worker -- --roles train` (or WORKER_ROLES) only some. Logs through
// pino (the SDK's logger too, so activity lines carry workflowId and activityType); Prometheus
// metrics on WORKER_METRICS_PORT.
import { NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createActivities } from './activities';
import { loadConfigOrExit, type Config } from './config';
import { redisClient, warehousePath } from './storage/clients';
import { Warehouse } from './storage/duckdb';
import { initSchema } from './storage/ingest';
import { VersionStore } from './storage/redis-versions';
import { ensureSearchAttributes } from './storage/search-attributes';
import { parseRoles, roleOf, roleQueue, type Role } from './workflows/task-queues';
import { createLogger, temporalLogger } from './observability/log';
import { startMetricsServer } from './observability/metrics-server';
import { instrumentActivities, WorkerMetrics } from './observability/worker-metrics';

export const WORKFLOWS_PATH = fileURLToPath(new URL('./workflows/index.ts', import.meta.url));

/** A stand-in for the warehouse in a process without the warehouse role: any use is a routing bug. */
function noWarehouse(roles: Role[]): Warehouse {
  return new Proxy({} as Warehouse, {
    get(_t, prop) {
      if (prop === 'then') return undefined; // not a promise
      throw new Error(`this worker (roles ${roles.join(',')}) has no warehouse; an activity that uses it (touched .${String(prop)}) must run on the warehouse role`);
    },
  });
}

/**
 * Build the workers of `roles` (not yet running) and a close() for their resources. Only the
 * warehouse role opens DuckDB (one process owns it); train and score workers open Redis and read
 * run artifacts from DATA_DIR.
 */
export async function createWorker(cfg: Config, opts: { taskQueue?: string; roles?: Role[]; identity?: string; metrics?: WorkerMetrics } = {}) {
  const roles = opts.roles ?? parseRoles(cfg.WORKER_ROLES);
  const metrics = opts.metrics ?? new WorkerMetrics();
  const base = opts.taskQueue ?? cfg.TEMPORAL_TASK_QUEUE;
  const settings = cfg.DUCKDB_MEMORY_LIMIT ? { memory_limit: cfg.DUCKDB_MEMORY_LIMIT } : undefined;
  const wh = roles.includes('warehouse') ? await Warehouse.open(warehousePath(cfg), { settings }) : noWarehouse(roles);
  if (roles.includes('warehouse')) await initSchema(wh);
  const redis = redisClient(cfg);
  const versions = new VersionStore(redis, cfg.REDIS_PREFIX, cfg.USER_LIST_TTL_SECONDS);
  const all = instrumentActivities(createActivities({ cfg, wh, redis, versions }), metrics);
  if (roles.includes('warehouse')) await ensureSearchAttributes(cfg.TEMPORAL_ADDRESS, cfg.TEMPORAL_NAMESPACE);
  const connection = await NativeConnection.connect({ address: cfg.TEMPORAL_ADDRESS });
  const identity = opts.identity ?? `${process.pid}@${hostname()}`;
  const workers: Worker[] = [];
  for (const role of roles) {
    const activities = Object.fromEntries(Object.entries(all).filter(([name]) => roleOf(name) === role));
    workers.push(await Worker.create({
      connection,
      namespace: cfg.TEMPORAL_NAMESPACE,
      taskQueue: roleQueue(base, role),
      identity: `${identity}/${role}`,
      // The warehouse queue also runs the workflows; train and score workers run activities only.
      // A bundle built ahead (WORKFLOW_BUNDLE_PATH) saves the ~3 s webpack run of every start.
      ...(role === 'warehouse' ? (cfg.WORKFLOW_BUNDLE_PATH ? { workflowBundle: { codePath: cfg.WORKFLOW_BUNDLE_PATH } } : { workflowsPath: WORKFLOWS_PATH }) : {}),
      activities,
      maxConcurrentActivityTaskExecutions: cfg.WORKER_MAX_ACTIVITIES,
    }));
  }
  const worker = {
    queues: roles.map((r) => roleQueue(base, r)),
    /** Runs every role's worker; returns when all have shut down (SIGINT/SIGTERM, or shutdown()). */
    async run(): Promise<void> {
      // One role's worker failing stops the others: the process is one unit for its supervisor.
      await Promise.all(workers.map((w) => w.run().catch((e: unknown) => {
        worker.shutdown();
        throw e;
      })));
    },
    shutdown(): void {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
    },
  };
  const close = async () => {
    await connection.close();
    redis.disconnect();
    if (roles.includes('warehouse')) wh.close();
  };
  return { worker, metrics, close };
}

async function main() {
  const cfg = loadConfigOrExit();
  const { values } = parseArgs({ options: { roles: { type: 'string' } }, allowPositionals: false });
  let roles: Role[];
  try {
    roles = parseRoles(values.roles ?? cfg.WORKER_ROLES);
  } catch (e) {
    console.error(`worker: --roles: ${(e as Error).message}`);
    process.exit(2);
  }
  const log = createLogger({ name: 'worker', level: cfg.LOG_LEVEL });
  // Before any connection: the SDK's lines (and the native core's warnings) go through pino.
  Runtime.install({ logger: temporalLogger(log), telemetryOptions: { logging: { filter: { core: 'WARN', other: 'ERROR' }, forward: {} } } });
  const { worker, metrics, close } = await createWorker(cfg, { roles });
  let metricsServer: Awaited<ReturnType<typeof startMetricsServer>> | null = null;
  if (cfg.WORKER_METRICS_PORT > 0) {
    // Metrics are not worth a dead worker: a taken port is logged and the pipeline runs on.
    metricsServer = await startMetricsServer(metrics.registry, cfg.WORKER_METRICS_PORT).catch((e: Error) => {
      log.error({ err: e, port: cfg.WORKER_METRICS_PORT }, 'worker metrics server could not start; running without /metrics');
      return null;
    });
    if (metricsServer) log.info({ port: metricsServer.port }, 'worker metrics on /metrics');
  }
  log.info({ queues: worker.queues, roles, address: cfg.TEMPORAL_ADDRESS, namespace: cfg.TEMPORAL_NAMESPACE, dataDir: cfg.DATA_DIR }, `worker: task queue ${worker.queues.join(', ')} (roles ${roles.join(',')}) on ${cfg.TEMPORAL_ADDRESS} (namespace ${cfg.TEMPORAL_NAMESPACE}), data in ${cfg.DATA_DIR}`);
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

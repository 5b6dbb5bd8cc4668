// Entry point of the API: validated configuration → real clients (ioredis, Temporal) → app →
// listen. The only place in api/ that builds clients. Refuses to start (exit 2) without an
// explicit ADMIN_TOKEN outside demo/test mode. SIGTERM/SIGINT: stop accepting, finish in-flight
// requests, flush buffered events and counts, close clients.
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { Redis, type RedisOptions } from 'ioredis';
import { adminTokenProblem, loadConfigOrExit, type Config } from '../config';
import type { Title } from '../model/types';
import { createLogger } from '../observability/log';
import { createApp, type TitleAdder } from './app';
import { isClusterWorker, procsFromArgv, runPrimary } from './cluster';
import { apiOptions, type ApiOptions } from './schemas';
import { RedisFeedStore } from './store';

/** ioredis tuned for serving: fail fast while disconnected, short timeouts, reconnect forever. */
export function servingRedisOptions(o: ApiOptions): RedisOptions {
  return {
    connectTimeout: o.REDIS_CONNECT_TIMEOUT_MS,
    commandTimeout: o.REDIS_COMMAND_TIMEOUT_MS,
    enableOfflineQueue: false,
    // No auto-pipelining: its Pipeline objects outlive scavenges under load (api/store.ts readFeed).
    enableAutoPipelining: false,
    maxRetriesPerRequest: 0,
    retryStrategy: (times) => Math.min(50 * times, 1000),
    lazyConnect: false,
  };
}

/** Starts the addTitle workflow on the pipeline's task queue; connects on first use. */
function temporalTitleAdder(cfg: Config): TitleAdder & { close(): Promise<void> } {
  let client: Promise<{ start: (t: Title) => Promise<string>; close: () => Promise<void> }> | null = null;
  const connect = async () => {
    const { Connection, Client } = await import('@temporalio/client');
    const connection = await Connection.connect({ address: cfg.TEMPORAL_ADDRESS, connectTimeout: 2000 });
    const c = new Client({ connection, namespace: cfg.TEMPORAL_NAMESPACE });
    return {
      start: async (t: Title) => {
        const handle = await c.workflow.start('addTitle', { taskQueue: cfg.TEMPORAL_TASK_QUEUE, workflowId: `add-title-${t.movie_id}`, args: [t] });
        return handle.workflowId;
      },
      close: () => connection.close(),
    };
  };
  return {
    async addTitle(t) {
      if (!client) client = connect().catch((e) => ((client = null), Promise.reject(e)));
      return { workflowId: await (await client).start(t) };
    },
    async close() {
      if (client) await (await client.catch(() => null))?.close();
    },
  };
}

export async function main(): Promise<void> {
  const cfg = loadConfigOrExit();
  const tokenProblem = adminTokenProblem(cfg);
  if (tokenProblem) {
    console.error(tokenProblem);
    process.exit(2);
  }
  // Before the catalog is loaded; each cluster worker runs this too.
  if (cfg.API_HEAP_GROWING_PERCENT > 0) setFlagsFromString(`--heap-growing-percent=${cfg.API_HEAP_GROWING_PERCENT}`);
  const procs = procsFromArgv(process.argv, cfg.API_PROCS);
  if (procs > 1 && !isClusterWorker()) return runPrimary(procs);
  let opts: ApiOptions;
  try {
    opts = apiOptions(cfg);
  } catch (e) {
    console.error(`invalid API options: ${(e as Error).message}`);
    process.exit(2);
  }
  const redis = new Redis(cfg.REDIS_URL, servingRedisOptions(opts));
  redis.on('error', () => {}); // the circuit and the fallback handle outages; don't crash on 'error'
  const bulk = redis.duplicate({ enableAutoPipelining: false, commandTimeout: 30_000 });
  bulk.on('error', () => {});
  const store = new RedisFeedStore(redis, {
    prefix: cfg.REDIS_PREFIX,
    bulk,
    circuitOpenMs: opts.REDIS_CIRCUIT_OPEN_MS,
    subscriber: () => {
      const sub = redis.duplicate({ enableOfflineQueue: true, enableAutoPipelining: false, commandTimeout: undefined });
      sub.on('error', () => {});
      return sub;
    },
  });
  const titleAdder = temporalTitleAdder(cfg);
  const logger = createLogger({ name: 'api', level: cfg.LOG_LEVEL });
  const app = createApp({ cfg, store, titleAdder, logger });

  // Give Redis one connect timeout before the first load; the poll keeps trying after that.
  await Promise.race([once(redis, 'ready'), new Promise((r) => setTimeout(r, opts.REDIS_CONNECT_TIMEOUT_MS * 2))]);
  await app.start();

  const server = createServer(app.handler).listen(cfg.PORT);
  await once(server, 'listening');
  server.keepAliveTimeout = 65_000; // longer than typical load-balancer idle timeouts
  server.headersTimeout = 66_000;
  const { port } = server.address() as AddressInfo;
  logger.info({ port, prefix: cfg.REDIS_PREFIX, model_version: app.state.snapshot()?.v.version ?? null }, 'api listening');

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    await new Promise<void>((r) => {
      server.close(() => r());
      server.closeIdleConnections();
    });
    await app.close();
    await titleAdder.close().catch(() => {});
    await redis.quit().catch(() => redis.disconnect());
    bulk.disconnect();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('api/server.ts')) void main();

// Building real clients from configuration: only entry points (worker.ts, api/server.ts, cli/)
// call these. Nothing connects on import.
import { Client, Connection } from '@temporalio/client';
import { Redis } from 'ioredis';
import { join } from 'node:path';
import type { Config } from '../config';

export function warehousePath(cfg: Config): string {
  return join(cfg.DATA_DIR, 'warehouse', 'warehouse.duckdb');
}

export function redisClient(cfg: Config, opts: { lazy?: boolean } = {}): Redis {
  return new Redis(cfg.REDIS_URL, { maxRetriesPerRequest: 3, lazyConnect: opts.lazy ?? false, connectTimeout: 2000 });
}

export async function temporalClient(cfg: Config): Promise<{ client: Client; connection: Connection }> {
  const connection = await Connection.connect({ address: cfg.TEMPORAL_ADDRESS });
  return { client: new Client({ connection, namespace: cfg.TEMPORAL_NAMESPACE }), connection };
}

// What activities receive from the composition root (worker.ts): open clients, no globals.
import type { Redis } from 'ioredis';
import type { Config } from '../config';
import type { Warehouse } from '../storage/duckdb';
import type { VersionStore } from '../storage/redis-versions';

export interface ActivityDeps {
  cfg: Config;
  wh: Warehouse;
  redis: Redis;
  versions: VersionStore;
}

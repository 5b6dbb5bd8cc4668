// A redis-server of a test's own, on a spare port, with the project's persistence (AOF,
// appendfsync everysec, as scripts/services.sh starts it): a test may kill and restart it without
// touching the shared instance.
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { freePort, startRedisServer } from '../../scripts/redis-server';
import { tempDir } from './paths';

export { freePort };

export interface PrivateRedis {
  url: string;
  port: number;
  /** SIGKILL the server (a crash: only what reached the AOF survives). */
  kill(): Promise<void>;
  /** Start it again on the same port and directory (the AOF is replayed). */
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function privateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = tempDir('redis');
  let proc: ChildProcess | null = null;
  const start = async () => {
    proc = await startRedisServer(port, dir);
  };
  const kill = async () => {
    const p = proc;
    proc = null;
    if (!p || p.exitCode !== null) return;
    p.kill('SIGKILL');
    await once(p, 'exit');
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    kill,
    start,
    async close() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// `api/server.ts --procs N` (node:cluster) on the real Redis: N workers share one port, a worker
// that dies is replaced, and SIGTERM drains them all.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config';
import { freePort } from '../../scripts/redis-server';
import { tempDir } from '../helpers/paths';


const children = (pid: number): number[] => {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
};

async function until<T>(f: () => T | Promise<T>, ok: (x: T) => boolean, ms: number): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const x = await f();
    if (ok(x) || Date.now() > end) return x;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('running the API as several processes', () => {
  it('with --procs 2, two workers answer on one port; a killed worker is replaced; SIGTERM drains both and exits 0', async () => {
    const port = await freePort();
    const prefix = `t-cluster-${randomBytes(3).toString('hex')}`;
    const proc = spawn(process.execPath, ['--import', 'tsx', 'api/server.ts', '--procs', '2'], {
      env: { ...process.env, RECS_ENV: 'demo', PORT: String(port), REDIS_PREFIX: prefix, DATA_DIR: tempDir('api-cluster') },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const exited = new Promise<number | null>((r) => proc.on('exit', (c) => r(c)));
    try {
      const healthy = () => fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status, () => 0);
      expect(await until(healthy, (s) => s === 200, 30_000)).toBe(200);
      const workers = await until(() => children(proc.pid!), (w) => w.length === 2, 30_000);
      expect(workers).toHaveLength(2);

      process.kill(workers[0], 'SIGKILL');
      const after = await until(() => children(proc.pid!), (w) => w.length === 2 && !w.includes(workers[0]), 30_000);
      expect(after).toHaveLength(2);
      expect(after).not.toContain(workers[0]);
      expect(after).toContain(workers[1]);
      expect(await healthy()).toBe(200);

      proc.kill('SIGTERM');
      expect(await exited).toBe(0);
      for (const w of after) expect(() => process.kill(w, 0)).toThrow();
    } finally {
      if (proc.exitCode === null) proc.kill('SIGKILL');
      const redis = new Redis(loadConfig().REDIS_URL);
      const left = await redis.keys(`${prefix}:*`);
      if (left.length) await redis.del(...left);
      redis.disconnect();
    }
  }, 120_000);
});

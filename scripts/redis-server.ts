// A redis-server of one's own on a spare port, with the project's persistence (AOF, appendfsync
// everysec, as scripts/services.sh starts it): for tests and benchmarks that kill and restart
// Redis without touching the shared instance. Development tooling, not part of the product.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { Redis } from 'ioredis';

export async function freePort(): Promise<number> {
  const s = createServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

/** Start redis-server on 127.0.0.1:port with its data in dir; resolves once a read works. */
export async function startRedisServer(port: number, dir: string): Promise<ChildProcess> {
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', ''], { stdio: 'ignore' });
  const probe = new Redis(port, '127.0.0.1', { lazyConnect: true, retryStrategy: () => 50, maxRetriesPerRequest: null });
  probe.on('error', () => {});
  await probe.connect().catch(() => {});
  // PING answers while the AOF is still loading (LOADING error); wait until a read works.
  for (;;) {
    try {
      await probe.get('probe');
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  probe.disconnect();
  return proc;
}

// N API processes on one port (node:cluster): the primary forks API_PROCS workers that share the
// listening socket (the primary hands out connections round-robin; a keep-alive connection stays
// with one worker), restarts a worker that dies, and on SIGTERM/SIGINT asks every worker to drain
// (each runs api/server.ts's own shutdown: stop accepting, finish in-flight requests, flush) and
// exits once they all have. Each worker is a full API instance: its own Redis connections, its
// own in-memory catalog and state, refreshed on publish like any other instance.
import cluster, { type Worker } from 'node:cluster';

/** `--procs N` on the command line wins over API_PROCS. */
export function procsFromArgv(argv: string[], fallback: number): number {
  const i = argv.indexOf('--procs');
  if (i < 0) return fallback;
  const n = Number(argv[i + 1]);
  if (!Number.isInteger(n) || n < 1 || n > 256) {
    console.error(`--procs must be an integer in [1, 256], got "${argv[i + 1] ?? ''}"`);
    process.exit(2);
  }
  return n;
}

export const isClusterWorker = () => cluster.isWorker;

/** Runs the primary: forks `procs` workers, restarts the ones that die, drains all on a signal. */
export function runPrimary(procs: number, restartDelayMs = 1000): void {
  let stopping = false;
  const log = (msg: string, extra: Record<string, unknown> = {}) => console.log(JSON.stringify({ level: 'info', msg, ...extra }));
  const fork = (): Worker => cluster.fork();
  cluster.on('exit', (w, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    log('api worker died; restarting', { pid: w.process.pid, code, signal });
    setTimeout(() => !stopping && fork(), restartDelayMs).unref();
  });
  for (let i = 0; i < procs; i++) fork();
  log('api primary', { pid: process.pid, procs });
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log('api primary draining workers', { signal });
    const alive = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w);
    if (alive.length === 0) process.exit(0);
    for (const w of alive) w.process.kill('SIGTERM');
    setTimeout(() => process.exit(1), 15_000).unref(); // workers force-exit at 10 s themselves
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

// A worker as a separate OS process, so a test can SIGKILL it mid-step like a crashed machine.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Config } from '../../config';
import { outputLines } from '../../scripts/output-lines';
import { ROOT } from './paths';

export interface WorkerProcess {
  proc: ChildProcess;
  /** Resolves with the first output line that matches. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<string>;
  kill(signal?: NodeJS.Signals): Promise<void>;
  output(): string;
}

export function configEnv(cfg: Config, extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(cfg)) env[k] = Array.isArray(v) ? v.join(',') : String(v);
  return { ...env, ...extra };
}

export async function spawnWorker(env: Record<string, string>): Promise<WorkerProcess> {
  const proc = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'worker.ts')], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const lines = outputLines(proc, (d) => (out += d.toString()));
  const w: WorkerProcess = {
    proc,
    output: () => out,
    waitFor(re, timeoutMs = 120_000) {
      return lines.waitFor(re, timeoutMs, (why, code) => new Error(`worker ${why === 'timeout' ? 'output never matched' : `exited (${code}) before printing`} ${re}; output:\n${out.slice(-3000)}`));
    },
    async kill(signal = 'SIGKILL') {
      if (proc.exitCode === null) proc.kill(signal);
      await lines.exited;
    },
  };
  await w.waitFor(/worker: task queue/, 60_000);
  return w;
}

// A worker as a separate OS process, so a test can SIGKILL it mid-step like a crashed machine.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Config } from '../../config';
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
  const waiters: { re: RegExp; resolve: (l: string) => void }[] = [];
  const onData = (d: Buffer) => {
    const text = d.toString();
    out += text;
    for (const line of text.split('\n')) {
      for (let i = waiters.length - 1; i >= 0; i--) {
        if (waiters[i].re.test(line)) {
          waiters[i].resolve(line);
          waiters.splice(i, 1);
        }
      }
    }
  };
  proc.stdout!.on('data', onData);
  proc.stderr!.on('data', onData);
  const exited = new Promise<void>((r) => proc.on('exit', () => r()));
  const w: WorkerProcess = {
    proc,
    output: () => out,
    waitFor(re, timeoutMs = 120_000) {
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`worker output never matched ${re}; output:\n${out.slice(-3000)}`)), timeoutMs);
        waiters.push({ re, resolve: (l) => { clearTimeout(t); resolve(l); } });
      });
    },
    async kill(signal = 'SIGKILL') {
      if (proc.exitCode === null) proc.kill(signal);
      await exited;
    },
  };
  await w.waitFor(/worker: task queue/, 60_000);
  return w;
}

// Run the `recs` CLI as a separate process with a test pipeline's configuration in its environment.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Config } from '../../config';
import { ROOT } from './paths';
import { configEnv } from './worker-process';

export function runRecs(cfg: Config, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'cli', 'index.ts'), ...args], { cwd: ROOT, env: { ...process.env, ...configEnv(cfg) } });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d) => (stdout += d));
    c.stderr.on('data', (d) => (stderr += d));
    c.on('exit', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

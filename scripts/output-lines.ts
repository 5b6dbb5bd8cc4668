// The lines a child process prints, and waiting for one that matches: for tests and benchmarks
// that drive workers as separate processes. Development tooling, not part of the product.
import type { ChildProcess } from 'node:child_process';

export interface OutputLines {
  /** Exit code (null after a signal), once the process has exited. */
  exited: Promise<number | null>;
  /**
   * The first complete line from now on that matches `re`. Rejects with fail('timeout') after
   * timeoutMs, or with fail('exit') when the process exits first.
   */
  waitFor(re: RegExp, timeoutMs: number, fail: (why: 'timeout' | 'exit', code: number | null) => Error): Promise<string>;
}

/** Watch proc's stdout and stderr (both piped); every chunk also goes to onChunk. */
export function outputLines(proc: ChildProcess, onChunk: (d: Buffer) => void = () => {}): OutputLines {
  const waiters: { re: RegExp; resolve: (line: string) => void }[] = [];
  let tail = '';
  const onData = (d: Buffer) => {
    onChunk(d);
    const lines = (tail + d.toString()).split('\n');
    tail = lines.pop() ?? ''; // a line split across chunks is matched once complete
    for (const line of lines) {
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
  const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  return {
    exited,
    waitFor(re, timeoutMs, fail) {
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(fail('timeout', null)), timeoutMs);
        waiters.push({ re, resolve: (line) => { clearTimeout(t); resolve(line); } });
        void exited.then((code) => { clearTimeout(t); reject(fail('exit', code)); });
      });
    },
  };
}

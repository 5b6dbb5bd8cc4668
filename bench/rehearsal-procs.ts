// The processes of a rehearsal (bench/rehearsal.ts) and what they cost: each child's output goes
// to a log file, and a sampler reads /proc every second for every process it watches — peak RSS
// (VmHWM, kept by the sampler since a killed process takes its own with it) and CPU-seconds
// (utime + stime, all threads), as a timeline so a step's CPU is the difference across its span.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { outputLines } from '../scripts/output-lines';

const CLK_TCK = 100; // Linux's USER_HZ: /proc/<pid>/stat counts CPU in hundredths of a second

export interface Proc {
  name: string;
  proc: ChildProcess;
  pid: number;
  /** Resolves with the first output line that matches. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<string>;
  exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Spawn a command with its stdout and stderr appended to logPath. */
export function spawnLogged(name: string, cmd: string, args: string[], env: NodeJS.ProcessEnv, logPath: string, cwd: string): Proc {
  const proc = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = createWriteStream(logPath, { flags: 'a' });
  const lines = outputLines(proc, (d) => log.write(d));
  const exited = lines.exited.then((code) => { log.end(); return code; });
  return {
    name,
    proc,
    pid: proc.pid!,
    exited,
    waitFor(re, timeoutMs = 180_000) {
      return lines.waitFor(re, timeoutMs, (why, code) => new Error(why === 'timeout' ? `${name} never printed ${re} (see ${logPath})` : `${name} exited (${code}) before printing ${re} (see ${logPath})`));
    },
    async kill(signal = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      await exited;
    },
  };
}

interface Sample {
  t: number; // ms since epoch
  cpu: number; // CPU-seconds so far
}

export interface ProcStats {
  name: string;
  pid: number;
  peakRssMB: number;
  cpuSeconds: number;
  firstSeen: string;
  lastSeen: string;
}

/** Reads /proc/<pid>/{status,stat} of every watched process once a second. */
export class ProcSampler {
  private readonly watched = new Map<number, { name: string; peakKb: number; samples: Sample[] }>();
  private readonly timer: NodeJS.Timeout;

  constructor(everyMs = 1000) {
    this.timer = setInterval(() => this.sampleAll(), everyMs);
  }

  watch(name: string, pid: number): void {
    this.watched.set(pid, { name, peakKb: 0, samples: [] });
    this.sample(pid);
  }

  sampleAll(): void {
    for (const pid of this.watched.keys()) this.sample(pid);
  }

  private sample(pid: number): void {
    const w = this.watched.get(pid)!;
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
      if (hwm) w.peakKb = Math.max(w.peakKb, Number(hwm[1]));
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from 3 (state) on
      const cpu = (Number(fields[11]) + Number(fields[12])) / CLK_TCK; // utime, stime (fields 14, 15)
      w.samples.push({ t: Date.now(), cpu });
    } catch {
      // exited (or a zombie being reaped): its last sample stands
    }
  }

  /** CPU-seconds process pid used between two instants (interpolated between samples). */
  cpuBetween(pid: number, fromMs: number, toMs: number): number | null {
    const w = this.watched.get(pid);
    if (!w || w.samples.length === 0) return null;
    return Math.max(0, cpuAt(w.samples, toMs) - cpuAt(w.samples, fromMs));
  }

  stats(): ProcStats[] {
    return [...this.watched.entries()].map(([pid, w]) => ({
      name: w.name,
      pid,
      peakRssMB: Math.round(w.peakKb / 1024),
      cpuSeconds: round1(w.samples.at(-1)?.cpu ?? 0),
      firstSeen: new Date(w.samples[0]?.t ?? 0).toISOString(),
      lastSeen: new Date(w.samples.at(-1)?.t ?? 0).toISOString(),
    }));
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

function cpuAt(s: Sample[], t: number): number {
  if (t <= s[0].t) return 0; // before the first sample: the process had barely started
  if (t >= s[s.length - 1].t) return s[s.length - 1].cpu;
  let lo = 0;
  let hi = s.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (s[mid].t <= t) lo = mid;
    else hi = mid;
  }
  const f = (t - s[lo].t) / Math.max(1, s[hi].t - s[lo].t);
  return s[lo].cpu + f * (s[hi].cpu - s[lo].cpu);
}

export const round1 = (x: number) => Math.round(x * 10) / 10;

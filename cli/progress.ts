// Progress and tables for the `recs` CLI, shared by every subcommand and the benchmarks.
//   • createProgress: a bar with rows/s and ETA on a TTY (cli-progress), and otherwise one plain
//     line every PROGRESS_LOG_SECONDS — logs and the demo stay readable, never a wall of \r.
//   • createStepProgress: the current step of a long-running job (a retrain) with that step's
//     own progress; on a TTY a bar, otherwise one line per step.
//   • formatTable: aligned text columns for figures.
// Everything writes to stderr (stdout carries the command's JSON), and the clock and stream
// can be injected so the non-TTY lines are testable.
import { SingleBar } from 'cli-progress';

export interface ProgressSink {
  isTTY?: boolean;
  write(s: string): unknown;
}

export interface ProgressOptions {
  /** What is counted, in the plural ("rows"), unless a phase names its own. */
  unit: string;
  /** Non-TTY: at most one line per this many seconds (the last line always prints). */
  everySeconds: number;
  stream?: ProgressSink;
  now?: () => number; // ms
}

export interface Progress {
  /** Start (or restart) a phase of `total` units (0 = unknown), counted in `unit` (default: the options' unit). */
  phase(label: string, total: number, unit?: string): void;
  update(done: number): void;
  /** A message between updates (a warning, a finished phase), never lost in the bar. */
  note(msg: string): void;
  stop(): void;
}

const plain = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e4 ? `${(n / 1e3).toFixed(1)}k` : String(Math.round(n)));

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '?';
  if (s < 60) return `${Math.round(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** The non-TTY line: "write events: 250.0k/1.00M events (25%), 120.5k events/s, ETA 6s". */
export function progressLine(label: string, unit: string, done: number, total: number, elapsedSeconds: number): string {
  const rate = elapsedSeconds > 0 ? done / elapsedSeconds : 0;
  const count = total > 0 ? `${plain(done)}/${plain(total)} ${unit} (${Math.floor((100 * done) / total)}%)` : `${plain(done)} ${unit}`;
  const eta = total > 0 && rate > 0 && done < total ? `, ETA ${formatSeconds((total - done) / rate)}` : '';
  return `${label}: ${count}, ${plain(rate)} ${unit}/s${eta}`;
}

export function createProgress(opts: ProgressOptions): Progress {
  const stream = opts.stream ?? process.stderr;
  const now = opts.now ?? (() => performance.now());
  let label = '';
  let unit = opts.unit;
  let total = 0;
  let done = 0;
  let started = now();
  let lastLine = -Infinity;
  let printed = -1; // the count the last non-TTY line showed
  let bar: SingleBar | null = null;
  let running = false; // the TTY bar is on screen
  const rate = () => plain(done / Math.max(1e-3, (now() - started) / 1000));

  if (stream.isTTY) {
    bar = new SingleBar({
      format: '{label} [{bar}] {percentage}% | {done}/{all} {unit} | {rate} {unit}/s | ETA {eta_formatted}',
      stream: stream as NodeJS.WriteStream,
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 50,
    });
  }
  const payload = () => ({ label, unit, done: plain(done), all: total > 0 ? plain(total) : '?', rate: rate() });
  const flushLine = () => {
    stream.write(progressLine(label, unit, done, total, (now() - started) / 1000) + '\n');
    lastLine = now();
    printed = done;
  };

  return {
    phase(l, t, u) {
      if (!bar && label && done > 0 && printed !== done) flushLine(); // close the previous phase in the log
      label = l;
      unit = u ?? opts.unit;
      total = t;
      done = 0;
      printed = -1;
      started = now();
      lastLine = now();
      if (bar) {
        if (running) bar.stop();
        bar.start(Math.max(1, t), 0, payload());
        running = true;
      }
    },
    update(d) {
      done = d;
      if (bar) {
        if (running) bar.update(d, payload());
      }
      else if (now() - lastLine >= opts.everySeconds * 1000) flushLine();
    },
    note(msg) {
      if (bar && running) bar.stop();
      else if (!bar && label && done > 0 && printed !== done) flushLine();
      stream.write(msg + '\n');
      running = !!bar && !!label && done < total; // an unfinished phase keeps its bar below the note
      if (running) bar!.start(Math.max(1, total), done, payload());
    },
    stop() {
      if (bar) {
        if (running) {
          bar.update(done, payload());
          bar.stop();
        }
        running = false;
      } else if (label && done > 0 && printed !== done) flushLine();
      label = '';
    },
  };
}

export interface StepProgress {
  /** Called on every poll: the current step (null = between steps) and its progress, if known. */
  show(step: string | null, done?: number, total?: number, detail?: string): void;
  stop(): void;
}

/** The current step of a long job: a bar on a TTY; otherwise one line each time the step changes. */
export function createStepProgress(opts: { stream?: ProgressSink } = {}): StepProgress {
  const stream = opts.stream ?? process.stderr;
  let current: string | null = null;
  let n = 0;
  if (stream.isTTY) {
    const bar = new SingleBar({
      format: '{step} [{bar}] {count} {detail}',
      stream: stream as NodeJS.WriteStream,
      hideCursor: true,
      clearOnComplete: false,
    });
    let running = false;
    return {
      show(step, done, total, detail) {
        if (step === null) return;
        const payload = { step, detail: detail ?? '', count: total ? `${done ?? 0}/${total}` : '' };
        if (step !== current) {
          if (running) bar.stop();
          current = step;
          bar.start(Math.max(1, total ?? 1), done ?? 0, payload);
          running = true;
          return;
        }
        if (total !== undefined && total > 0) bar.setTotal(total);
        bar.update(done ?? 0, payload);
      },
      stop() {
        if (running) bar.stop();
        running = false;
      },
    };
  }
  return {
    show(step, _done, _total, detail) {
      if (step === null || step === current) return;
      current = step;
      stream.write(`step ${++n}: ${step}${detail ? ` [${detail}]` : ''}\n`);
    },
    stop() {},
  };
}

/** Rows as aligned columns; numbers right-aligned. */
export function formatTable(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cells = [header.map(String), ...rows.map((r) => r.map((c) => (typeof c === 'number' ? String(c) : c)))];
  const widths = header.map((_, j) => Math.max(...cells.map((r) => (r[j] ?? '').length)));
  const numeric = header.map((_, j) => rows.length > 0 && rows.every((r) => typeof r[j] === 'number'));
  const line = (r: readonly string[]) => r.map((c, j) => (numeric[j] ? (c ?? '').padStart(widths[j]) : (c ?? '').padEnd(widths[j]))).join('  ').trimEnd();
  return [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

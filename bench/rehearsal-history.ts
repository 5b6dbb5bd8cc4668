// The steps of a rehearsal's retrain, read from its Temporal history: every activity with its task
// queue, the worker (identity `<pid>@<host>/<role>`) that ran its last attempt, the attempts, and
// when it was scheduled, started and closed. CPU-seconds come from the sampled worker processes.
import type { temporal } from '@temporalio/proto';
import type { ProcSampler } from './rehearsal-procs';
import { round1 } from './rehearsal-procs';

export interface StepRow {
  activity: string;
  /** scoreShard's shard number, from its input. */
  shard?: number;
  queue: string;
  worker: string;
  pid: number;
  attempt: number;
  outcome: 'completed' | 'failed' | 'timed_out' | 'canceled' | 'running';
  scheduledAt: string;
  /** The last attempt's wall time (started → closed). */
  wallSeconds: number | null;
  /** Scheduled → closed: queueing, every attempt and the retry waits. */
  totalSeconds: number | null;
  /** CPU-seconds of the worker process over the last attempt (all of that process's threads). */
  cpuSeconds: number | null;
}

const ms = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) => (t ? Number(t.seconds ?? 0) * 1000 + Math.round((t.nanos ?? 0) / 1e6) : NaN);

/** One row per scheduled activity, in schedule order. */
export function stepsOf(history: temporal.api.history.v1.IHistory, sampler: ProcSampler, decodeShard: (input: temporal.api.common.v1.IPayloads | null | undefined) => number | undefined): StepRow[] {
  const rows = new Map<string, StepRow & { startedMs: number; scheduledMs: number }>();
  for (const e of history.events ?? []) {
    const id = String(e.eventId);
    const t = ms(e.eventTime);
    const s = e.activityTaskScheduledEventAttributes;
    if (s) {
      const activity = s.activityType?.name ?? '';
      rows.set(id, {
        activity, ...(activity === 'scoreShard' ? { shard: decodeShard(s.input) } : {}), queue: s.taskQueue?.name ?? '', worker: '', pid: 0, attempt: 0,
        outcome: 'running', scheduledAt: new Date(t).toISOString(), wallSeconds: null, totalSeconds: null, cpuSeconds: null, startedMs: NaN, scheduledMs: t,
      });
      continue;
    }
    const st = e.activityTaskStartedEventAttributes;
    if (st) {
      const r = rows.get(String(st.scheduledEventId));
      if (r) {
        r.worker = st.identity ?? '';
        r.pid = Number(r.worker.split('@')[0]) || 0;
        r.attempt = st.attempt ?? 1;
        r.startedMs = t;
      }
      continue;
    }
    const closed =
      (e.activityTaskCompletedEventAttributes && ['completed', e.activityTaskCompletedEventAttributes] as const) ||
      (e.activityTaskFailedEventAttributes && ['failed', e.activityTaskFailedEventAttributes] as const) ||
      (e.activityTaskTimedOutEventAttributes && ['timed_out', e.activityTaskTimedOutEventAttributes] as const) ||
      (e.activityTaskCanceledEventAttributes && ['canceled', e.activityTaskCanceledEventAttributes] as const);
    if (closed) {
      const [outcome, attrs] = closed;
      const r = rows.get(String(attrs.scheduledEventId));
      if (!r) continue;
      r.outcome = outcome;
      r.totalSeconds = round1((t - r.scheduledMs) / 1000);
      if (Number.isFinite(r.startedMs)) {
        r.wallSeconds = round1((t - r.startedMs) / 1000);
        const cpu = r.pid ? sampler.cpuBetween(r.pid, r.startedMs, t) : null;
        r.cpuSeconds = cpu === null ? null : round1(cpu);
      }
    }
  }
  return [...rows.values()].map(({ startedMs: _s, scheduledMs: _c, ...r }) => r);
}

/** Steps summed by activity type (scoring shards overlap, so their wall is first start → last close). */
export function byActivity(rows: StepRow[]): { activity: string; count: number; wallSeconds: number; cpuSeconds: number }[] {
  const out = new Map<string, { activity: string; count: number; wallSeconds: number; cpuSeconds: number }>();
  for (const r of rows) {
    const a = out.get(r.activity) ?? { activity: r.activity, count: 0, wallSeconds: 0, cpuSeconds: 0 };
    a.count++;
    a.wallSeconds = round1(a.wallSeconds + (r.wallSeconds ?? 0));
    a.cpuSeconds = round1(a.cpuSeconds + (r.cpuSeconds ?? 0));
    out.set(r.activity, a);
  }
  return [...out.values()];
}

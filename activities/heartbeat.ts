// Heartbeats for long activity steps: a periodic beat while an await runs (DuckDB queries,
// worker-thread training) plus explicit progress details the Temporal UI shows.
import { Context } from '@temporalio/activity';

export function inActivity(): boolean {
  try {
    Context.current();
    return true;
  } catch {
    return false;
  }
}

/** Record progress (shown in the UI's pending-activity details) and log it: a "progress" line with the details as a field. */
export function progress(details: Record<string, unknown>): void {
  if (!inActivity()) return;
  const ctx = Context.current();
  ctx.heartbeat(details);
  ctx.log.info('progress', { progress: details });
}

/** Heartbeat with details, without logging (the SDK throttles beats; for per-batch loops). */
export function beat(details: Record<string, unknown>): void {
  if (inActivity()) Context.current().heartbeat(details);
}

/** Run `fn` while beating every `everyMs` with the latest details. */
export async function withHeartbeat<T>(details: () => Record<string, unknown>, fn: () => Promise<T>, everyMs = 1000): Promise<T> {
  if (!inActivity()) return fn();
  const ctx = Context.current();
  const t = setInterval(() => ctx.heartbeat(details()), everyMs);
  try {
    return await fn();
  } finally {
    clearInterval(t);
  }
}

/** Details recorded by the previous attempt of this activity (resume point), if any. */
export function lastDetails<T>(): T | undefined {
  if (!inActivity()) return undefined;
  return Context.current().info.heartbeatDetails as T | undefined;
}

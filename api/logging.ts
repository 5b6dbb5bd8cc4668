// The API's log function: a pino logger behind a three-level signature that services receive,
// and a rate-limited form for failures that repeat on every request (a Redis outage).
import type { Logger as PinoLogger } from '../observability/log';

export type Logger = (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;

/** The app's log function over a pino logger. */
export const pinoLog =
  (logger: PinoLogger): Logger =>
  (level, msg, fields) =>
    logger[level](fields ?? {}, msg);

/** Log at most once per `everyMs` per message (a Redis outage must not print a line per request). */
export function rateLimited(log: Logger, everyMs: number): Logger {
  const last = new Map<string, number>();
  return (level, msg, fields) => {
    const now = Date.now();
    if (now - (last.get(msg) ?? 0) < everyMs) return;
    last.set(msg, now);
    log(level, msg, fields);
  };
}

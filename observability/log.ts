// Structured logs for the API, the worker and the CLI: pino, at the level LOG_LEVEL names, as
// one JSON object per line, or pretty (pino-pretty, colours) when the output is a terminal.
// The worker routes the Temporal SDK's logger through the same pino logger (temporalLogger), so
// activity lines carry the SDK's metadata: workflowId, workflowType, activityType, attempt.
import type { LogLevel as TemporalLogLevel, LogMetadata, Logger as TemporalLogger } from '@temporalio/common';
import { pino, type DestinationStream, type Level, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];

export interface LoggerOptions {
  /** The process's role, on every line as `name` (api, worker, cli). */
  name: string;
  level: LogLevelName;
  /** 1 = stdout (servers), 2 = stderr (the CLI, whose stdout is data); or a stream (tests). */
  destination?: 1 | 2 | DestinationStream;
  /** Pretty output; default: when the destination is a terminal. */
  pretty?: boolean;
}

const PRETTY_IGNORE = 'pid,hostname,taskToken,isLocal,namespace,taskQueue,activityId,workflowRunId,sdkComponent';

export function createLogger(o: LoggerOptions): Logger {
  const fd = typeof o.destination === 'number' ? o.destination : o.destination ? null : 1;
  const tty = fd === 1 ? process.stdout.isTTY : fd === 2 ? process.stderr.isTTY : false;
  const options = { name: o.name, level: o.level };
  if (o.pretty ?? tty) {
    // Synchronous and in-process (no transport worker thread): the demo's terminal, a developer's shell.
    // One line per record; the SDK's bookkeeping fields stay in the JSON form only.
    return pino(options, pretty({ colorize: true, sync: true, singleLine: true, destination: fd ?? (o.destination as DestinationStream), ignore: PRETTY_IGNORE }));
  }
  return pino(options, fd !== null ? pino.destination({ fd, sync: true }) : (o.destination as DestinationStream));
}

const TEMPORAL_TO_PINO: Record<TemporalLogLevel, Level> = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' };

/**
 * The Temporal SDK's Logger interface over pino: for Runtime.install({ logger }) in the worker
 * and MockActivityEnvironment in tests. The SDK's metadata (workflowId, activityType, …) become
 * fields of the line; an `error` becomes pino's `err` (message and stack).
 */
export function temporalLogger(log: Logger): TemporalLogger {
  const write = (level: TemporalLogLevel, message: string, meta?: LogMetadata) => {
    const pinoLevel = TEMPORAL_TO_PINO[level] ?? 'info';
    if (!log.isLevelEnabled(pinoLevel)) return;
    const fields: Record<string, unknown> = {};
    if (meta) {
      for (const [k, v] of Object.entries(meta)) {
        if (k === 'error') fields.err = v;
        else fields[k] = v;
      }
    }
    log[pinoLevel](fields, message);
  };
  return {
    log: write,
    trace: (m, meta) => write('TRACE', m, meta),
    debug: (m, meta) => write('DEBUG', m, meta),
    info: (m, meta) => write('INFO', m, meta),
    warn: (m, meta) => write('WARN', m, meta),
    error: (m, meta) => write('ERROR', m, meta),
  };
}

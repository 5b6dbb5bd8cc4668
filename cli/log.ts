// The CLI's logger: pino on stderr (stdout carries the command's data: ids, JSON, tables),
// pretty on a terminal, JSON lines otherwise, at LOG_LEVEL. Usage messages stay plain text.
import { loadConfig } from '../config';
import { createLogger, type Logger } from '../observability/log';

let logger: Logger | null = null;

export function cliLog(): Logger {
  if (!logger) {
    let level: ReturnType<typeof loadConfig>['LOG_LEVEL'] = 'info';
    try {
      level = loadConfig().LOG_LEVEL;
    } catch {
      // a bad variable is reported by the command that loads the configuration
    }
    logger = createLogger({ name: 'recs', level, destination: 2 });
  }
  return logger;
}

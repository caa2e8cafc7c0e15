import { type Logger, pino } from 'pino';
import type { LogConfig } from '../../config/schema.ts';

export type { Logger };

/**
 * The process logger: JSON lines on standard output (or another descriptor, for CLI commands whose standard output
 * is their result). Components log through `child({ component })`; hot paths count instead of logging per packet.
 */
export function createLogger(config: LogConfig, opts: { fd?: number; base?: Record<string, unknown> } = {}): Logger {
  return pino(
    {
      level: config.level,
      base: { pid: process.pid, ...opts.base },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    pino.destination({ dest: opts.fd ?? 1, sync: true }),
  );
}

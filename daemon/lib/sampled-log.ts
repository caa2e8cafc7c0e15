import type { Logger } from './log.ts';

/**
 * A log line for something that can happen on every packet or message: the first occurrence is written at once,
 * later ones within `intervalMs` are only counted, and the count is written with the next occurrence after it.
 */
export function sampledLog(log: Logger, intervalMs = 10_000) {
  let last = Number.NEGATIVE_INFINITY;
  let suppressed = 0;
  return (level: 'warn' | 'error' | 'info', fields: Record<string, unknown>, msg: string): void => {
    const now = performance.now();
    if (now - last < intervalMs) {
      suppressed++;
      return;
    }
    last = now;
    log[level](suppressed > 0 ? { ...fields, suppressed } : fields, msg);
    suppressed = 0;
  };
}

import type { Logger } from './log.ts';

type Lazy<T> = T | (() => T);
const value = <T>(v: Lazy<T>): T => (typeof v === 'function' ? (v as () => T)() : v);

/**
 * A log line for something that can happen on every packet or message: the first occurrence is written at once,
 * later ones within `intervalMs` are only counted, and the count is written with the next occurrence after it.
 * Fields and message may be functions, so that an occurrence that is only counted builds neither.
 */
export function sampledLog(log: Logger, intervalMs = 10_000) {
  let last = Number.NEGATIVE_INFINITY;
  let suppressed = 0;
  return (level: 'warn' | 'error' | 'info', fields: Lazy<Record<string, unknown>>, msg: Lazy<string>): void => {
    const now = performance.now();
    if (now - last < intervalMs) {
      suppressed++;
      return;
    }
    last = now;
    const f = value(fields);
    log[level](suppressed > 0 ? { ...f, suppressed } : f, value(msg));
    suppressed = 0;
  };
}

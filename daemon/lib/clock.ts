/**
 * The daemon's business clock: what jobs, fair-usage periods, notification windows and the panel's sessions read.
 * It is the system clock; the plugin test kit may move it forward (`daemon.test_clock`), never back.
 */
export interface Clock {
  now(): number;
  advance(ms: number): void;
}

export function createClock(): Clock {
  let offset = 0;
  return {
    now: () => Date.now() + offset,
    advance(ms) {
      if (!(Number.isFinite(ms) && ms >= 0)) throw new RangeError('the clock moves forward only');
      offset += ms;
    },
  };
}

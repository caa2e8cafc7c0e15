/** CPU time of another process (all of its threads), from /proc, for the benches that measure a server from outside. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** User + system CPU of `pid` so far, in milliseconds (clock-tick resolution, 10 ms on Linux). */
export function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // utime and stime: fields 14 and 15 of the stat line, counted after the command name (index 11 and 12 here).
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS;
}

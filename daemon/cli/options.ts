/** What the record commands share: the global options, and the parsing of rates, durations and counts they take. */
import type { Command } from 'commander';
import { parseDuration } from '../../config/define.ts';
import { parseRate } from '../../config/units.ts';
import { invalid } from '../model/db.ts';
import type { GlobalOptions } from './load.ts';

export const globals = (cmd: Command): GlobalOptions => cmd.optsWithGlobals<GlobalOptions>();

export function rate(field: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const bps = parseRate(text);
  if (bps === undefined) throw invalid(field, text, 'a rate such as 20M, 512k or 1G (bits per second)');
  return bps;
}

/** Seconds: "3600", "1h", "30m". */
export function seconds(field: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (/^\d+$/.test(text)) return Number(text);
  const ms = parseDuration(text);
  if (ms === undefined || ms % 1000 !== 0) throw invalid(field, text, 'seconds, or a duration such as 30m or 1h');
  return ms / 1000;
}

export function count(field: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw invalid(field, text, 'a whole number');
  return Number(text);
}

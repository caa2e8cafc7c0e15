/** Rates and sizes as operators write them, shared by the config schema and the commands. */

const UNITS: Record<string, number> = { '': 1, k: 1e3, m: 1e6, g: 1e9, t: 1e12 };

/** "20M" → 20 000 000 bits/s; "512k", "1.5G", "100000" (bits/s). Undefined when it is none of these. */
export function parseRate(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:bps|bit\/s|b)?\s*$/i.exec(text);
  if (!m) return undefined;
  const n = Math.round(Number(m[1]) * UNITS[m[2]!.toLowerCase()]!);
  return n > 0 ? n : undefined;
}

/** 20 000 000 → "20M", 512 000 → "512k", 1 500 000 → "1500k": exact, in the largest unit that divides it. */
export function formatRate(bps: number): string {
  if (bps === 0) return '0';
  for (const [unit, size] of [
    ['G', 1e9],
    ['M', 1e6],
    ['k', 1e3],
  ] as const) {
    if (bps % size === 0) return `${bps / size}${unit}`;
  }
  return String(bps);
}

/** "5G" → 5 × 2^30 octets (binary units, as NAS count them); "500M", "1024", "1.5T". */
export function parseBytes(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$/i.exec(text);
  if (!m) return undefined;
  const exp = ['', 'k', 'm', 'g', 't'].indexOf(m[2]!.toLowerCase());
  const n = Math.round(Number(m[1]) * 1024 ** exp);
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

/** 5 × 2^30 → "5G"; exact in the largest binary unit that divides it, else bytes. */
export function formatBytes(bytes: number): string {
  if (bytes === 0) return '0';
  for (const [unit, size] of [
    ['T', 1024 ** 4],
    ['G', 1024 ** 3],
    ['M', 1024 ** 2],
    ['k', 1024],
  ] as const) {
    if (bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return String(bytes);
}

/** Three significant digits, trailing zeros dropped, in the largest unit the value reaches. */
function readable(n: number, base: number, units: readonly string[]): string {
  if (!Number.isFinite(n)) return '–';
  let v = Math.abs(n);
  let i = 0;
  while (v >= base && i < units.length - 1) {
    v /= base;
    i++;
  }
  const digits = i === 0 ? String(Math.round(v)) : String(Number(v.toPrecision(3)));
  return `${n < 0 ? '-' : ''}${digits}${units[i]}`;
}

/**
 * 3 411 000 000 → "3.18G": bytes as a person reads them, in the notation they are typed in (binary units, the
 * letters of `parseBytes`); exact values stay exact (100G, 5M). The CLI and the panel both show bytes this way.
 */
export const readableBytes = (bytes: number): string => readable(bytes, 1024, ['', 'k', 'M', 'G', 'T', 'P']);

/** 20 000 000 → "20M", 1 536 000 → "1.54M": bits per second in the notation of `parseRate`, rounded as above. */
export const readableRate = (bps: number): string => readable(bps, 1000, ['', 'k', 'M', 'G', 'T']);

/** The process's IANA zone: the daemon's, which FUP periods, usage days and shown times are in. */
export const localTimeZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone;

const timeFormats = new Map<string, Intl.DateTimeFormat>();

/**
 * "2026-12-02 16:50:12": a moment as the CLI and the panel show it, in `timeZone` (the daemon's, by default), to the
 * second. '–' for none.
 */
export function formatTime(at: Date | string | number | null | undefined, timeZone?: string): string {
  if (at === null || at === undefined || at === '') return '–';
  const d = at instanceof Date ? at : new Date(at);
  if (Number.isNaN(d.getTime())) return String(at);
  const key = timeZone ?? '';
  let f = timeFormats.get(key);
  if (!f) {
    // Swedish writes dates and times the ISO way, which no locale-free option of Intl does.
    f = new Intl.DateTimeFormat('sv-SE', {
      ...(timeZone ? { timeZone } : {}),
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hour12: false,
    });
    timeFormats.set(key, f);
  }
  return f.format(d);
}

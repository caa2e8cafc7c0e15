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

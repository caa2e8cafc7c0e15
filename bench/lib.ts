/** What every bench shares: percentiles and the one JSON line per result. */

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const round = (n: number, digits = 3) => Math.round(n * 10 ** digits) / 10 ** digits;

/** Prints one result as a JSON line: `{"bench":…, …figures, "node":…}`. */
export function report(bench: string, figures: Record<string, number | string | undefined>): void {
  const out: Record<string, unknown> = { bench };
  for (const [k, v] of Object.entries(figures)) out[k] = typeof v === 'number' ? round(v) : v;
  out.node = process.version;
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

/** Latencies in ms → p50/p99 figures. */
export function latencies(samples: number[]): { p50_ms: number; p99_ms: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50_ms: percentile(sorted, 50), p99_ms: percentile(sorted, 99) };
}

/**
 * The daemon's counters in the Prometheus text exposition format (version 0.0.4,
 * https://prometheus.io/docs/instrumenting/exposition_formats/): each counter of each component is one metric
 * `wispd_<component>_<counter>` with its HELP and TYPE lines.
 */

export type CountersByComponent = Readonly<Record<string, Readonly<Record<string, number>>>>;

export const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Metric names are `[a-zA-Z_:][a-zA-Z0-9_:]*`; components are named with dashes (`radius-cache`). */
export function metricName(...parts: string[]): string {
  const name = parts.join('_').replace(/[^a-zA-Z0-9_:]/g, '_');
  return /^[a-zA-Z_:]/.test(name) ? name : `_${name}`;
}

/** HELP text: backslash and line feed escaped. */
export const escapeHelp = (text: string): string => text.replaceAll('\\', '\\\\').replaceAll('\n', '\\n');

/** Label values: backslash, double quote and line feed escaped. */
export const escapeLabel = (text: string): string =>
  text.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');

export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

/**
 * Components expose plain numbers without saying which only grow (requests) and which go up and down (spool depth,
 * pool size), so every metric is `untyped`: Prometheus ingests it either way and rate() still applies.
 */
export function renderMetrics(
  counters: CountersByComponent,
  info: Readonly<Record<string, string>> = {},
  prefix = 'wispd',
): string {
  const out: string[] = [];
  if (Object.keys(info).length > 0) {
    const name = metricName(prefix, 'build_info');
    const labels = Object.entries(info)
      .map(([k, v]) => `${metricName(k)}="${escapeLabel(v)}"`)
      .join(',');
    out.push(`# HELP ${name} The running wispd: version and runtime.`, `# TYPE ${name} gauge`, `${name}{${labels}} 1`);
  }
  const seen = new Set<string>();
  for (const [component, values] of Object.entries(counters)) {
    for (const [counter, value] of Object.entries(values)) {
      if (typeof value !== 'number') continue;
      const name = metricName(prefix, component, counter);
      if (seen.has(name)) continue;
      seen.add(name);
      out.push(
        `# HELP ${name} ${escapeHelp(`${counter} of the ${component} component`)}`,
        `# TYPE ${name} untyped`,
        `${name} ${formatValue(value)}`,
      );
    }
  }
  return `${out.join('\n')}\n`;
}

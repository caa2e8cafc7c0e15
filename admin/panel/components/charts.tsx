/**
 * What the panel's pages share: byte and rate formatting (the CLI's), relative times, and a bar chart drawn as SVG (no chart
 * library in the bundle: one series or two stacked, labelled below, the value in each bar's tooltip).
 */
import { Box, Text } from '@adminjs/design-system';
import React from 'react';

// One notation in the CLI and the panel: bytes and rates as they are typed (config/units.ts).
export { readableBytes as bytes, readableRate as rate } from '../../../config/units.ts';

export function ago(iso: string | null): string {
  if (!iso) return '—';
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (s < 90) return `${s}s ago`;
  if (s < 5400) return `${Math.round(s / 60)} min ago`;
  if (s < 36 * 3600) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} days ago`;
}

export interface Bar {
  label: string;
  /** Stacked from the bottom: [first series, second series]. */
  values: [number, number?];
}

export const BarChart: React.FC<{
  bars: Bar[];
  series: [string, string?];
  format: (n: number) => string;
  height?: number;
}> = ({ bars, series, format, height = 160 }) => {
  const max = Math.max(1, ...bars.map((b) => b.values[0] + (b.values[1] ?? 0)));
  const width = Math.max(bars.length * 22, 200);
  const slot = width / Math.max(1, bars.length);
  const colors = ['#3040d6', '#8f9ae6'];
  return (
    <Box>
      <svg
        width="100%"
        viewBox={`0 0 ${width} ${height + 18}`}
        role="img"
        aria-label={series.filter(Boolean).join(' and ')}
      >
        {bars.map((b, i) => {
          const h0 = (b.values[0] / max) * height;
          const h1 = ((b.values[1] ?? 0) / max) * height;
          const x = i * slot + slot * 0.15;
          const w = slot * 0.7;
          return (
            <g key={b.label}>
              <title>{`${b.label}: ${series[0]} ${format(b.values[0])}${series[1] ? `, ${series[1]} ${format(b.values[1] ?? 0)}` : ''}`}</title>
              <rect x={x} y={height - h0} width={w} height={h0} fill={colors[0]} />
              {h1 > 0 ? <rect x={x} y={height - h0 - h1} width={w} height={h1} fill={colors[1]} /> : null}
              {i % Math.ceil(bars.length / 10) === 0 ? (
                <text x={x} y={height + 14} fontSize="10" fill="#666">
                  {b.label}
                </text>
              ) : null}
            </g>
          );
        })}
      </svg>
      <Text variant="sm" color="grey60">
        <span style={{ color: colors[0] }}>■</span> {series[0]}
        {series[1] ? (
          <>
            {'  '}
            <span style={{ color: colors[1] }}>■</span> {series[1]}
          </>
        ) : null}
        {'  '}· highest {format(max)}
      </Text>
    </Box>
  );
};

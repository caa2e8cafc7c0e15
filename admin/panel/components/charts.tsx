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

const AXIS = 44;
const COLORS = ['#3040d6', '#8f9ae6'];

/**
 * Bars over time, with a scale (0, half, highest) on the left and labels below that stay inside the chart: about ten
 * of them, the last bar's always (now, or today).
 */
export const BarChart: React.FC<{
  bars: Bar[];
  series: [string, string?];
  format: (n: number) => string;
  height?: number;
}> = ({ bars, series, format, height = 160 }) => {
  const max = Math.max(1, ...bars.map((b) => b.values[0] + (b.values[1] ?? 0)));
  const plot = Math.max(bars.length * 22, 200);
  const width = AXIS + plot;
  const slot = plot / Math.max(1, bars.length);
  const every = Math.ceil(bars.length / 10);
  const top = 6;
  // A middle line only where it reads as a value of its own (a count of 1 has no half).
  const ticks = [1, 0.5, 0].filter((f) => f !== 0.5 || ![format(max), format(0)].includes(format(max * 0.5)));
  const labelled = (i: number) => i === bars.length - 1 || (i % every === 0 && bars.length - 1 - i >= every / 2);
  return (
    <Box>
      <svg
        width="100%"
        viewBox={`0 0 ${width} ${top + height + 18}`}
        role="img"
        aria-label={series.filter(Boolean).join(' and ')}
      >
        {ticks.map((f) => (
          <g key={f}>
            <line x1={AXIS} x2={width} y1={top + height * (1 - f)} y2={top + height * (1 - f)} stroke="#e4e4ec" />
            <text x={AXIS - 4} y={top + height * (1 - f) + 3} fontSize="10" fill="#666" textAnchor="end">
              {format(max * f)}
            </text>
          </g>
        ))}
        {bars.map((b, i) => {
          const h0 = (b.values[0] / max) * height;
          const h1 = ((b.values[1] ?? 0) / max) * height;
          const x = AXIS + i * slot + slot * 0.15;
          const w = slot * 0.7;
          const middle = x + w / 2;
          // The first and last labels are anchored inside the chart, so that none is cut at an edge.
          const anchor = i === 0 ? 'start' : i === bars.length - 1 ? 'end' : 'middle';
          const at = anchor === 'start' ? x : anchor === 'end' ? x + w : middle;
          return (
            <g key={b.label}>
              <title>{`${b.label}: ${series[0]} ${format(b.values[0])}${series[1] ? `, ${series[1]} ${format(b.values[1] ?? 0)}` : ''}`}</title>
              <rect x={x} y={top + height - h0} width={w} height={h0} fill={COLORS[0]} />
              {h1 > 0 ? <rect x={x} y={top + height - h0 - h1} width={w} height={h1} fill={COLORS[1]} /> : null}
              {labelled(i) ? (
                <text x={at} y={top + height + 14} fontSize="10" fill="#666" textAnchor={anchor} data-label={b.label}>
                  {b.label}
                </text>
              ) : null}
            </g>
          );
        })}
      </svg>
      <Text variant="sm" color="grey60">
        <span style={{ color: COLORS[0] }}>■</span> {series[0]}
        {series[1] ? (
          <>
            {'  '}
            <span style={{ color: COLORS[1] }}>■</span> {series[1]}
          </>
        ) : null}
      </Text>
    </Box>
  );
};

/** Counts by name (reject reasons): one row each, the name in full beside its bar, most first. */
export const RankedBars: React.FC<{
  items: Array<{ label: string; value: number }>;
  format: (n: number) => string;
}> = ({ items, format }) => {
  const max = Math.max(1, ...items.map((i) => i.value));
  return (
    <Box>
      {items.map((item) => (
        <Box key={item.label} flex alignItems="center" mb="sm" data-ranked={item.label}>
          <Box width="45%" pr="default" style={{ overflowWrap: 'anywhere' }}>
            <Text variant="sm">{item.label}</Text>
          </Box>
          <Box flexGrow={1} flex alignItems="center">
            <Box style={{ background: COLORS[0], height: 12, width: `${(item.value / max) * 100}%`, minWidth: 2 }} />
            <Text variant="sm" ml="sm">
              {format(item.value)}
            </Text>
          </Box>
        </Box>
      ))}
    </Box>
  );
};

/**
 * A stored number or time as staff read it, in lists and on show pages: bytes and rates in the notation they are
 * typed in, times in the daemon's zone, durations in h/min/s, MAC addresses as aa:bb:cc:dd:ee:ff (the property's
 * `custom.unit`, `custom.timeZone`).
 */
import { ValueGroup } from '@adminjs/design-system';
import { type BasePropertyProps, useTranslation } from 'adminjs';
import React from 'react';
import { formatTime, readableBytes, readableRate } from '../../../config/units.ts';
import { formatMac, normalizeMac } from '../../../daemon/lib/mac.ts';

export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (h > 0) return `${h} h ${m} min`;
  return m > 0 ? `${m} min ${s % 60} s` : `${s} s`;
}

function formatted(raw: unknown, unit: string, timeZone: string | undefined): string {
  if (raw === null || raw === undefined || raw === '') return '–';
  if (unit === 'time') return formatTime(raw as string, timeZone);
  if (unit === 'mac') {
    // Stored as 12 digits, reported by NAS in their own notation: one notation on every page.
    const mac = normalizeMac(String(raw));
    return mac ? formatMac(mac) : String(raw);
  }
  const n = Number(raw);
  if (!Number.isFinite(n)) return String(raw);
  if (unit === 'bytes') return readableBytes(n);
  if (unit === 'rate') return readableRate(n);
  if (unit === 'duration') return duration(n);
  if (unit === 'ms') return `${Math.round(n)} ms`;
  return String(raw);
}

const Value: React.FC<BasePropertyProps> = ({ property, record, where }) => {
  const { translateProperty } = useTranslation();
  const custom = (property.custom ?? {}) as { unit?: string; timeZone?: string };
  const raw = record?.params[property.path];
  const text = formatted(raw, custom.unit ?? '', custom.timeZone);
  const exact = raw === null || raw === undefined ? undefined : String(raw);
  if (where === 'show') {
    return (
      <ValueGroup label={translateProperty(property.label, property.resourceId)}>
        <span title={exact}>{text}</span>
      </ValueGroup>
    );
  }
  // A time or a size is read as one token: a narrow column does not break "2026-12-03 13:29:12" in two.
  return (
    <span title={exact} style={{ whiteSpace: 'nowrap' }}>
      {text}
    </span>
  );
};

export default Value;

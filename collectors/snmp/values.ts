/** SNMP values as numbers and labels, and counters as rates (RFC 2578 §7.1.6 and §7.1.10: wraps and discontinuities). */
import snmp, { type Varbind } from 'net-snmp';

const T = snmp.ObjectType;
const TWO_32 = 2 ** 32;

/** A varbind's value as a number, or undefined when it is not one. */
export function numberOf(vb: Varbind, numericText: boolean): number | undefined {
  const v = vb.value;
  if (typeof v === 'number') return v;
  if (Buffer.isBuffer(v)) {
    if (vb.type === T.Counter64) {
      let n = 0;
      for (const byte of v) n = n * 256 + byte;
      return n;
    }
    if (numericText && vb.type === T.OctetString) {
      const n = Number.parseFloat(v.toString('latin1'));
      return Number.isFinite(n) ? n : undefined;
    }
  }
  if (typeof v === 'bigint') return Number(v);
  return undefined;
}

export function labelOf(vb: Varbind | undefined): string {
  if (!vb) return '';
  const v = vb.value;
  if (Buffer.isBuffer(v)) return v.toString('utf8').replace(/\0+$/, '').trim();
  return v === null || v === undefined ? '' : String(v);
}

/** "aa:bb:cc:dd:ee:ff" from six sub-identifiers of a row index, starting at `at`. */
export function macFromIndex(index: string, at: number): string {
  const parts = index.split('.');
  if (parts.length < at + 6) return index;
  return parts
    .slice(at, at + 6)
    .map((p) => Number(p).toString(16).padStart(2, '0'))
    .join(':');
}

/**
 * The per-second rate of a counter between two readings, or undefined when there is none to give: the first reading,
 * a Counter64 that went down (a reset: the device rebooted or the counter was cleared), or a Counter32 that went down
 * by more than a wrap explains.
 */
export function counterRate(prev: number, now: number, dtMs: number, type: number): number | undefined {
  if (dtMs <= 0) return undefined;
  let delta = now - prev;
  if (delta < 0) {
    if (type !== T.Counter32) return undefined;
    delta += TWO_32;
    // A wrap leaves the counter low; a reset that lands high is told apart by more than half the range passing.
    if (delta > TWO_32 / 2) return undefined;
  }
  return (delta * 1000) / dtMs;
}

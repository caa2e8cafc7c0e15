/**
 * Signed HTTP bodies, the scheme Stripe uses so that one verifier serves both: a header `t=<unix>,v1=<hex>` where
 * the hex is HMAC-SHA256 with the secret over `<t>.<raw body>`; valid when any v1 matches (in constant time) and t
 * is within the tolerance of now.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'X-Wispd-Signature';

const hmac = (secret: string, t: number, body: string | Buffer) =>
  createHmac('sha256', secret).update(`${t}.`).update(body).digest('hex');

export function sign(secret: string, body: string | Buffer, now: number = Date.now()): string {
  const t = Math.floor(now / 1000);
  return `t=${t},v1=${hmac(secret, t, body)}`;
}

export type Verdict = { ok: true; t: number } | { ok: false; reason: 'malformed' | 'mismatch' | 'expired' };

export function verify(
  secret: string,
  body: string | Buffer,
  header: string | undefined,
  opts: { toleranceS?: number; now?: number } = {},
): Verdict {
  const parts = (header ?? '').split(',').map((p) => p.trim().split('='));
  const t = Number(parts.find(([k]) => k === 't')?.[1]);
  const given = parts.filter(([k, v]) => k === 'v1' && v && /^[0-9a-f]{64}$/.test(v)).map(([, v]) => v!);
  if (!Number.isSafeInteger(t) || given.length === 0) return { ok: false, reason: 'malformed' };
  const expected = Buffer.from(hmac(secret, t, body), 'hex');
  if (!given.some((v) => timingSafeEqual(Buffer.from(v, 'hex'), expected))) return { ok: false, reason: 'mismatch' };
  const age = Math.abs((opts.now ?? Date.now()) / 1000 - t);
  if (age > (opts.toleranceS ?? 300)) return { ok: false, reason: 'expired' };
  return { ok: true, t };
}

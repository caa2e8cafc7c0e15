/**
 * Staff password hashes: scrypt (RFC 7914) from node:crypto. A hash is `scrypt$N$r$p$salt$key` (salt and key in
 * base64), so the parameters travel with it: they can be raised later and older hashes still verify.
 */
import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';

// N = 2^15, r = 8: 32 MiB and about 90 ms per hash on the development machine. OWASP's floor is 2^17 (128 MiB);
// with the thread pool hashing four logins at once that would be half a gigabyte, for a panel on the same host as
// the RADIUS path. Raise N here when the hardware allows; existing hashes keep their own N.
const PARAMS = { N: 1 << 15, r: 8, p: 1 } as const;
const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** Largest N accepted from a stored hash: a corrupted or hostile row must not make one login allocate gigabytes. */
const MAX_N = 1 << 20;

function derive(password: string, salt: Buffer, keylen: number, options: ScryptOptions): Promise<Buffer> {
  // scrypt needs 128·N·r bytes; Node refuses above maxmem (32 MiB by default), which N = 2^15 just reaches.
  const maxmem = 128 * options.N! * options.r! * options.p! + 1024 * 1024;
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFC'), salt, keylen, { ...options, maxmem }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, KEY_BYTES, PARAMS);
  return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64'), key.toString('base64')].join('$');
}

interface Parsed {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  key: Buffer;
}

function parse(hash: string): Parsed | undefined {
  const parts = hash.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  const salt = Buffer.from(parts[4]!, 'base64');
  const key = Buffer.from(parts[5]!, 'base64');
  const power = Number.isInteger(N) && N > 1 && (N & (N - 1)) === 0;
  if (!power || N > MAX_N || !Number.isInteger(r) || r < 1 || r > 32 || !Number.isInteger(p) || p < 1 || p > 16)
    return undefined;
  if (salt.length < 8 || key.length < 16) return undefined;
  return { N, r, p, salt, key };
}

/** True when `password` matches `hash`; the comparison takes the same time wherever the keys differ. */
export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  const h = parse(hash);
  if (!h) return false;
  const key = await derive(password, h.salt, h.key.length, { N: h.N, r: h.r, p: h.p });
  return timingSafeEqual(key, h.key);
}

let dummy: Promise<string> | undefined;

/**
 * Spends the time of one verification without a stored hash, so that a login for an unknown or disabled account
 * takes as long as one with a wrong password.
 */
export async function verifyNothing(password: string): Promise<false> {
  dummy ??= hashPassword(randomBytes(16).toString('base64'));
  await verifyPassword(await dummy, password);
  return false;
}

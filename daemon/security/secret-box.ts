/**
 * Secrets at rest (NAS shared secrets, subscriber passwords): AES-256-GCM with the instance key. A sealed value is
 * version (1) | nonce (12) | tag (16) | ciphertext, stored as bytea; it is opened when the caches load, never per packet.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { WispdError } from '../lib/errors.ts';
import type { DataDir } from '../store/datadir.ts';

const VERSION = 1;

export class SecretBox {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error('secret box: the key must be 32 bytes');
    this.#key = key;
  }

  seal(plain: string): Buffer {
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, nonce);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return Buffer.concat([Buffer.from([VERSION]), nonce, cipher.getAuthTag(), body]);
  }

  open(sealed: Buffer): string {
    if (sealed.length < 29 || sealed[0] !== VERSION)
      throw new WispdError('WISPD_SECRET_KEY', 'a sealed secret has an unknown format');
    const decipher = createDecipheriv('aes-256-gcm', this.#key, sealed.subarray(1, 13));
    decipher.setAuthTag(sealed.subarray(13, 29));
    try {
      return Buffer.concat([decipher.update(sealed.subarray(29)), decipher.final()]).toString('utf8');
    } catch {
      throw new WispdError(
        'WISPD_SECRET_KEY',
        'a secret in the database cannot be opened with this key: security.secret_key (or data/secret.key) differs from the one that sealed it',
      );
    }
  }
}

/** The configured key, or the one generated on first use in the data directory (readable by its owner only). */
export function loadSecretBox(configured: string, dataDir: DataDir): SecretBox {
  if (configured !== '') return new SecretBox(Buffer.from(configured, 'base64'));
  const path = dataDir.sub('secret.key');
  try {
    return new SecretBox(Buffer.from(readFileSync(path, 'utf8').trim(), 'base64'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new WispdError('WISPD_SECRET_KEY', `cannot read ${path}: ${(err as Error).message}`, { path });
    }
  }
  dataDir.sub('', true);
  const key = randomBytes(32);
  try {
    writeFileSync(path, `${key.toString('base64')}\n`, { flag: 'wx', mode: 0o600 });
    chmodSync(path, 0o600);
  } catch (err) {
    // Another process created it first: use theirs.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return loadSecretBox(configured, dataDir);
    throw new WispdError('WISPD_SECRET_KEY', `cannot write ${path}: ${(err as Error).message}`, { path });
  }
  return new SecretBox(key);
}

/** The key as a component: opened once the data directory is ours (where a generated key lives). */
export function createSecurity(configured: string, dataDir: DataDir) {
  let box: SecretBox | undefined;
  return {
    name: 'security',
    async start() {
      box = loadSecretBox(configured, dataDir);
    },
    async stop() {},
    counters: () => ({}),
    describe: () => (configured ? 'key from security.secret_key' : `key in ${dataDir.sub('secret.key')}`),
    get box(): SecretBox {
      if (!box) throw new Error('security: not started');
      return box;
    },
  };
}

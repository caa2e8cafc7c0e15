/**
 * What an operator needs to hear about dropped requests: the drops themselves are counted per packet, and the causes
 * a first NAS usually hits (a secret that differs, a missing Message-Authenticator, an address no NAS covers) are
 * logged at warn with what to change: once per NAS and cause a minute, and unknown sources aggregated into one line.
 */
import type { Logger } from '../../lib/log.ts';
import { sampledLog } from '../../lib/sampled-log.ts';
import type { NasEntry } from '../cache/index.ts';
import { Code } from '../codec/index.ts';
import type { Unverified } from './verify.ts';

const INTERVAL_MS = 60_000;
/** Distinct unknown sources remembered between two lines (a spoofed flood must not grow memory). */
const MAX_SOURCES = 1000;

function advice(cause: Unverified, code: number, nas: NasEntry, source: string): string {
  const who = `${source} (nas ${nas.name})`;
  switch (cause) {
    case 'bad_authenticator':
      return `NAS secret mismatch for ${who}: its Accounting-Request authenticator does not verify; set the same secret on the NAS and in wispd (wispd nas set ${nas.name} --secret …)`;
    case 'bad_message_authenticator':
      return `NAS secret mismatch for ${who}: its Message-Authenticator does not verify; set the same secret on the NAS and in wispd (wispd nas set ${nas.name} --secret …)`;
    case 'missing_message_authenticator':
      return code === Code.StatusServer
        ? `Status-Server without Message-Authenticator from ${who} (RFC 5997 requires one); radclient: add "Message-Authenticator = 0x00"`
        : `Access-Request without Message-Authenticator from ${who}, which must send one (BlastRADIUS): turn it on in the NAS (radclient: add "Message-Authenticator = 0x00"), or, for a NAS that cannot, wispd nas set ${nas.name} --no-require-message-authenticator`;
  }
}

export class DropLog {
  readonly #log: Logger;
  readonly #byCause = new Map<string, ReturnType<typeof sampledLog>>();
  #unknown = new Map<string, number>();
  #unknownLogged = Number.NEGATIVE_INFINITY;

  constructor(log: Logger) {
    this.#log = log;
  }

  unverified(cause: Unverified, code: number, nas: NasEntry, source: string): void {
    const key = `${nas.id}:${cause}`;
    let log = this.#byCause.get(key);
    if (!log) {
      log = sampledLog(this.#log, INTERVAL_MS);
      this.#byCause.set(key, log);
    }
    // Called per dropped packet: the line is built only when it is written.
    log(
      'warn',
      () => ({ cause, nas: nas.name, source }),
      () => advice(cause, code, nas, source),
    );
  }

  unknownSource(source: string): void {
    if (this.#unknown.size < MAX_SOURCES || this.#unknown.has(source))
      this.#unknown.set(source, (this.#unknown.get(source) ?? 0) + 1);
    const now = performance.now();
    if (now - this.#unknownLogged < INTERVAL_MS) return;
    this.#unknownLogged = now;
    const sources = Object.fromEntries([...this.#unknown].sort((a, b) => b[1] - a[1]).slice(0, 20));
    this.#unknown = new Map();
    this.#log.warn(
      { cause: 'unknown_nas', sources },
      'RADIUS requests from addresses no NAS covers were dropped: if one is yours, add it (wispd nas add --address …)',
    );
  }
}

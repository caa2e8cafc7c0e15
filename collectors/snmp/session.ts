/**
 * SNMP requests on net-snmp sessions. A net-snmp session owns a UDP socket and sends to one target at a time, so
 * SNMPv2c polls borrow a session from a pool (as many as polls run at once) and point it at their device; SNMPv3
 * devices keep a session of their own (it holds the engine id and time learnt from the device, RFC 3414).
 */
import snmp, { type Session, type Varbind } from 'net-snmp';
import type { SnmpCredentials } from '../../contracts/telemetry/index.ts';

export interface Endpoint {
  address: string;
  port: number;
  credentials: SnmpCredentials;
}

export interface RequestOptions {
  timeout: number;
  retries: number;
}

export function get(session: Session, oids: string[]): Promise<Varbind[]> {
  return new Promise((resolve, reject) => {
    session.get(oids, (err, varbinds) => (err ? reject(err) : resolve(varbinds)));
  });
}

function getBulk(session: Session, oids: string[], maxRepetitions: number): Promise<Varbind[][]> {
  return new Promise((resolve, reject) => {
    session.getBulk(oids, 0, maxRepetitions, (err, varbinds) => (err ? reject(err) : resolve(varbinds as Varbind[][])));
  });
}

/** A table's rows by index (the OID suffix after the column): one varbind per column, in the order of `columns`. */
export type TableRows = Map<string, Array<Varbind | undefined>>;

/** Lexical OID order on the numeric sub-identifiers. */
function after(a: string, b: string): boolean {
  const x = a.split('.');
  const y = b.split('.');
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = Number(x[i]) - Number(y[i]);
    if (d !== 0) return d > 0;
  }
  return x.length > y.length;
}

/**
 * Walks the columns of a table together with GETBULK (RFC 3416 §4.2.3): each request asks for the next
 * `maxRepetitions` rows of every column not yet finished, so a table of R rows and C columns takes about R /
 * maxRepetitions requests rather than R × C. A column ends when the agent leaves its subtree, reports the end of its
 * view, or stops making progress.
 */
export async function walkColumns(
  session: Session,
  columns: readonly string[],
  maxRepetitions: number,
): Promise<TableRows> {
  const rows: TableRows = new Map();
  const cursor = [...columns];
  let active = columns.map((_, i) => i);
  for (let round = 0; active.length > 0 && round < 10_000; round++) {
    const answer = await getBulk(
      session,
      active.map((i) => cursor[i]!),
      maxRepetitions,
    );
    const next: number[] = [];
    active.forEach((col, k) => {
      const prefix = `${columns[col]}.`;
      const list = answer[k] ?? [];
      let progressed = false;
      let done = list.length === 0;
      for (const vb of list) {
        if (snmp.isVarbindError(vb) || !vb.oid.startsWith(prefix) || !after(vb.oid, cursor[col]!)) {
          done = true;
          break;
        }
        const index = vb.oid.slice(prefix.length);
        let row = rows.get(index);
        if (!row) {
          row = new Array(columns.length);
          rows.set(index, row);
        }
        row[col] = vb;
        cursor[col] = vb.oid;
        progressed = true;
      }
      if (!done && progressed) next.push(col);
    });
    active = next;
  }
  return rows;
}

const AUTH = snmp.AuthProtocols;
const PRIV = snmp.PrivProtocols;

/** Opens a session of its own for an SNMPv3 device. */
export function v3Session(endpoint: Endpoint, opts: RequestOptions): Session {
  const c = endpoint.credentials;
  if (c.version !== '3') throw new Error('v3Session: not SNMPv3 credentials');
  const session = snmp.createV3Session(
    endpoint.address,
    {
      name: c.user,
      level: snmp.SecurityLevel[c.level],
      ...(c.authProtocol ? { authProtocol: AUTH[c.authProtocol], authKey: c.authKey ?? '' } : {}),
      ...(c.privProtocol ? { privProtocol: PRIV[c.privProtocol], privKey: c.privKey ?? '' } : {}),
    },
    { port: endpoint.port, timeout: opts.timeout, retries: opts.retries, version: snmp.Version3 },
  );
  session.on('error', () => {});
  return session;
}

/** SNMPv1/v2c sessions, each lent to one poll at a time and pointed at its device. */
export class SessionPool {
  readonly #free: Session[] = [];
  #created = 0;

  acquire(endpoint: Endpoint, opts: RequestOptions): Session {
    const c = endpoint.credentials;
    if (c.version !== '2c') throw new Error('SessionPool: SNMPv2c only');
    let s = this.#free.pop();
    if (!s) {
      s = snmp.createSession(endpoint.address, c.community, { version: snmp.Version2c });
      // A socket error (an ICMP unreachable reported on send) fails that request; the session stays usable.
      s.on('error', () => {});
      this.#created++;
    }
    s.target = endpoint.address;
    s.port = endpoint.port;
    s.community = c.community;
    s.version = snmp.Version2c;
    s.timeout = opts.timeout;
    s.retries = opts.retries;
    return s;
  }

  release(s: Session): void {
    this.#free.push(s);
  }

  get sockets(): number {
    return this.#created;
  }

  close(): void {
    for (const s of this.#free.splice(0)) s.close();
  }
}

/**
 * RADIUS peers for tests: FreeRADIUS's radclient, a raw UDP client built on the codec (for byte-level checks a tool
 * cannot make: retransmissions, malformed datagrams, MS-CHAPv2), and a wispd daemon on ephemeral ports.
 */
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import pg from 'pg';
import type { Test } from 'tap';
import { Attr, attr, buildRequest, Code, u32 } from '../../daemon/radius/codec/index.ts';
import { loadSecretBox, type SecretBox } from '../../daemon/security/secret-box.ts';
import type { ClickhouseStore } from '../../daemon/store/clickhouse/index.ts';
import { DataDir } from '../../daemon/store/datadir.ts';
import { tmpDir } from './env.ts';
import { type Child, startWispd } from './proc.ts';
import { testClickhouse, testDataDir } from './stores.ts';

export interface RadclientResult {
  /** "Access-Accept", "Access-Reject", "Accounting-Response", or undefined when nothing came back. */
  code: string | undefined;
  attributes: Record<string, string>;
  output: string;
}

/**
 * Runs radclient once (`-r 1`: no retry, so "no answer" is quick). `input` is radclient's attribute list, e.g.
 * 'User-Name = "alice", User-Password = "pw"'.
 */
export function radclient(
  port: number,
  type: 'auth' | 'acct' | 'status',
  secret: string,
  input: string,
  timeout = 1,
): Promise<RadclientResult> {
  return new Promise((resolve, reject) => {
    const p = spawn('radclient', ['-x', '-r', '1', '-t', String(timeout), `127.0.0.1:${port}`, type, secret], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let output = '';
    p.stdout.on('data', (d) => {
      output += d;
    });
    p.stderr.on('data', (d) => {
      output += d;
    });
    p.on('error', reject);
    p.on('close', () => {
      const m = /Received (\S+) Id \d+ from/.exec(output);
      const attributes: Record<string, string> = {};
      if (m) {
        const after = output.slice(m.index).split('\n').slice(1);
        for (const line of after) {
          const a = /^\s+(\S+) = (.*)$/.exec(line);
          if (!a) break;
          attributes[a[1]!] = a[2]!.replace(/^"(.*)"$/, '$1');
        }
      }
      resolve({ code: m?.[1], attributes, output });
    });
    p.stdin.end(`${input}\n`);
  });
}

/** Sends datagrams from a chosen local address and collects what comes back. */
export class UdpClient {
  readonly socket = createSocket('udp4');
  readonly #waiting = new Map<number, (reply: Buffer) => void>();
  readonly received: Buffer[] = [];

  static async open(address = '127.0.0.1'): Promise<UdpClient> {
    const c = new UdpClient();
    await new Promise<void>((resolve) => c.socket.bind(0, address, resolve));
    c.socket.on('message', (msg) => {
      c.received.push(msg);
      c.#waiting.get(msg[1]!)?.(msg);
    });
    return c;
  }

  send(packet: Buffer, port: number): void {
    this.socket.send(packet, port, '127.0.0.1');
  }

  /** Sends and waits for the reply with the same identifier; undefined after `timeoutMs`. */
  request(packet: Buffer, port: number, timeoutMs = 1000): Promise<Buffer | undefined> {
    return new Promise((resolve) => {
      const id = packet[1]!;
      const timer = setTimeout(() => {
        this.#waiting.delete(id);
        resolve(undefined);
      }, timeoutMs);
      this.#waiting.set(id, (reply) => {
        clearTimeout(timer);
        this.#waiting.delete(id);
        resolve(reply);
      });
      this.send(packet, port);
    });
  }

  close(): void {
    this.socket.close();
  }
}

export interface TestDaemon {
  child: Child;
  dataDir: string;
  authPort: number;
  acctPort: number;
  /** The daemon's PostgreSQL (through its PGlite endpoint) and the key that seals secrets, as the CLI uses them. */
  db: pg.Pool;
  box: SecretBox;
  stop(): Promise<number | null>;
}

/** `wispd start` with the example config, its own data directory and ephemeral RADIUS ports. */
export async function startDaemon(t: Test, env: Record<string, string> = {}, dataDir?: string): Promise<TestDaemon> {
  const dir = dataDir ?? `${tmpDir(t)}/data`;
  const child = startWispd(['--config', 'config/wispd.example.yaml'], {
    env: {
      WISPD_DAEMON_DATA_DIR: dir,
      WISPD_RADIUS_AUTH_PORT: '0',
      WISPD_RADIUS_ACCT_PORT: '0',
      WISPD_RADIUS_ADDRESS: '127.0.0.1',
      WISPD_RADIUS_DEMO: 'false',
      WISPD_INGEST_LISTEN: '127.0.0.1:0',
      WISPD_ADMIN_LISTEN: '127.0.0.1:0',
      ...env,
    },
  });
  let stopped = false;
  let db: pg.Pool | undefined;
  const stop = async () => {
    if (!stopped) {
      stopped = true;
      await db?.end();
      child.kill('SIGTERM');
    }
    return (await child.exited).code;
  };
  t.teardown(async () => {
    if (child.proc.exitCode === null) {
      await stop();
    }
  });
  const listening = await child.waitFor('RADIUS listening', 90_000);
  await child.waitFor('ready', 30_000);
  const data = new DataDir(dir);
  const endpoint = data.readEndpoint('postgres');
  db = new pg.Pool(
    env.WISPD_DATABASE_URL
      ? { connectionString: env.WISPD_DATABASE_URL, max: 2 }
      : { host: endpoint!.host, port: endpoint!.port, user: 'postgres', database: 'postgres', max: 2 },
  );
  // The daemon may be killed under the test's feet: an idle connection that breaks is not an error here.
  db.on('error', () => {});
  return {
    child,
    dataDir: dir,
    authPort: listening.auth as number,
    acctPort: listening.acct as number,
    db,
    box: loadSecretBox(env.WISPD_SECURITY_SECRET_KEY ?? '', data),
    stop,
  };
}

/** Waits until `check` holds (polling), for changes that reach the daemon through change_log. */
export async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * One Accounting-Request (a Start unless `status` says otherwise: RFC 2866 §5.1) for a session, from `from` (the
 * address the session's CoA goes back to); true when wispd answered it.
 */
export async function accountingRequest(
  port: number,
  secret: string,
  s: { from?: string; username: string; sid: string; ip: string; status?: number },
): Promise<boolean> {
  const client = await UdpClient.open(s.from ?? '127.0.0.1');
  const pkt = buildRequest(
    Code.AccountingRequest,
    7,
    [
      attr(Attr.UserName, Buffer.from(s.username)),
      attr(Attr.AcctStatusType, u32(s.status ?? 1)),
      attr(Attr.AcctSessionId, Buffer.from(s.sid)),
      attr(Attr.FramedIpAddress, Buffer.from(s.ip.split('.').map(Number))),
    ],
    Buffer.from(secret),
  );
  const reply = await client.request(pkt, port, 2000);
  client.close();
  return reply?.[0] === Code.AccountingResponse;
}

/**
 * Sends Accounting-Requests (a Start per session id) with `concurrency` in flight; returns the acknowledged ids. With
 * `unanswered`, the requests that got no answer are kept there (to be retransmitted from the same `client`).
 */
export async function accountingLoad(
  port: number,
  secret: Buffer,
  ids: string[],
  opts: {
    concurrency: number;
    onAck?: (n: number) => void;
    stop?: () => boolean;
    client?: UdpClient;
    unanswered?: Map<string, Buffer>;
  },
): Promise<Set<string>> {
  const client = opts.client ?? (await UdpClient.open());
  const acked = new Set<string>();
  let next = 0;
  let inFlightId = 0;
  await Promise.all(
    Array.from({ length: opts.concurrency }, async () => {
      while (next < ids.length && !opts.stop?.()) {
        const sid = ids[next++]!;
        const pkt = buildRequest(
          Code.AccountingRequest,
          inFlightId++ & 0xff,
          [
            attr(Attr.UserName, Buffer.from(`user-${sid}`)),
            attr(Attr.AcctStatusType, u32(1)),
            attr(Attr.AcctSessionId, Buffer.from(sid)),
            attr(Attr.AcctInputOctets, u32(1000)),
          ],
          secret,
        );
        const reply = await client.request(pkt, port, 2000);
        if (reply?.[0] === Code.AccountingResponse) {
          acked.add(sid);
          opts.onAck?.(acked.size);
        } else opts.unanswered?.set(sid, pkt);
      }
    }),
  );
  if (!opts.client) client.close();
  return acked;
}

/** The embedded ClickHouse of a daemon that has stopped (chDB belongs to one process: the daemon must be gone). */
export async function stoppedDaemonClickhouse(t: Test, dataDir: string): Promise<ClickhouseStore> {
  return testClickhouse(t, testDataDir(t, dataDir), false);
}

/**
 * The plugin test kit: a real wispd (`wispd start` in a child process, embedded stores in a directory of its own,
 * ephemeral ports) with the plugins given, and what a plugin's test needs around it — the daemon's PostgreSQL, an API
 * token, records made as the CLI makes them, RADIUS (PAP logins and accounting with usage, over UDP with the core's
 * codec: no radclient needed), waiting for a core event, running a job now, and a clock that moves forward.
 *
 * ```ts
 * import { startTestDaemon } from 'wispd/plugins/sdk/testing';
 * const d = await startTestDaemon({ plugins: [new URL('../', import.meta.url).pathname] });
 * await d.addPlan('home', '20M/5M'); await d.addSubscriber('ana', 'pw', 'home');
 * await d.accounting('ana', { status: 'Start', sessionId: 's1' });
 * const e = await d.waitForEvent('session.start', (e) => e.subject === 'ana');
 * await d.stop();
 * ```
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { control } from '../../../daemon/control/client.ts';
import type { EventEnvelope, EventType } from '../../../daemon/events/index.ts';
import {
  Attr,
  attr,
  buildRequest,
  Code,
  codeNames,
  hidePassword,
  randomAuthenticator,
  u32,
} from '../../../daemon/radius/codec/index.ts';
import { DataDir } from '../../../daemon/store/datadir.ts';

const BIN = new URL('../../../bin/wispd.js', import.meta.url).pathname;
const ROOT = new URL('../../../', import.meta.url).pathname;
const STATUS = { Start: 1, Stop: 2, 'Interim-Update': 3 } as const;

export interface TestDaemonOptions {
  /** What `plugins.enabled` would say: built-in names, or absolute paths. */
  plugins: readonly string[];
  /** More `WISPD_*` settings (a plugin's: `WISPD_PLUGINS_<NAME>_<KEY>`). */
  env?: Readonly<Record<string, string>>;
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface TestDaemon {
  /** The staff app: the panel, `/api/v1/`, `/hooks/<plugin>/`. */
  readonly url: string;
  readonly dataDir: string;
  /** Its PostgreSQL (the embedded one, through the daemon's endpoint). */
  readonly db: pg.Pool;
  /** The RADIUS shared secret of the NAS `addNas` made (127.0.0.1). */
  readonly secret: string;
  /** `wispd <args>` against this daemon. */
  cli(...args: string[]): Promise<Run>;
  /** A new API token with this staff role, for `Authorization: Bearer`. */
  apiToken(role?: string): Promise<string>;
  addPlan(
    name: string,
    rate: string,
    fup?: { quota: string; period: 'day' | 'week' | 'month' | 'cycle' },
  ): Promise<void>;
  /** Resolves once the daemon accepts the subscriber's login (its cache follows the database within a second). */
  addSubscriber(username: string, password: string, plan: string): Promise<void>;
  /** A PAP Access-Request from the NAS; the reply's code name (Access-Accept, Access-Reject) or 'timeout'. */
  auth(username: string, password: string): Promise<string>;
  /** An Accounting-Request; true when it was answered (stored). */
  accounting(
    username: string,
    r: {
      status: keyof typeof STATUS;
      sessionId: string;
      inputOctets?: number;
      outputOctets?: number;
      sessionTime?: number;
      framedIp?: string;
    },
  ): Promise<boolean>;
  /** The first event of `type` (matching `match`) in the core's event log; a plugin must consume the type. */
  waitForEvent(type: EventType, match?: (e: EventEnvelope) => boolean, timeoutMs?: number): Promise<EventEnvelope>;
  /** Runs a job now (`<plugin>.<job>`), as `wispd job run` does. */
  runJob(name: string): Promise<unknown>;
  /** Moves the daemon's clock forward: jobs due, fair-usage periods, notification windows follow. */
  advanceClock(ms: number): Promise<void>;
  /** SIGTERM; resolves to the exit code; the directory is removed. */
  stop(): Promise<number | null>;
}

function wait<T>(check: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  return (async () => {
    for (;;) {
      const v = await check();
      if (v !== undefined) return v;
      if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
}

/** Sends one RADIUS datagram and waits for the reply with its identifier. */
function exchange(port: number, packet: Buffer, timeoutMs = 2000): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    const timer = setTimeout(() => {
      socket.close();
      resolve(undefined);
    }, timeoutMs);
    socket.on('message', (msg) => {
      if (msg[1] !== packet[1]) return;
      clearTimeout(timer);
      socket.close();
      resolve(msg);
    });
    socket.send(packet, port, '127.0.0.1');
  });
}

export async function startTestDaemon(opts: TestDaemonOptions): Promise<TestDaemon> {
  const dir = mkdtempSync(join(tmpdir(), 'wispd-plugin-test-'));
  const dataDir = join(dir, 'data');
  const env: Record<string, string> = {
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('WISPD_')) as [string, string][]),
    WISPD_DAEMON_DATA_DIR: dataDir,
    WISPD_DAEMON_TEST_CLOCK: 'true',
    WISPD_RADIUS_ADDRESS: '127.0.0.1',
    WISPD_RADIUS_AUTH_PORT: '0',
    WISPD_RADIUS_ACCT_PORT: '0',
    WISPD_RADIUS_DEMO: 'false',
    WISPD_INGEST_LISTEN: '127.0.0.1:0',
    WISPD_ADMIN_LISTEN: '127.0.0.1:0',
    WISPD_PLUGINS_ENABLED: opts.plugins.join(','),
    ...opts.env,
  };
  const child: ChildProcess = spawn(process.execPath, [BIN, 'start'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Array<Record<string, unknown>> = [];
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    const parts = out.split('\n');
    out = parts.pop()!;
    for (const l of parts) {
      try {
        lines.push(JSON.parse(l) as Record<string, unknown>);
      } catch {}
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const line = (msg: string) =>
    wait(
      async () => {
        if (child.exitCode !== null) throw new Error(`wispd exited (${child.exitCode}) before "${msg}":\n${err}`);
        return lines.find((l) => l.msg === msg);
      },
      90_000,
      `wispd: "${msg}"`,
    );
  const radius = await line('RADIUS listening');
  const panel = await line('staff panel listening');
  await line('ready');
  const endpoint = new DataDir(dataDir).readEndpoint('postgres')!;
  const db = new pg.Pool({ host: endpoint.host, port: endpoint.port, user: 'postgres', database: 'postgres', max: 2 });
  db.on('error', () => {});

  const cli = (...args: string[]) =>
    new Promise<Run>((resolve) => {
      const p = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      p.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      p.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      p.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  const must = async (...args: string[]) => {
    const r = await cli(...args);
    if (r.code !== 0) throw new Error(`wispd ${args.join(' ')}: ${r.stderr.trim()}`);
    return r;
  };

  const secret = `kit-${Math.random().toString(36).slice(2)}`;
  await must('nas', 'add', '--name', 'kit-nas', '--address', '127.0.0.1', '--secret', secret, '--vendor', 'mikrotik');
  const key = Buffer.from(secret);
  const authPort = radius.auth as number;
  const acctPort = radius.acct as number;
  let id = 0;

  const auth = async (username: string, password: string) => {
    const authenticator = randomAuthenticator();
    const packet = buildRequest(
      Code.AccessRequest,
      ++id & 0xff,
      [
        attr(Attr.UserName, Buffer.from(username)),
        attr(Attr.UserPassword, hidePassword(Buffer.from(password), key, authenticator)),
      ],
      key,
      { authenticator, messageAuthenticator: true },
    );
    const reply = await exchange(authPort, packet);
    return reply ? (codeNames[reply[0]!] ?? String(reply[0])) : 'timeout';
  };
  // A NAS added a moment ago is known once a login is answered at all (the cache follows within a second).
  await wait(async () => ((await auth('kit-probe', 'x')) === 'timeout' ? undefined : true), 10_000, 'the NAS known');

  let stopped: Promise<number | null> | undefined;
  return {
    url: `http://${String(panel.listen)}`,
    dataDir,
    db,
    secret,
    cli,
    async apiToken(role = 'admin') {
      const r = await must('admin', 'create-token', '--name', `kit-${role}-${++id}`, '--role', role);
      return r.stdout.trim();
    },
    async addPlan(name, rate, fup) {
      const [down, up] = rate.split('/');
      await must(
        'plan',
        'add',
        '--name',
        name,
        '--rate-down',
        down!,
        '--rate-up',
        up ?? down!,
        ...(fup ? ['--fup-quota', fup.quota, '--fup-period', fup.period] : []),
      );
    },
    async addSubscriber(username, password, plan) {
      await must('subscriber', 'add', '--username', username, '--password', password, '--plan', plan);
      // The daemon's cache follows the database within a second: resolved once it accepts the login.
      await wait(
        async () => ((await auth(username, password)) === 'Access-Accept' ? true : undefined),
        10_000,
        `${username} known`,
      );
    },
    auth,
    async accounting(username, r) {
      const attrs = [
        attr(Attr.UserName, Buffer.from(username)),
        attr(Attr.AcctStatusType, u32(STATUS[r.status])),
        attr(Attr.AcctSessionId, Buffer.from(r.sessionId)),
        attr(Attr.FramedIpAddress, Buffer.from((r.framedIp ?? '100.64.0.1').split('.').map(Number))),
        ...(r.inputOctets !== undefined ? [attr(Attr.AcctInputOctets, u32(r.inputOctets % 2 ** 32))] : []),
        ...(r.outputOctets !== undefined ? [attr(Attr.AcctOutputOctets, u32(r.outputOctets % 2 ** 32))] : []),
        ...(r.inputOctets !== undefined && r.inputOctets >= 2 ** 32
          ? [attr(Attr.AcctInputGigawords, u32(Math.floor(r.inputOctets / 2 ** 32)))]
          : []),
        ...(r.outputOctets !== undefined && r.outputOctets >= 2 ** 32
          ? [attr(Attr.AcctOutputGigawords, u32(Math.floor(r.outputOctets / 2 ** 32)))]
          : []),
        ...(r.sessionTime !== undefined ? [attr(Attr.AcctSessionTime, u32(r.sessionTime))] : []),
      ];
      const reply = await exchange(acctPort, buildRequest(Code.AccountingRequest, ++id & 0xff, attrs, key));
      return reply?.[0] === Code.AccountingResponse;
    },
    waitForEvent(type, match = () => true, timeoutMs = 10_000) {
      return wait(
        async () => {
          const { rows } = await db.query<{
            id: string;
            type: EventType;
            subject: string;
            occurred_at: Date;
            data: Record<string, unknown>;
          }>('SELECT id, type, subject, occurred_at, data FROM event_log WHERE type = $1 ORDER BY seq', [type]);
          const found = rows
            .map((r) => ({
              id: r.id,
              type: r.type,
              subject: r.subject,
              occurredAt: r.occurred_at.toISOString(),
              data: r.data,
            }))
            .find(match);
          return found;
        },
        timeoutMs,
        `event ${type}`,
      );
    },
    runJob: (name) => control(new DataDir(dataDir), 'job.run', { name }),
    async advanceClock(ms) {
      await control(new DataDir(dataDir), 'clock.advance', { ms });
    },
    stop() {
      stopped ??= (async () => {
        await db.end();
        child.kill('SIGTERM');
        const code = await exited;
        rmSync(dir, { recursive: true, force: true });
        return code;
      })();
      return stopped;
    },
  };
}

// Telemetry in the running daemon, as an operator and a pusher meet it: `wispd device add` for a real snmpd and for a
// device that never answers, `device list` / `device show`, `collector add` and its token on POST /v1/telemetry
// (stored, 401, 400 naming the line with nothing partial, a retried batch stored once, 413, 429 with Retry-After while
// ClickHouse is slow — with the daemon's memory measured — and then stored; slow senders cut off with 408 while a
// legitimate pusher goes on), and the /v1/live stream.
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import t from 'tap';
import { type ClickhouseServer, startClickhouseServer } from '../helpers/clickhouse-server.ts';
import { tmpDir } from '../helpers/env.ts';
import { wispdAsync } from '../helpers/proc.ts';
import { eventually, startDaemon } from '../helpers/radius.ts';
import { startSilentDevice, startSnmpd } from '../helpers/snmp-sim.ts';
import { wsConnect } from '../helpers/ws.ts';

const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

async function count(ch: ClickhouseServer, where: string): Promise<number> {
  const r = await fetch(`${ch.url}/?database=wispd`, {
    method: 'POST',
    body: `SELECT count() FROM telemetry_raw WHERE ${where} FORMAT TSV`,
  });
  return Number((await r.text()).trim());
}

async function rows(ch: ClickhouseServer, sql: string): Promise<Record<string, unknown>[]> {
  const r = await fetch(`${ch.url}/?database=wispd`, { method: 'POST', body: `${sql} FORMAT JSONEachRow` });
  const text = await r.text();
  if (!r.ok) throw new Error(text);
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

t.test('telemetry in the daemon', async (t) => {
  const dir = tmpDir(t);
  const ch = await startClickhouseServer(`${dir}/chdb`);
  t.teardown(() => ch.close());
  const snmpd = await startSnmpd(t, `${dir}/snmpd`);
  const silent = await startSilentDevice();
  t.teardown(() => silent.close());
  const daemon = await startDaemon(t, {
    WISPD_CLICKHOUSE_URL: ch.url,
    WISPD_CLICKHOUSE_REQUEST_TIMEOUT: '20s',
    WISPD_TELEMETRY_BATCH_INTERVAL: '50ms',
    WISPD_TELEMETRY_MAX_PENDING_ROWS: '5000',
    WISPD_INGEST_MAX_BODY_MB: '1',
    // Eight slow senders declaring 1 MB each would hold all of it if bodies were charged as declared.
    WISPD_INGEST_MAX_INFLIGHT_MB: '8',
    WISPD_INGEST_MAX_INFLIGHT_PER_COLLECTOR_MB: '4',
    WISPD_SNMP_TIMEOUT: '300ms',
    WISPD_SNMP_RETRIES: '0',
    WISPD_SNMP_DOWN_AFTER: '1',
  });
  const env = { WISPD_DAEMON_DATA_DIR: daemon.dataDir, WISPD_CLICKHOUSE_URL: ch.url };
  // Not spawnSync: this process serves the daemon's ClickHouse.
  const run = (...args: string[]) => wispdAsync(args, { env });
  const listen = String((await daemon.child.waitFor('telemetry push endpoint listening')).listen);
  const port = Number(listen.split(':')[1]);
  const push = (body: string, headers: Record<string, string> = {}) =>
    fetch(`http://127.0.0.1:${port}/v1/telemetry`, { method: 'POST', body, headers });

  t.equal((await run('site', 'add', '--name', 'north', '--description', 'north tower')).code, 0);
  const added = await run('collector', 'add', '--name', 'north-poller', '--site', 'north');
  t.equal(added.code, 0, added.stderr);
  const token = /token: (wct_\S+)/.exec(added.stdout)?.[1] ?? '';
  t.ok(token, 'collector add prints the token');
  const auth = { Authorization: `Bearer ${token}` };

  t.test('devices added with the CLI are polled: up with values, or down', async (t) => {
    const router = await run(
      'device',
      'add',
      '--name',
      'lab-router',
      '--address',
      `127.0.0.1:${snmpd.port}`,
      '--profile',
      'if-mib',
      '--community',
      'wisp-ro',
      '--interval',
      '5s',
      '--role',
      'router',
      '--site',
      'north',
    );
    t.equal(router.code, 0, router.stderr);
    t.match(router.stdout, 'added device lab-router (router, SNMP if-mib, every 5s)');
    const dead = await run(
      'device',
      'add',
      '--name',
      'dead-ap',
      '--address',
      `127.0.0.1:${silent.port}`,
      '--profile',
      'ubiquiti-airmax',
      '--interval',
      '5s',
      '--parent',
      'lab-router',
    );
    t.equal(dead.code, 0, dead.stderr);
    const live = await wsConnect(port, `/v1/live?token=${token}`);
    t.teardown(() => live.close());
    let out = '';
    const list = await eventually(async () => {
      out = (await run('device', 'list')).stdout;
      return /^lab-router\s.*\sup\s+\d+s ago\s+\d+s ago\s+\d+\s+-$/m.test(out) &&
        /^dead-ap\s.*\sdown\s.*Request timed out$/m.test(out)
        ? out
        : undefined;
    }, 20_000).catch((err) => {
      throw new Error(`${(err as Error).message}; device list:\n${out}`);
    });
    t.match(list, /^NAME\s+SITE\s+ROLE\s+ADDRESS\s+PROFILE\s+STATUS\s+SINCE\s+LAST_POLL\s+POLL_MS\s+ERROR$/m);
    t.pass('the live device is up with its last poll; the dead one down, with its error');
    const down = await live.next(
      (m): m is { type: string; device: string } => (m as { type?: string }).type === 'device.down',
    );
    t.match(down, { type: 'device.down', device: 'dead-ap' }, '/v1/live streams the down event');
    const show = await eventually(async () => {
      const r = await run('device', 'show', 'lab-router');
      out = r.stdout + r.stderr;
      return /^if\.in_bps\s+lo\s/m.test(out) ? out : undefined;
    }, 20_000).catch((err) => {
      throw new Error(`${(err as Error).message}; device show:\n${out}`);
    });
    t.match(show, /^status:\s+up since /m);
    t.match(show, /^METRIC\s+INSTANCE\s+VALUE\s+TS$/m);
    t.match(show, /^if\.oper_status\s+lo\s+1\s/m, 'latest values per metric, from ClickHouse');
    const events = await eventually(async () => {
      const r = await rows(ch, "SELECT device, event FROM device_events WHERE device = 'dead-ap'");
      return r.length > 0 ? r : undefined;
    });
    t.same(events, [{ device: 'dead-ap', event: 'down' }], 'the transition is a row in device_events');
  });

  t.test('POST /v1/telemetry', async (t) => {
    const now = Date.now();
    const body = [
      JSON.stringify({ device: 'pusher-1', metric: 'signal_dbm', value: -61.5, ts: now - 2000, instance: 'wlan0' }),
      '',
      JSON.stringify({ device: 'pusher-1', metric: 'noise_dbm', value: -95, ts: new Date(now - 1000).toISOString() }),
      JSON.stringify({ device: 'pusher-1', metric: 'stations', value: 12, site: 'south' }),
    ].join('\n');
    const ok = await eventually(async () => {
      const r = await push(body, auth);
      return r.status === 401 ? undefined : r;
    });
    t.equal(ok.status, 200);
    t.same(await ok.json(), { rows: 3 });
    t.same(
      await rows(ch, "SELECT site, metric, instance, value FROM telemetry_raw WHERE device = 'pusher-1' ORDER BY ts"),
      [
        { site: 'north', metric: 'signal_dbm', instance: 'wlan0', value: -61.5 },
        { site: 'north', metric: 'noise_dbm', instance: '', value: -95 },
        { site: 'south', metric: 'stations', instance: '', value: 12 },
      ],
      'stored as sent; the collector’s site where a sample names none',
    );

    const none = await push(body);
    t.equal(none.status, 401, 'no token: 401');
    t.match(await none.json(), { error: 'WISPD_INGEST_UNAUTHORIZED' });
    t.equal((await push(body, { Authorization: 'Bearer wct_not-a-token' })).status, 401, 'an unknown token: 401');

    const bad = [1, 2, 3].map((i) => JSON.stringify({ device: 'pusher-2', metric: 'x', value: i }));
    bad.push(
      '{"device":"pusher-2","metric":"x","value":"high"}',
      JSON.stringify({ device: 'pusher-2', metric: 'x', value: 5 }),
    );
    const r400 = await push(bad.join('\n'), auth);
    t.equal(r400.status, 400);
    const why = (await r400.json()) as { line: number; message: string };
    t.equal(why.line, 4, 'the first bad line is named');
    t.match(why.message, /^line 4: value must be a finite number; nothing of this batch was stored$/);
    const notJson = await push(`${bad[0]}\n{"device": "pusher-2",`, auth);
    t.match(await notJson.json(), { line: 2, message: /^line 2: not JSON/ });
    await new Promise((r) => setTimeout(r, 300));
    t.equal(await count(ch, "device = 'pusher-2'"), 0, 'nothing partial stored');

    const batch = [1, 2, 3, 4]
      .map((i) => JSON.stringify({ device: 'pusher-3', metric: 'x', value: i, ts: now - i }))
      .join('\n');
    for (let i = 0; i < 3; i++) {
      const r = await push(batch, { ...auth, 'X-Batch-Id': 'b-0001' });
      t.equal(r.status, 200, `delivery ${i + 1} of the same batch is acknowledged`);
    }
    t.equal(await count(ch, "device = 'pusher-3'"), 4, 'a batch sent three times (one X-Batch-Id) is stored once');

    const big = await push('x'.repeat(1.5 * 1024 * 1024), auth);
    t.equal(big.status, 413, 'a body over ingest.max_body_mb: 413');

    const live = await wsConnect(port, `/v1/live?token=${token}`);
    t.teardown(() => live.close());
    const counters = await live.next(
      (m): m is { counters: { ingest: { rows: number } } } =>
        (m as { type?: string }).type === 'counters' &&
        ((m as { counters: { ingest: { rows: number } } }).counters.ingest.rows ?? 0) >= 7,
    );
    t.ok(counters.counters.ingest.rows >= 7, '/v1/live streams the pipeline counters');
    await t.rejects(wsConnect(port, '/v1/live?token=wrong'), /401/, '/v1/live without a valid token: 401');
  });

  t.test('slow senders are cut off and cannot starve a legitimate pusher', async (t) => {
    const other = await run('collector', 'add', '--name', 'slow-poller', '--site', 'north');
    const slowToken = /token: (wct_\S+)/.exec(other.stdout)?.[1] ?? '';
    await eventually(async () => {
      const r = await push(JSON.stringify({ device: 'slow', metric: 'x', value: 1 }), {
        Authorization: `Bearer ${slowToken}`,
      });
      return r.status === 200 || undefined;
    });
    const before = rssMb(daemon.child.proc.pid!);
    // Eight connections that declare the largest body allowed and send a few bytes a second.
    const slow = Array.from(
      { length: 8 },
      () =>
        new Promise<{ answer: string; closedAfterMs: number }>((resolve) => {
          const started = Date.now();
          let answer = '';
          const socket = connect(port, '127.0.0.1', () => {
            socket.write(
              `POST /v1/telemetry HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${slowToken}\r\nContent-Length: ${1024 * 1024}\r\n\r\n`,
            );
          });
          const drip = setInterval(() => socket.write('{"device":"slow",'), 500);
          socket.on('data', (d) => {
            answer += d;
          });
          socket.on('error', () => {});
          socket.on('close', () => {
            clearInterval(drip);
            resolve({ answer, closedAfterMs: Date.now() - started });
          });
        }),
    );
    await eventually(async () => {
      const r = await push(JSON.stringify({ device: 'legit', metric: 'x', value: 1 }), auth);
      return r.status === 200 || undefined;
    });
    for (let i = 0; i < 5; i++) {
      const r = await push(JSON.stringify({ device: 'legit', metric: 'x', value: i, instance: `i${i}` }), auth);
      t.equal(r.status, 200, `a legitimate push while the slow ones hold their connections: ${r.status}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    const ended = await Promise.all(slow);
    for (const e of ended) {
      t.match(e.answer, /^HTTP\/1\.1 408 /, 'the slow sender is answered 408');
      t.ok(e.closedAfterMs < 10_000, `and disconnected after ${e.closedAfterMs} ms`);
    }
    t.ok(rssMb(daemon.child.proc.pid!) - before < 60, 'declared bodies are not memory set aside');
    const live = await wsConnect(port, `/v1/live?token=${token}`);
    t.teardown(() => live.close());
    await live.next(
      (m): m is object =>
        (m as { counters?: { ingest?: { inflight_bytes?: number; slow_bodies?: number } } }).counters?.ingest
          ?.slow_bodies === 8,
    );
    t.pass('counted as slow bodies');
  });

  t.test(
    'a slow ClickHouse: 429 with Retry-After, memory stays flat, then everything accepted is stored',
    async (t) => {
      ch.stall();
      const lines = (n: number, tag: string) =>
        Array.from({ length: n }, (_, i) =>
          JSON.stringify({ device: 'bulk', metric: 'x', value: i, instance: tag }),
        ).join('\n');
      let accepted = 0;
      const inFlight: Array<Promise<Response>> = [];
      let refused: Response | undefined;
      for (let i = 0; i < 20 && !refused; i++) {
        const p = push(lines(1000, `a${i}`), auth);
        inFlight.push(p);
        // The writer acknowledges a push once stored, so these wait; the backlog is counted as they arrive.
        await new Promise((r) => setTimeout(r, 100));
        const now = await Promise.race([p, new Promise<undefined>((r) => setTimeout(r, 50, undefined))]);
        if (now?.status === 429) refused = now;
      }
      t.ok(refused, 'refused once more than telemetry.max_pending_rows wait');
      t.equal(refused?.headers.get('retry-after'), '2', 'with Retry-After (ingest.retry_after)');
      t.match(await refused?.json(), { error: 'WISPD_TELEMETRY_BACKPRESSURE' });

      // Two floods of the same size: the first brings the heap to its working size (how far depends on when the
      // collector runs, which load on the machine moves); a daemon that kept what it refused would grow again by
      // the second's 85 MB, a bounded one hardly at all.
      const payload = lines(9000, 'flood'); // ~0.6 MB each
      let flood429 = 0;
      const flood = async () => {
        for (let i = 0; i < 150; i++) {
          const r = await push(payload, auth);
          if (r.status === 429) flood429++;
          await r.arrayBuffer();
        }
      };
      const start = rssMb(daemon.child.proc.pid!);
      await flood();
      const between = rssMb(daemon.child.proc.pid!);
      await flood();
      const growth = rssMb(daemon.child.proc.pid!) - between;
      t.equal(
        flood429,
        300,
        `${((payload.length * 300) / 1e6).toFixed(0)} MB pushed while ClickHouse is slow: all 429`,
      );
      t.ok(
        growth < 30,
        `the second flood grew the daemon by ${growth.toFixed(1)} MB (the first by ${(between - start).toFixed(1)} MB): bounded, not by what was pushed`,
      );

      ch.resume();
      const answers = await Promise.all(inFlight);
      for (const r of answers) if (r.status === 200) accepted += 1000;
      t.ok(accepted >= 4000, `${accepted / 1000} pushes acknowledged before the backlog was full`);
      await eventually(async () => ((await count(ch, "device = 'bulk'")) === accepted ? true : undefined), 20_000);
      t.pass('every acknowledged row is stored');
      const after = await push(lines(10, 'after'), auth);
      t.equal(after.status, 200, 'accepted again once ClickHouse keeps up');
      // A pusher that goes away halfway through its body.
      await new Promise<void>((resolve) => {
        const socket = connect(port, '127.0.0.1', () => {
          socket.write(
            `POST /v1/telemetry HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Length: 500000\r\n\r\n`,
          );
          socket.write(lines(100, 'half'), () => setTimeout(() => socket.destroy(), 100));
        });
        socket.on('close', () => resolve());
      });
      const live = await wsConnect(port, `/v1/live?token=${token}`);
      t.teardown(() => live.close());
      await live.next(
        (m): m is object =>
          (m as { counters?: { ingest?: { inflight_bytes?: number } } }).counters?.ingest?.inflight_bytes === 0,
      );
      t.pass('no body is left counted as in flight');
    },
  );
});

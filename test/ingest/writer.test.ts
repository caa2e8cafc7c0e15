// The telemetry writer against a ClickHouse server (HTTP interface on chDB): batches merged into few inserts, a batch
// with an id stored once however often it comes, ClickHouse down → the spool, replayed once after a restart, and a
// bounded backlog.
import { readdirSync, writeFileSync } from 'node:fs';
import t from 'tap';
import { RowBuilder, rowSource } from '../../contracts/telemetry/index.ts';
import { createTelemetryWriter } from '../../daemon/ingest/writer.ts';
import { coreMigrations, createClickhouse } from '../../daemon/store/clickhouse/index.ts';
import { DataDir } from '../../daemon/store/datadir.ts';
import { startClickhouseServer } from '../helpers/clickhouse-server.ts';
import { defaults, silentLog, tmpDir } from '../helpers/env.ts';

const log = silentLog();

function batch(device: string, n: number, id?: string) {
  const rows = new RowBuilder();
  const src = rowSource('north', device);
  const now = Date.now();
  for (let i = 0; i < n; i++) rows.add(now - i * 1000, src, 'if.in_bps', 'ether1', i * 1.5);
  const b = rows.take()!;
  return id ? { ...b, id } : b;
}

t.test('telemetry writer', async (t) => {
  const server = await startClickhouseServer(`${tmpDir(t)}/chdb`);
  t.teardown(() => server.close());
  const ch = createClickhouse(
    { ...defaults.clickhouse, url: server.url, request_timeout: 5000 },
    { log, migrations: coreMigrations() },
  );
  await ch.start();
  t.teardown(() => ch.stop());
  const dataDir = new DataDir(tmpDir(t));
  dataDir.acquireOrThrow();
  t.teardown(() => dataDir.release());
  const config = { batch_rows: 1000, batch_interval: 50, max_pending_rows: 5000, spool_mb: 64 };
  const count = async (device: string, table = 'telemetry_raw') =>
    Number(
      (
        await ch.query<{ n: string }>(
          table === 'telemetry_raw'
            ? 'SELECT count() AS n FROM telemetry_raw WHERE device = {d:String}'
            : `SELECT sum(count) AS n FROM ${table} WHERE device = {d:String}`,
          { d: device },
        )
      )[0]!.n,
    );

  t.test('batches are merged into few inserts, rows and rollups stored', async (t) => {
    const w = createTelemetryWriter(config, { log, clickhouse: ch, dataDir });
    await w.start();
    await Promise.all([w.write(batch('ap-1', 400)), w.write(batch('ap-1', 400)), w.write(batch('ap-1', 400))]);
    t.equal(await count('ap-1'), 1200, 'every row in telemetry_raw');
    t.equal(await count('ap-1', 'telemetry_5m'), 1200, 'counted in the 5-minute rollup');
    t.equal(await count('ap-1', 'telemetry_1h'), 1200, 'and in the hourly one');
    t.match(w.counters(), { rows: 1200, batches_in: 3, inserts: 2 }, 'three batches, two inserts (1000 rows at most)');
    const [row] = await ch.query<{ instance: string; value: number; site: string }>(
      "SELECT site, instance, value FROM telemetry_raw WHERE device = 'ap-1' ORDER BY ts DESC LIMIT 1",
    );
    t.same(row, { site: 'north', instance: 'ether1', value: 0 }, 'fields as written');
    await w.stop();
  });

  t.test('a batch delivered twice under one id is stored once', async (t) => {
    const w = createTelemetryWriter(config, { log, clickhouse: ch, dataDir });
    await w.start();
    const b = batch('ap-2', 250, 'site-north:42');
    await w.write(b);
    await w.write({ ...b });
    t.equal(await count('ap-2'), 250);
    t.equal(await count('ap-2', 'telemetry_5m'), 250, 'the rollup did not count the repeat either');
    t.equal(w.counters().inserts, 2, 'both were sent (ClickHouse dropped the repeat)');
    await w.stop();
  });

  t.test('ClickHouse down: batches go to the spool, survive a restart, and are replayed once', async (t) => {
    let w = createTelemetryWriter(config, { log, clickhouse: ch, dataDir });
    await w.start();
    server.pause();
    await Promise.all([w.write(batch('ap-3', 300)), w.write(batch('ap-3', 300, 'remote:7'))]);
    t.match(w.counters(), { spooled_rows: 600, spool_batches: 2, outage: 1 }, 'acknowledged from the spool');
    await w.stop();

    w = createTelemetryWriter(config, { log, clickhouse: ch, dataDir });
    await w.start();
    t.equal(w.counters().spool_batches, 2, 'the new writer finds the spooled batches');
    await w.write(batch('ap-3', 100));
    server.resume();
    t.ok(await w.drainSpool(20_000), 'the spool drains once ClickHouse answers');
    await w.flush();
    t.equal(await count('ap-3'), 700, 'every row once');
    // The batch written during the outage went to the spool behind the others, keeping the order.
    t.match(w.counters(), { replayed_rows: 700, spool_batches: 0, outage: 0 });
    await w.stop();
  });

  t.test('batches spooled by wispd 0.1 (a file each) are taken over and stored once', async (t) => {
    const dir = dataDir.sub('spool/telemetry', true);
    const old = batch('ap-7', 40);
    writeFileSync(`${dir}/000000000001.40.${Buffer.from('wispd:old:1').toString('base64url')}.tsv`, old.body);
    const w = createTelemetryWriter(config, { log, clickhouse: ch, dataDir });
    await w.start();
    t.notOk(
      readdirSync(dir).some((f) => f.endsWith('.tsv')),
      'the file is gone once its batch is in the segment log',
    );
    t.ok(await w.drainSpool(20_000));
    t.equal(await count('ap-7'), 40);
    await w.stop();
  });

  t.test('a replay that failed is tried again by itself once ClickHouse answers', async (t) => {
    const w = createTelemetryWriter(config, { log, clickhouse: ch, dataDir });
    await w.start();
    server.pause();
    await w.write(batch('ap-6', 50, 'retry:1'));
    // Several replays fail meanwhile (backoff 50 ms, 100 ms, 200 ms…).
    await new Promise((r) => setTimeout(r, 500));
    t.equal(w.counters().spool_batches, 1, 'still waiting');
    server.resume();
    const deadline = Date.now() + 15_000;
    while ((w.counters().spool_batches ?? 0) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    t.match(w.counters(), { spool_batches: 0, outage: 0 }, 'replayed without anyone asking');
    t.equal(await count('ap-6'), 50);
    await w.stop();
  });

  t.test('the backlog is bounded: past max_pending_rows, writes are refused', async (t) => {
    const w = createTelemetryWriter(
      { ...config, batch_interval: 60_000, batch_rows: 10_000, max_pending_rows: 1000 },
      {
        log,
        clickhouse: ch,
        dataDir,
      },
    );
    await w.start();
    const first = w.write(batch('ap-4', 400));
    const second = w.write(batch('ap-4', 400));
    await t.rejects(w.write(batch('ap-4', 400)), { code: 'WISPD_TELEMETRY_BACKPRESSURE' });
    t.equal(w.counters().refused_rows, 400);
    t.ok(w.headroom() < 0.25, 'producers can see the pressure');
    await w.flush();
    await Promise.all([first, second]);
    t.equal(await count('ap-4'), 800);
    await w.stop();
  });

  t.test('ClickHouse down and no spool: a write fails and says why', async (t) => {
    const w = createTelemetryWriter({ ...config, spool_mb: 0 }, { log, clickhouse: ch, dataDir });
    await w.start();
    server.pause();
    t.teardown(() => server.resume());
    await t.rejects(w.write(batch('ap-5', 10, 'x:1')), {
      code: 'WISPD_TELEMETRY_UNAVAILABLE',
      message: /spool is off/,
    });
    t.equal(w.counters().dropped_rows, 10);
    server.resume();
    await w.stop();
  });
});

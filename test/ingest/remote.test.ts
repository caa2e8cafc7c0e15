// A remote poller end to end on a real nats-server: `wispd collect --site north` learns the site's radios from the
// daemon with its collector token, polls them and publishes to JetStream; the daemon stores the rows and the devices'
// status. The daemon is killed (SIGKILL) and restarted in the middle: every row the poller published is stored, once.
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import t from 'tap';
import { streamName } from '../../contracts/telemetry/index.ts';
import { type ClickhouseServer, startClickhouseServer } from '../helpers/clickhouse-server.ts';
import { natsUrl, randomId, tmpDir } from '../helpers/env.ts';
import { Child, wispdAsync, wispdBin } from '../helpers/proc.ts';
import { eventually, startDaemon } from '../helpers/radius.ts';
import { startRadio } from '../helpers/snmp-sim.ts';

async function scalar(ch: ClickhouseServer, sql: string): Promise<number> {
  const r = await fetch(`${ch.url}/?database=wispd`, { method: 'POST', body: `${sql} FORMAT TSV` });
  const text = await r.text();
  if (!r.ok) throw new Error(text);
  return Number(text.trim());
}

t.test('remote poller over NATS', async (t) => {
  const dir = tmpDir(t);
  const nats = await natsUrl(t);
  const prefix = `t${randomId()}`;
  t.teardown(async () => {
    const nc = await connect({ servers: nats });
    await (await jetstreamManager(nc)).streams.delete(streamName(prefix)).catch(() => undefined);
    await nc.close();
  });
  const ch = await startClickhouseServer(`${dir}/chdb`);
  t.teardown(() => ch.close());
  const radios = await Promise.all(
    (['ubiquiti-airmax', 'mikrotik-wireless', 'cambium-epmp'] as const).map((kind) =>
      startRadio({ kind, stations: 3, bytesPerSecond: 100_000 }),
    ),
  );
  t.teardown(() => Promise.all(radios.map((r) => r.close())));

  const daemonEnv = {
    WISPD_NATS_URL: nats,
    WISPD_NATS_SUBJECT_PREFIX: prefix,
    WISPD_CLICKHOUSE_URL: ch.url,
  };
  const dataDir = `${dir}/data`;
  let daemon = await startDaemon(t, daemonEnv, dataDir);
  t.match(await daemon.child.waitFor('consuming remote telemetry'), { consumer: 'wispd-telemetry' });
  const run = (...args: string[]) => wispdAsync(args, { env: { WISPD_DAEMON_DATA_DIR: dataDir, ...daemonEnv } });

  t.equal((await run('site', 'add', '--name', 'north', '--remote')).code, 0);
  t.equal((await run('site', 'add', '--name', 'south')).code, 0);
  const token = /token: (wct_\S+)/.exec(
    (await run('collector', 'add', '--name', 'north-poller', '--site', 'north')).stdout,
  )?.[1];
  const southToken = /token: (wct_\S+)/.exec(
    (await run('collector', 'add', '--name', 'south-poller', '--site', 'south')).stdout,
  )?.[1];
  t.ok(token && southToken, 'collector tokens');
  for (const [i, r] of radios.entries()) {
    const added = await run(
      'device',
      'add',
      '--name',
      `north-ap-${i}`,
      '--address',
      `127.0.0.1:${r.port}`,
      '--profile',
      r.kind,
      '--interval',
      '5s',
      '--site',
      'north',
    );
    t.equal(added.code, 0, added.stderr);
  }

  const collectEnv = {
    WISPD_NATS_URL: nats,
    WISPD_NATS_SUBJECT_PREFIX: prefix,
    WISPD_SNMP_TIMEOUT: '500ms',
    WISPD_DAEMON_DATA_DIR: `${dir}/collect`,
  };
  const refused = new Child(process.execPath, [wispdBin, 'collect', '--site', 'north'], {
    env: { ...collectEnv, WISPD_COLLECT_TOKEN: southToken! },
  });
  const exit = await refused.exited;
  t.equal(exit.code, 1, 'a token of another site is refused at start');
  t.match(refused.stdout, /belongs to site south, not north/);

  const poller = new Child(process.execPath, [wispdBin, 'collect', '--site', 'north'], {
    env: { ...collectEnv, WISPD_COLLECT_TOKEN: token! },
  });
  t.teardown(() => {
    if (poller.proc.exitCode === null) poller.kill('SIGKILL');
  });
  t.match(await poller.waitFor('collecting', 30_000), { devices: 3 });

  const northRows = () => scalar(ch, "SELECT count() FROM telemetry_raw WHERE site = 'north'");
  await eventually(async () => ((await northRows()) > 0 ? true : undefined), 20_000);
  t.pass('rows polled at the site reach ClickHouse through JetStream');
  const list = await eventually(async () => {
    const out = (await run('device', 'list', '--site', 'north')).stdout;
    return (out.match(/\sup\s/g) ?? []).length === 3 ? out : undefined;
  }, 20_000);
  t.match(
    list,
    /^north-ap-0\s+north\s+\S+\s+127\.0\.0\.1:\d+\s+ubiquiti-airmax\s+up\s/m,
    'status reported by the poller',
  );

  daemon.child.kill('SIGKILL');
  await daemon.child.exited;
  const atKill = await northRows();
  // The poller goes on publishing while the daemon is away; JetStream keeps it.
  await new Promise((r) => setTimeout(r, 6000));
  t.equal(await northRows(), atKill, 'nothing stored while the daemon is down');
  daemon = await startDaemon(t, daemonEnv, dataDir);
  await new Promise((r) => setTimeout(r, 3000));

  poller.kill('SIGTERM');
  await poller.exited;
  const published = poller.lines.find((l) => l.msg === 'published');
  t.ok(published && Number(published.rows) > 0, `the poller published ${published?.rows} rows`);
  await eventually(async () => ((await northRows()) === Number(published!.rows) ? true : undefined), 30_000).catch(
    async () => t.fail(`stored ${await northRows()} rows of ${published!.rows} published`),
  );
  t.equal(await northRows(), Number(published!.rows), 'every published row is stored');
  t.equal(
    await scalar(
      ch,
      "SELECT count() FROM (SELECT device, metric, instance, ts FROM telemetry_raw WHERE site = 'north' GROUP BY ALL HAVING count() > 1)",
    ),
    0,
    'and none twice',
  );
});

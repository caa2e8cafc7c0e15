// The SNMP collector (its poller thread, profiles, rates) against net-snmp Agents simulating Ubiquiti, MikroTik and
// Cambium radios and against a real snmpd, writing through the telemetry writer into chDB.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { createSnmpCollector } from '../../collectors/snmp/index.ts';
import type { DeviceTarget, PollResult, SnmpCredentials, StatusChange } from '../../contracts/telemetry/index.ts';
import { silentLog, tmpDir } from '../helpers/env.ts';
import { eventually } from '../helpers/radius.ts';
import {
  freeUdpPort,
  type RadioKind,
  startRadio,
  startSilentDevice,
  startSnmpd,
  writeRadio20Profile,
} from '../helpers/snmp-sim.ts';
import { embeddedTelemetry, staticTargets } from '../helpers/telemetry.ts';

const log = silentLog();
const snmpConfig = {
  enabled: true,
  // As many lanes as live devices in the busiest test: a dead device taking one would delay a live one.
  concurrency: 3,
  probe_concurrency: 2,
  timeout: 400,
  retries: 1,
  max_repetitions: 25,
  down_after: 2,
  max_backoff: 2000,
  profiles_dir: '',
};

let nextId = 1;
const target = (
  name: string,
  port: number,
  profile: string,
  intervalS = 1,
  snmp: SnmpCredentials = { version: '2c', community: 'public' },
): DeviceTarget => ({
  id: nextId++,
  name,
  site: 'north',
  address: '127.0.0.1',
  port,
  role: 'ap',
  profile,
  snmp,
  metricsUrl: null,
  intervalS,
  status: 'unknown',
});

t.test('SNMP collector', async (t) => {
  const profiles = tmpDir(t);
  writeRadio20Profile(profiles);
  snmpConfig.profiles_dir = profiles;
  const { ch, writer } = await embeddedTelemetry(t);

  const changes: StatusChange[] = [];
  const polls: PollResult[] = [];
  const targets = staticTargets();
  const collector = createSnmpCollector(snmpConfig, {
    log,
    targets,
    sink: writer,
    reports: { status: (c) => changes.push(c), polled: (r) => polls.push(...r) },
  });
  await collector.start();
  t.teardown(() => collector.stop());

  const values = async (device: string, metric: string) =>
    (
      await ch.query<{ instance: string; value: number }>(
        `SELECT instance, argMax(value, ts) AS value FROM telemetry_raw
         WHERE device = {d:String} AND metric = {m:String} GROUP BY instance ORDER BY instance`,
        { d: device, m: metric },
      )
    ).map((r) => [r.instance, r.value]);

  t.test('vendor radios: their profile values land as rows', async (t) => {
    const kinds: RadioKind[] = ['ubiquiti-airmax', 'mikrotik-wireless', 'cambium-epmp'];
    const radios = await Promise.all(kinds.map((kind) => startRadio({ kind, stations: 2, bytesPerSecond: 1000 })));
    t.teardown(() => Promise.all(radios.map((r) => r.close())));
    targets.set(radios.map((r) => target(`sim-${r.kind}`, r.port, r.kind)));
    await eventually(async () => (await values('sim-cambium-epmp', 'radio.snr_db')).length > 0, 10_000);
    await eventually(async () => (await values('sim-mikrotik-wireless', 'radio.station_tx_bps')).length === 2, 10_000);

    const [ubnt, mtik, epmp] = radios;
    t.same(await values('sim-ubiquiti-airmax', 'radio.signal_dbm'), [['1', -58]], 'airMAX signal');
    t.same(await values('sim-ubiquiti-airmax', 'radio.ccq_pct'), [['1', 94]], 'airMAX CCQ');
    t.same(await values('sim-ubiquiti-airmax', 'radio.noise_dbm'), [['1', -96]], 'airMAX noise floor');
    t.same(
      await values('sim-ubiquiti-airmax', 'radio.tx_rate_bps'),
      [['1', 300_000_000]],
      'airMAX rate, kbit/s → bit/s',
    );
    t.same(await values('sim-ubiquiti-airmax', 'radio.stations'), [['1', 2]]);
    t.same(
      await values('sim-ubiquiti-airmax', 'radio.station_signal_dbm'),
      [
        [ubnt!.stations[0], -60],
        [ubnt!.stations[1], -61],
      ],
      'per-station signal, each station named by its MAC (taken from the table index)',
    );
    t.same(await values('sim-mikrotik-wireless', 'radio.ccq_pct'), [['1', 87]], 'MikroTik overall CCQ');
    t.same(await values('sim-mikrotik-wireless', 'radio.noise_dbm'), [['1', -104]]);
    t.same(
      await values('sim-mikrotik-wireless', 'radio.station_snr_db'),
      [
        [mtik!.stations[0], 40],
        [mtik!.stations[1], 39],
      ],
      'MikroTik registration table, MAC-indexed',
    );
    t.same(await values('sim-cambium-epmp', 'radio.signal_dbm'), [['', -61]], 'ePMP downlink RSSI (a scalar)');
    t.same(await values('sim-cambium-epmp', 'radio.dl_mcs'), [['', 9]]);
    t.same(
      await values('sim-cambium-epmp', 'radio.station_signal_dbm'),
      [
        [epmp!.stations[0]!.toUpperCase(), -61],
        [epmp!.stations[1]!.toUpperCase(), -62],
      ],
      'ePMP stations named by their MAC column',
    );
    const ifs = await values('sim-ubiquiti-airmax', 'if.oper_status');
    t.same(
      ifs,
      [
        ['ether1', 1],
        ['ether2', 2],
      ],
      'IF-MIB comes with the radio profile, interfaces named by ifName',
    );
    t.ok(
      changes.some((c) => c.device === 'sim-mikrotik-wireless' && c.status === 'up'),
      'the first answered poll reports the device up',
    );
  });

  t.test('counters become rates: 64-bit, 32-bit with a wrap, and a reboot that resets them', async (t) => {
    const r64 = await startRadio({ kind: 'interfaces', bytesPerSecond: 125_000 });
    // 32-bit counters 300 kB below their wrap: they wrap within the test.
    const r32 = await startRadio({
      kind: 'interfaces',
      bytesPerSecond: 125_000,
      only32: true,
      startOctets: 2 ** 32 - 300_000,
    });
    t.teardown(() => Promise.all([r64.close(), r32.close()]));
    targets.set([target('rate-64', r64.port, 'if-mib'), target('rate-32', r32.port, 'if-mib')]);
    const rates = async (device: string) =>
      (
        await ch.query<{ value: number }>(
          `SELECT value FROM telemetry_raw WHERE device = {d:String} AND metric = 'if.in_bps' AND instance = {i:String}
           ORDER BY ts`,
          { d: device, i: device === 'rate-64' ? 'ether1' : 'eth0' },
        )
      ).map((r) => r.value);
    await eventually(async () => (await rates('rate-64')).length >= 3 && (await rates('rate-32')).length >= 4, 15_000);
    t.ok(r32.octetsIn() > 2 ** 32, 'the 32-bit counter wrapped meanwhile');
    for (const device of ['rate-64', 'rate-32']) {
      const got = await rates(device);
      t.ok(
        got.every((v) => Math.abs(v - 1_000_000) < 150_000),
        `${device}: 125,000 octets/s reported as ~1,000,000 bit/s (${got.map((v) => Math.round(v)).join(', ')})`,
      );
    }

    // A reboot: sysUpTime and the counters start again from zero; no negative or huge rate comes out of it.
    const before = (await rates('rate-64')).length;
    r64.reboot();
    r32.reboot();
    await eventually(async () => (await rates('rate-64')).length >= before + 3, 15_000);
    for (const device of ['rate-64', 'rate-32']) {
      const got = await rates(device);
      t.ok(
        got.every((v) => v >= 0 && v < 1_200_000),
        `${device}: no spike across the reboot (${got.map((v) => Math.round(v)).join(', ')})`,
      );
    }
  });

  t.test('a device that never answers does not delay the others', async (t) => {
    const live = await Promise.all([1, 2, 3].map(() => startRadio({ kind: 'bench20' })));
    const dead = await Promise.all([1, 2, 3, 4, 5, 6].map(() => startSilentDevice()));
    t.teardown(() => Promise.all([...live.map((r) => r.close()), ...dead.map((d) => d.close())]));
    polls.length = 0;
    changes.length = 0;
    targets.set([
      ...live.map((r, i) => target(`live-${i}`, r.port, 'radio20')),
      ...dead.map((d, i) => target(`dead-${i}`, d.port, 'radio20')),
    ]);
    await new Promise((r) => setTimeout(r, 9000));
    // New devices share the lanes for their first poll; once a device has failed it is probed in lanes of its own,
    // and from then on the live devices' polls start on time.
    const allFailed = Math.max(
      ...dead.map((_, i) => polls.find((p) => p.device === `dead-${i}`)!.at + 2 * snmpConfig.timeout),
    );
    for (let i = 0; i < live.length; i++) {
      const starts = polls.filter((p) => p.device === `live-${i}`).map((p) => p.at);
      const steady = starts.filter((s) => s > allFailed);
      const gaps = steady.slice(1).map((s, k) => s - steady[k]!);
      t.ok(starts.length >= 8, `live-${i} polled ${starts.length} times in 9 s at a 1 s interval`);
      t.ok(gaps.length >= 4, `${gaps.length + 1} of them after every dead device had failed once`);
      t.ok(
        gaps.every((g) => g > 900 && g < 1150),
        `live-${i}: polls 1 s apart while six devices time out (${gaps.join(', ')} ms)`,
      );
    }
    t.ok(
      dead.every((d) => d.received() >= 2),
      'the dead devices were asked (and retried)',
    );
    t.same(
      changes
        .filter((c) => c.status === 'down')
        .map((c) => c.device)
        .sort(),
      dead.map((_, i) => `dead-${i}`),
      'each dead device reported down once',
    );
    t.ok(
      polls.filter((p) => p.device.startsWith('dead-')).every((p) => /timed out/i.test(p.error ?? '')),
      'their polls failed with a timeout',
    );
  });

  t.test('a radio that goes away is reported down, and up when it answers again', async (t) => {
    const port = await freeUdpPort();
    let radio = await startRadio({ kind: 'bench20', port });
    changes.length = 0;
    targets.set([target('flappy', port, 'radio20')]);
    await eventually(() => changes.find((c) => c.device === 'flappy' && c.status === 'up'), 5000);
    await radio.close();
    const down = await eventually(() => changes.find((c) => c.device === 'flappy' && c.status === 'down'), 8000);
    t.match(down, { site: 'north', detail: /timed out/i });
    radio = await startRadio({ kind: 'bench20', port });
    t.teardown(() => radio.close());
    await eventually(() => changes.filter((c) => c.device === 'flappy').length === 3, 10_000);
    t.same(
      changes.filter((c) => c.device === 'flappy').map((c) => c.status),
      ['up', 'down', 'up'],
    );
  });

  t.test('snmpd: IF-MIB and HOST-RESOURCES over SNMPv2c and SNMPv3 (authPriv)', async (t) => {
    const { port } = await startSnmpd(t, tmpDir(t));
    targets.set([
      target('snmpd-v2', port, 'if-mib', 1, { version: '2c', community: 'wisp-ro' }),
      target('snmpd-v3', port, 'host-resources', 1, {
        version: '3',
        user: 'noc',
        level: 'authPriv',
        authProtocol: 'sha',
        authKey: 'noc-auth-pass',
        privProtocol: 'aes',
        privKey: 'noc-priv-pass',
      }),
    ]);
    // The interfaces snmpd reports are this machine's (its rates need two polls: counters become rates).
    const names = readFileSync('/proc/net/dev', 'utf8')
      .split('\n')
      .slice(2)
      .map((l) => l.split(':')[0]!.trim())
      .filter(Boolean)
      .sort();
    await eventually(async () => (await values('snmpd-v2', 'if.in_bps')).length === names.length, 15_000);
    const rates = await values('snmpd-v2', 'if.out_bps');
    t.same(
      rates.map(([i]) => i),
      names,
      `a rate for each of the machine's interfaces (${names.join(', ')}), named by ifName`,
    );
    t.ok(
      rates.every(([, v]) => Number.isFinite(v) && (v as number) >= 0),
      'rates are finite and not negative',
    );
    t.same(
      (await values('snmpd-v2', 'if.oper_status')).find(([i]) => i === 'lo'),
      ['lo', 1],
      'lo is up',
    );
    await eventually(async () => (await values('snmpd-v3', 'host.storage_size_bytes')).length > 0, 15_000);
    const memory = (await values('snmpd-v3', 'host.storage_size_bytes')).find(([i]) => i === 'Physical memory');
    t.ok(
      memory && (memory[1] as number) > 100e6,
      'physical memory in bytes (units × allocation unit), read over SNMPv3',
    );
    t.ok(((await values('snmpd-v3', 'host.processes'))[0]![1] as number) > 0, 'processes');
  });
});

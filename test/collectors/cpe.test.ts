// The CPE collector against a local HTTP server speaking the GenieACS NBI (`GET /devices` with query, projection,
// sort and limit, answering only the projected parameters), with TR-098 and TR-181 device documents; CPEs mapped to
// subscribers by serial, MAC and PPPoE user name in PostgreSQL (PGlite, or DATABASE_URL's server), device rows
// upserted, and their rows (rates from two readings, 32-bit wrap, reboot) in chDB through the telemetry writer.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { createCpeCollector } from '../../collectors/cpe/index.ts';
import { PROJECTION } from '../../collectors/cpe/nbi.ts';
import { createParsePool } from '../../collectors/parse/pool.ts';
import type { StatusChange } from '../../contracts/telemetry/index.ts';
import { createCpeRegistry } from '../../daemon/ingest/cpe-registry.ts';
import { addDevice } from '../../daemon/model/device.ts';
import { addPlan } from '../../daemon/model/plan.ts';
import { addSubscriber } from '../../daemon/model/subscriber.ts';
import { SecretBox } from '../../daemon/security/secret-box.ts';
import { silentLog } from '../helpers/env.ts';
import { eventually } from '../helpers/radius.ts';
import { testPostgres } from '../helpers/stores.ts';
import { embeddedTelemetry } from '../helpers/telemetry.ts';

const log = silentLog();
const DAY = 86_400_000;

type Doc = Record<string, unknown>;
const iso = (ms: number) => new Date(ms).toISOString();
/** A parameter as GenieACS stores it. */
const p = (value: unknown, type: string, at: number) => ({
  _value: value,
  _type: type,
  _timestamp: iso(at),
  _writable: false,
});
/** An object node: GenieACS marks it with `_object` and its own timestamps. */
const o = (at: number, children: Record<string, unknown>) => ({
  _object: true,
  _writable: false,
  _timestamp: iso(at),
  ...children,
});

interface CpeSpec {
  id: string;
  serial: string;
  model: 'tr098' | 'tr181';
  inform: number;
  informInterval: number;
  uptime: number;
  rx: number;
  tx: number;
  /** When the ACS last read the counters and the uptime. */
  readAt: number;
  mac?: string;
  /** The MAC of a TR-098 IP connection that is not up. */
  ipMac?: string;
  username?: string;
  firmware: string;
  dslMargin?: number;
  wifiSignal?: number;
  lteRssi?: number;
}

function tr098(c: CpeSpec): Doc {
  const at = c.readAt;
  const ppp = c.username
    ? {
        WANPPPConnection: o(at, {
          1: o(at, {
            ConnectionStatus: p('Connected', 'xsd:string', at),
            Username: p(c.username, 'xsd:string', at),
            MACAddress: p(c.mac ?? '', 'xsd:string', at),
            Stats: o(at, { EthernetBytesReceived: p(1, 'xsd:unsignedInt', at) }),
          }),
        }),
      }
    : {};
  return {
    InternetGatewayDevice: o(at, {
      DeviceInfo: o(at, {
        UpTime: p(c.uptime, 'xsd:unsignedInt', at),
        SoftwareVersion: p(c.firmware, 'xsd:string', at),
        HardwareVersion: p('not projected', 'xsd:string', at),
      }),
      ManagementServer: o(at, { PeriodicInformInterval: p(c.informInterval, 'xsd:unsignedInt', at) }),
      WANDevice: o(at, {
        1: o(at, {
          WANCommonInterfaceConfig: o(at, {
            TotalBytesReceived: p(c.rx, 'xsd:unsignedInt', at),
            TotalBytesSent: p(c.tx, 'xsd:unsignedInt', at),
          }),
          WANDSLInterfaceConfig: o(at, {
            ...(c.dslMargin === undefined ? {} : { DownstreamNoiseMargin: p(c.dslMargin, 'xsd:int', at) }),
            UpstreamNoiseMargin: p(99, 'xsd:int', at),
          }),
          WANConnectionDevice: o(at, {
            1: o(at, {
              ...ppp,
              WANIPConnection: o(at, {
                1: o(at, {
                  ConnectionStatus: p('Disconnected', 'xsd:string', at),
                  MACAddress: p(c.ipMac ?? '', 'xsd:string', at),
                }),
              }),
            }),
          }),
        }),
      }),
    }),
  };
}

function tr181(c: CpeSpec): Doc {
  const at = c.readAt;
  return {
    Device: o(at, {
      DeviceInfo: o(at, {
        UpTime: p(c.uptime, 'xsd:unsignedInt', at),
        SoftwareVersion: p(c.firmware, 'xsd:string', at),
      }),
      ManagementServer: o(at, { PeriodicInformInterval: p(c.informInterval, 'xsd:unsignedInt', at) }),
      Ethernet: o(at, {
        Interface: o(at, {
          1: o(at, { Upstream: p(false, 'xsd:boolean', at), MACAddress: p('00:00:5e:00:53:01', 'xsd:string', at) }),
          2: o(at, {
            Upstream: p(true, 'xsd:boolean', at),
            MACAddress: p(c.mac ?? '', 'xsd:string', at),
            Stats: o(at, {
              BytesReceived: p(c.rx, 'xsd:unsignedLong', at),
              BytesSent: p(c.tx, 'xsd:unsignedLong', at),
            }),
          }),
        }),
      }),
      ...(c.wifiSignal === undefined
        ? {}
        : {
            WiFi: o(at, {
              EndPoint: o(at, { 1: o(at, { Stats: o(at, { SignalStrength: p(c.wifiSignal, 'xsd:int', at) }) }) }),
            }),
          }),
      ...(c.lteRssi === undefined
        ? {}
        : { Cellular: o(at, { Interface: o(at, { 1: o(at, { RSSI: p(c.lteRssi, 'xsd:int', at) }) }) }) }),
    }),
  };
}

function doc(c: CpeSpec): Doc {
  const [oui, productClass] = c.id.split('-');
  return {
    _id: c.id,
    _deviceId: { _Manufacturer: 'Acme', _OUI: oui, _ProductClass: productClass, _SerialNumber: c.serial },
    _lastInform: iso(c.inform),
    _registered: iso(c.inform - 30 * DAY),
    _tags: ['wisp'],
    ...(c.model === 'tr098' ? tr098(c) : tr181(c)),
  };
}

/** What GenieACS returns of a document for a projection: `_id` and the projected subtrees. */
function project(d: Doc, paths: string[]): Doc {
  const out: Doc = { _id: d._id };
  for (const path of paths) {
    const parts = path.split('.');
    let src: unknown = d;
    for (const part of parts) src = (src as Doc | undefined)?.[part];
    if (src === undefined) continue;
    let dst = out;
    for (const part of parts.slice(0, -1)) {
      dst[part] ??= {};
      dst = dst[part] as Doc;
    }
    dst[parts.at(-1)!] = src;
  }
  return out;
}

/** The NBI's `GET /devices`, as lib/nbi.ts serves it (JSON query, comma projection, JSON sort, limit). */
async function startNbi(docs: () => Doc[]) {
  const requests: URLSearchParams[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://nbi');
    if (req.method !== 'GET' || url.pathname !== '/devices') {
      res.writeHead(404).end('404 Not Found');
      return;
    }
    requests.push(url.searchParams);
    let q: { _id?: { $gt?: string } } = {};
    try {
      q = JSON.parse(url.searchParams.get('query') ?? '{}');
    } catch (err) {
      res.writeHead(400).end(`${(err as Error).name}: ${(err as Error).message}`);
      return;
    }
    if (url.searchParams.get('sort') !== '{"_id":1}') {
      res.writeHead(400).end('the collector pages by _id and must sort by it');
      return;
    }
    const after = q._id?.$gt;
    const limit = Number(url.searchParams.get('limit') ?? 'Infinity');
    const paths = (url.searchParams.get('projection') ?? '').split(',').map((s) => s.trim());
    const page = docs()
      .filter((d) => after === undefined || (d._id as string) > after)
      .sort((a, b) => ((a._id as string) < (b._id as string) ? -1 : 1))
      .slice(0, limit)
      .map((d) => project(d, paths));
    res.writeHead(200, {
      'content-type': 'application/json',
      total: String(page.length),
      'GenieACS-Version': '1.2.13',
    });
    res.end(`[\n${page.map((d) => JSON.stringify(d)).join(',\n')}\n]`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

t.test('CPE collector', async (t) => {
  const { dataDir, ch, writer } = await embeddedTelemetry(t, { batch_interval: 50 });
  const postgres = await testPostgres(t, dataDir, { poolSize: 2 });
  const pool = createParsePool({ threads: 1, maxQueue: 16 }, { log });
  await pool.start();
  t.teardown(() => pool.stop());

  const box = new SecretBox(Buffer.alloc(32, 7));
  await addPlan(postgres, { name: 'home-50', rateDown: 50_000_000, rateUp: 10_000_000 });
  const alice = await addSubscriber(postgres, box, { username: 'alice', password: 'x', plan: 'home-50' });
  await addSubscriber(postgres, box, {
    username: 'bob',
    password: 'x',
    plan: 'home-50',
    mac: 'AA-BB-CC-00-00-02',
  });
  await addSubscriber(postgres, box, { username: 'carol@wisp', password: 'x', plan: 'home-50' });
  await addSubscriber(postgres, box, { username: 'dave', password: 'x', plan: 'home-50' });
  const frank = await addSubscriber(postgres, box, { username: 'frank', password: 'x', plan: 'home-50' });
  // Staff registered Alice's and Frank's CPEs by their serials before they ever informed.
  for (const [name, serial, subscriber] of [
    ['alice-ont', '48575443A1C3E501', alice.id],
    ['frank-ont', '48575443F0F0F006', frank.id],
  ] as const) {
    await addDevice(postgres, box, { name, role: 'cpe', serial }, { profiles: [] });
    await postgres.query('UPDATE device SET subscriber_id = $1 WHERE name = $2', [subscriber, name]);
  }

  const now = Date.now();
  const read = now - 60_000;
  const cpes: CpeSpec[] = [
    {
      id: '00259E-HG8245H-48575443A1C3E501',
      serial: '48575443A1C3E501',
      model: 'tr098',
      inform: read,
      informInterval: 300,
      uptime: 86_000,
      rx: 1_000_000,
      tx: 200_000,
      readAt: read,
      ipMac: '48:57:54:43:A1:C3',
      firmware: 'V3R017C10S112',
    },
    {
      id: 'E0B9E5-ArcherC6-2238120012345',
      serial: '2238120012345',
      model: 'tr181',
      inform: read,
      informInterval: 300,
      uptime: 5000,
      rx: 10_000_000_000,
      tx: 1_000_000_000,
      readAt: read,
      mac: 'aa:bb:cc:00:00:02',
      firmware: '1.2.3 Build 20231010',
      wifiSignal: -63,
    },
    {
      id: '001E80-DSL-2750U-C0FFEE000003',
      serial: 'C0FFEE000003',
      model: 'tr098',
      inform: read,
      informInterval: 3600,
      uptime: 700_000,
      // 500 kB below the 32-bit wrap: the next reading wraps.
      rx: 2 ** 32 - 500_000,
      tx: 4_000_000,
      readAt: read,
      username: 'carol@wisp',
      mac: '00:1E:80:00:00:03',
      firmware: 'EU_1.0.9',
      dslMargin: 325,
    },
    {
      id: '0C8112-LTE-CPE-860000000000004',
      serial: '860000000000004',
      model: 'tr181',
      inform: read,
      informInterval: 300,
      uptime: 9000,
      rx: 5_000_000,
      tx: 500_000,
      readAt: read,
      mac: '0c:81:12:00:00:04',
      firmware: 'LTE-2.0',
      lteRssi: -71,
    },
    {
      id: '00259E-HG8245H-48575443DEAD0005',
      serial: '48575443DEAD0005',
      model: 'tr098',
      // Last heard of three days ago, with a five-minute inform interval.
      inform: now - 3 * DAY,
      informInterval: 300,
      uptime: 100,
      rx: 1,
      tx: 1,
      readAt: now - 3 * DAY,
      firmware: 'V3R017C10S112',
    },
    {
      // Frank's CPE now dials as Dave: the registration by serial stands, the disagreement is counted.
      id: '00259E-HG8245H-48575443F0F0F006',
      serial: '48575443F0F0F006',
      model: 'tr098',
      inform: read,
      informInterval: 300,
      uptime: 1200,
      rx: 1,
      tx: 1,
      readAt: read,
      username: 'dave',
      mac: '48:57:54:43:F0:F0',
      firmware: 'V3R017C10S112',
    },
  ];
  const noSerial: Doc = { _id: '000000-Unknown-', _deviceId: { _OUI: '000000' }, _lastInform: iso(read) };
  const nbi = await startNbi(() => [...cpes.map(doc), noSerial]);
  t.teardown(() => nbi.close());

  const changes: StatusChange[] = [];
  const collector = createCpeCollector(
    { genieacs_url: `${nbi.url}/`, interval: DAY, timeout: 5000 },
    {
      log,
      registry: createCpeRegistry(postgres),
      sink: writer,
      reports: { status: (c) => changes.push(c), polled: () => {} },
      pool,
      pageSize: 2,
    },
  );
  await collector.start();
  t.teardown(() => collector.stop());
  // The first cycle runs at start; the second reads the very same parameters again.
  const afterOne = await eventually(() => {
    const c = collector.counters();
    return c.last_cpes === 6 ? c : undefined;
  }, 15_000);
  await collector.poll();
  const afterTwo = collector.counters();
  await writer.flush();

  const devices = async () =>
    (
      await postgres.query<{
        name: string;
        role: string;
        mac: string | null;
        firmware: string | null;
        subscriber: string | null;
        status: string;
        inform: string | null;
      }>(
        `SELECT d.name, d.role, d.mac, d.firmware, s.username AS subscriber, d.status,
           to_char(d.last_inform_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS inform
         FROM device d LEFT JOIN subscriber s ON s.id = d.subscriber_id WHERE d.serial IS NOT NULL`,
      )
    ).rows.sort((x, y) => (x.name < y.name ? -1 : 1));
  const rows = async (device: string, metric: string) =>
    (
      await ch.query<{ ms: string; instance: string; value: number }>(
        `SELECT toString(toUnixTimestamp64Milli(ts)) AS ms, instance, value FROM telemetry_raw
         WHERE device = {d:String} AND metric = {m:String} ORDER BY ts, instance`,
        { d: device, m: metric },
      )
    ).map((r) => ({ ms: Number(r.ms), instance: r.instance, value: r.value }));

  t.test('the NBI is paged by _id with the projection', async (t) => {
    t.equal(nbi.requests.length, 8, 'two cycles of four requests: 2 + 2 + 2 devices, then the last one');
    const first = nbi.requests[0]!;
    t.equal(first.get('query'), null, 'the first page has no query');
    t.same(first.get('projection')!.split(','), PROJECTION);
    t.ok(
      [
        '_lastInform',
        '_deviceId',
        'InternetGatewayDevice.WANDevice.1.WANConnectionDevice',
        'Device.PPP.Interface',
      ].every((path) => PROJECTION.includes(path)),
      'the projection names the identity, the last inform and the WAN objects',
    );
    t.equal(first.get('sort'), '{"_id":1}');
    t.equal(first.get('limit'), '2');
    const ids = [...cpes.map((c) => c.id), noSerial._id as string].sort();
    t.same(
      nbi.requests.slice(1, 4).map((q) => JSON.parse(q.get('query')!)),
      [{ _id: { $gt: ids[1] } }, { _id: { $gt: ids[3] } }, { _id: { $gt: ids[5] } }],
      'each next page starts after the last id of the one before',
    );
  });

  t.test('one device row per CPE, mapped to its subscriber by serial, MAC or PPPoE user name', async (t) => {
    t.same(await devices(), [
      {
        name: 'alice-ont',
        role: 'cpe',
        mac: '48575443a1c3',
        firmware: 'V3R017C10S112',
        subscriber: 'alice',
        status: 'up',
        inform: iso(read),
      },
      {
        name: 'cpe-2238120012345',
        role: 'cpe',
        mac: 'aabbcc000002',
        firmware: '1.2.3 Build 20231010',
        subscriber: 'bob',
        status: 'up',
        inform: iso(read),
      },
      {
        name: 'cpe-48575443DEAD0005',
        role: 'cpe',
        mac: null,
        firmware: 'V3R017C10S112',
        subscriber: null,
        status: 'down',
        inform: iso(now - 3 * DAY),
      },
      {
        name: 'cpe-860000000000004',
        role: 'cpe',
        mac: '0c8112000004',
        firmware: 'LTE-2.0',
        subscriber: null,
        status: 'up',
        inform: iso(read),
      },
      {
        name: 'cpe-C0FFEE000003',
        role: 'cpe',
        mac: '001e80000003',
        firmware: 'EU_1.0.9',
        subscriber: 'carol@wisp',
        status: 'up',
        inform: iso(read),
      },
      {
        name: 'frank-ont',
        role: 'cpe',
        mac: '48575443f0f0',
        firmware: 'V3R017C10S112',
        subscriber: 'frank',
        status: 'up',
        inform: iso(read),
      },
    ]);
    t.match(afterOne, {
      cycles: 1,
      pages: 4,
      skipped: 1,
      last_cpes: 6,
      last_matched_serial: 2,
      last_matched_mac: 1,
      last_matched_username: 1,
      last_unmatched: 2,
      last_conflicts: 1,
    });
    t.match(afterTwo, {
      cycles: 2,
      cycle_failures: 0,
      pages: 8,
      skipped: 2,
      last_cpes: 6,
      // The second cycle finds the mappings of the first kept on the devices.
      last_matched_serial: 4,
      last_matched_mac: 0,
      last_matched_username: 0,
      last_unmatched: 2,
      last_conflicts: 1,
    });
    t.same(changes, [], 'first sightings are not status changes');
  });

  t.test('rows: gauges once per reading, no rates without a newer reading', async (t) => {
    t.same(
      (await rows('alice-ont', 'cpe_uptime_s')).map((r) => [r.ms, r.value]),
      [[read, 86_000]],
      'stored under the inventory name staff gave it, at the time the ACS read it, once over two cycles',
    );
    t.same(await rows('cpe-48575443A1C3E501', 'cpe_uptime_s'), [], 'not under a name of its own');
    t.same(
      (await rows('cpe-2238120012345', 'cpe_signal_dbm')).map((r) => [r.instance, r.value]),
      [['wifi', -63]],
    );
    t.same(
      (await rows('cpe-860000000000004', 'cpe_signal_dbm')).map((r) => [r.instance, r.value]),
      [['lte', -71]],
    );
    t.same(
      (await rows('cpe-C0FFEE000003', 'cpe_snr_db')).map((r) => [r.instance, r.value]),
      [['dsl', 32.5]],
      'DSL noise margin from tenths of a dB',
    );
    t.same(await rows('cpe-2238120012345', 'cpe_wan_rx_bps'), [], 'one reading is no rate');
  });

  t.test('the next readings: rates, a 32-bit wrap, a reboot, a CPE going quiet', async (t) => {
    const later = read + 10_000;
    const [a, b, c, d] = cpes;
    // Alice's CPE did not inform again: same readings. Bob's 1.25 MB down and 125 kB up in 10 s.
    Object.assign(b!, {
      readAt: later,
      inform: later,
      uptime: b!.uptime + 10,
      rx: b!.rx + 1_250_000,
      tx: b!.tx + 125_000,
    });
    // Carol's 32-bit counter wrapped: 500 kB to the wrap, then 750 kB.
    Object.assign(c!, { readAt: later, inform: later, uptime: c!.uptime + 10, rx: 750_000, tx: c!.tx + 250_000 });
    // The LTE CPE rebooted: uptime and counters start again.
    Object.assign(d!, { readAt: later, inform: later, uptime: 8, rx: 1000, tx: 100 });
    await collector.poll();
    await writer.flush();

    t.same(
      (await rows('cpe-2238120012345', 'cpe_wan_rx_bps')).map((r) => [r.ms, r.value]),
      [[later, 1_000_000]],
      '1.25 MB in 10 s is 1 Mbit/s, at the time of the reading',
    );
    t.same(
      (await rows('cpe-2238120012345', 'cpe_wan_tx_bps')).map((r) => r.value),
      [100_000],
    );
    t.same(
      (await rows('cpe-C0FFEE000003', 'cpe_wan_rx_bps')).map((r) => r.value),
      [1_000_000],
      'a TR-098 unsignedInt total that wrapped',
    );
    t.same(
      (await rows('cpe-C0FFEE000003', 'cpe_wan_tx_bps')).map((r) => r.value),
      [200_000],
    );
    t.same(await rows('cpe-860000000000004', 'cpe_wan_rx_bps'), [], 'no rate across a reboot');
    t.same(
      (await rows('cpe-860000000000004', 'cpe_uptime_s')).map((r) => r.value),
      [9000, 8],
    );
    t.same((await rows('alice-ont', 'cpe_uptime_s')).length, 1, 'nothing new from a CPE that did not inform');
    t.same(changes, []);

    // Bob's CPE stops informing for a day: down, reported once; the long-dead one is not reported again.
    Object.assign(b!, { inform: now - DAY });
    Object.assign(a!, { firmware: 'V3R017C10S115', inform: later, readAt: later });
    await collector.poll();
    t.match(changes, [{ device: 'cpe-2238120012345', site: '', status: 'down', detail: /no TR-069 Inform/ }]);
    t.equal(changes.length, 1);
    const after = await devices();
    t.match(
      after.find((x) => x.name === 'cpe-2238120012345'),
      { status: 'down', subscriber: 'bob' },
    );
    t.match(
      after.find((x) => x.name === 'alice-ont'),
      { firmware: 'V3R017C10S115', inform: iso(later) },
    );
    Object.assign(b!, { inform: Date.now() });
    await collector.poll();
    t.match(changes[1], { device: 'cpe-2238120012345', status: 'up', detail: '' });
  });

  t.test('an ACS that cannot be reached fails the cycle, nothing else', async (t) => {
    const dead = createCpeCollector(
      { genieacs_url: 'http://127.0.0.1:1', interval: DAY, timeout: 1000 },
      {
        log,
        registry: createCpeRegistry(postgres),
        sink: writer,
        reports: { status: () => {}, polled: () => {} },
        pool,
      },
    );
    await dead.start();
    await dead.poll();
    await dead.stop();
    t.match(dead.counters(), { cycles: 2, cycle_failures: 2, pages: 0 });
  });
});

// The EPC collector: the Prometheus text parser on tricky lines, Open5GS names mapped to wispd metrics with counters
// as rates, and the collector scraping local HTTP servers that serve Open5GS-shaped expositions (counters advancing
// with every scrape) through a real parse pool and the telemetry writer into chDB; a dead or hanging core goes down
// without delaying a live one.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import t from 'tap';
import { createEpcCollector } from '../../collectors/epc/index.ts';
import { OPEN5GS_RULES } from '../../collectors/epc/open5gs.ts';
import { familyOf, parseExposition, parseValue } from '../../collectors/epc/parse/prometheus.ts';
import { type EpcState, epcRows } from '../../collectors/epc/parse/rows.ts';
import { createParsePool } from '../../collectors/parse/pool.ts';
import type { DeviceTarget, PollResult, StatusChange } from '../../contracts/telemetry/index.ts';
import { freePort, repoRoot, silentLog } from '../helpers/env.ts';
import { eventually } from '../helpers/radius.ts';
import { embeddedTelemetry, staticTargets } from '../helpers/telemetry.ts';

const log = silentLog();
const fixture = (nf: string) => readFileSync(`${repoRoot}/test/fixtures/epc/open5gs-${nf}.prom`, 'utf8');

t.test('Prometheus text format', async (t) => {
  t.test('label escapes, quotes and separators inside values, whitespace, trailing comma', async (t) => {
    const e = parseExposition(
      [
        'm{a="x\\\\y",b="q\\"uote",c="line\\nbreak"} 1',
        'm{path="/a,b}c=d"} 2',
        'm\t{ a = "1" , b="2", }\t3',
        'm{} 4',
        'm{a="\\t"} 5',
      ].join('\n'),
    );
    t.equal(e.malformed, 0);
    t.same(
      e.samples.map((s) => [s.labels, s.value]),
      [
        [
          [
            ['a', 'x\\y'],
            ['b', 'q"uote'],
            ['c', 'line\nbreak'],
          ],
          1,
        ],
        [[['path', '/a,b}c=d']], 2],
        [
          [
            ['a', '1'],
            ['b', '2'],
          ],
          3,
        ],
        [[], 4],
        [[['a', '\\t']], 5],
      ],
    );
  });

  t.test('NaN, infinities, exponents and timestamps', async (t) => {
    const e = parseExposition(
      ['a NaN', 'b +Inf', 'c -Inf', 'd Inf', 'e 1.5e3', 'f -0.25 1763700000123', 'g .5 -1000', 'h 7\r'].join('\n'),
    );
    t.equal(e.malformed, 0);
    const byName = Object.fromEntries(e.samples.map((s) => [s.name, s]));
    t.ok(Number.isNaN(byName.a!.value));
    t.equal(byName.b!.value, Number.POSITIVE_INFINITY);
    t.equal(byName.c!.value, Number.NEGATIVE_INFINITY);
    t.equal(byName.d!.value, Number.POSITIVE_INFINITY);
    t.equal(byName.e!.value, 1500);
    t.same([byName.f!.value, byName.f!.ts], [-0.25, 1763700000123]);
    t.same([byName.g!.value, byName.g!.ts], [0.5, -1000]);
    t.same([byName.h!.value, byName.h!.ts], [7, undefined], 'a CRLF line');
    t.equal(parseValue('1e'), undefined);
    t.equal(parseValue('0x10'), undefined, 'not a decimal float');
  });

  t.test('HELP and TYPE; histogram and summary series belong to their family', async (t) => {
    const e = parseExposition(
      [
        '# HELP rt Time of registration \\\\ in ms\\nsecond line',
        '# TYPE rt histogram',
        'rt_bucket{le="20"} 3',
        'rt_bucket{le="+Inf"} 9',
        'rt_sum 310.5',
        'rt_count 9',
        '# TYPE q summary',
        'q{quantile="0.99"} 0.2',
        'q_sum 1',
        'q_count 4',
        '# a plain comment',
        '#no space is a comment too',
        '   ',
      ].join('\n'),
    );
    t.equal(e.malformed, 0);
    t.equal(e.help.get('rt'), 'Time of registration \\ in ms\nsecond line');
    t.same(
      e.samples.map((s) => [s.name, familyOf(s.name, e.types).family, familyOf(s.name, e.types).type]),
      [
        ['rt_bucket', 'rt', 'histogram'],
        ['rt_bucket', 'rt', 'histogram'],
        ['rt_sum', 'rt', 'histogram'],
        ['rt_count', 'rt', 'histogram'],
        ['q', 'q', 'summary'],
        ['q_sum', 'q', 'summary'],
        ['q_count', 'q', 'summary'],
      ],
    );
    t.equal(e.samples[1]!.labels[0]![1], '+Inf');
    t.same(familyOf('q_bucket', e.types), { family: 'q_bucket', type: 'untyped' }, 'a summary has no buckets');
  });

  t.test('malformed lines are counted and skipped; the rest is read', async (t) => {
    const e = parseExposition(
      [
        'good 1',
        'm{a="unclosed} 1',
        'm 1 2 3',
        'm abc',
        '{a="1"} 2',
        'm{a=1} 2',
        'm{a="1",a="2"} 3',
        'm{a="1" b="2"} 3',
        'm',
        'm 1 1.5',
        '# TYPE t wrongtype',
        '# TYPE good gauge',
        '# TYPE good counter',
        'also_good{x="y"} 2',
      ].join('\n'),
    );
    t.equal(e.malformed, 11);
    t.same(e.firstMalformed, { line: 2, reason: 'the value of the label a is not closed' });
    t.same(
      e.samples.map((s) => s.name),
      ['good', 'also_good'],
    );
    t.equal(e.types.get('good'), 'gauge', 'the first TYPE line stands');
  });

  t.test('the Open5GS fixtures read without a malformed line', async (t) => {
    for (const nf of ['amf', 'mme', 'smf', 'upf']) {
      const e = parseExposition(fixture(nf));
      t.equal(e.malformed, 0, nf);
      t.ok(e.samples.length > 5, `${nf}: ${e.samples.length} samples`);
    }
  });
});

t.test('Open5GS samples as wispd rows', async (t) => {
  const rowsOf = (text: string, ts: number, prev?: EpcState) => {
    const out = epcRows({ body: Buffer.from(text), site: 'core', device: 'amf-1', ts, prev }, OPEN5GS_RULES);
    const rows = out.body
      .toString()
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('\t'))
      .map(([ts, site, device, metric, instance, value]) => ({ ts, site, device, metric, instance, value }));
    return { ...out, rows };
  };

  t.test('gauges are summed per instance, counters become rates from the second scrape', async (t) => {
    const t0 = 1_763_700_000_000;
    const first = rowsOf(fixture('amf'), t0);
    t.same(
      first.rows.map((r) => [r.metric, r.instance, r.value]),
      [
        ['epc_ues_attached', '', '187'],
        ['epc_sessions', '', '203'],
        ['epc_ues_registered', '', '181'],
        ['epc_gnb', '', '3'],
      ],
      'the first scrape gives the gauges only (gNodeBs counted over their addresses)',
    );
    t.match(first.rows[0], { ts: '1763700000.000', site: 'core', device: 'amf-1' });
    t.equal(first.stats.malformed, 0);
    t.ok(first.stats.unmapped > 10, 'process_* and the histogram are not mapped');

    const next = fixture('amf')
      .replace('fivegs_amffunction_rm_reginitreq 1482', 'fivegs_amffunction_rm_reginitreq 1502')
      .replace('fivegs_amffunction_rm_reginitsucc 1431', 'fivegs_amffunction_rm_reginitsucc 1449')
      .replace('reginitfail{cause="7"} 12', 'reginitfail{cause="7"} 13')
      .replace(
        'reginitfail{cause="111"} 39',
        'reginitfail{cause="111"} 40\nfivegs_amffunction_rm_reginitfail{cause="3"} 1',
      )
      .replace('fivegs_amffunction_amf_authreject 17', 'fivegs_amffunction_amf_authreject 2');
    const second = rowsOf(next, t0 + 4000, first.state);
    const rates = Object.fromEntries(
      second.rows.filter((r) => r.metric !== 'epc_gnb').map((r) => [`${r.metric}/${r.instance}`, Number(r.value)]),
    );
    t.same(rates, {
      'epc_ues_attached/': 187,
      'epc_sessions/': 203,
      'epc_ues_registered/': 181,
      'epc_registration_requests/': 5,
      'epc_registration_success/': 4.5,
      'epc_registration_failure/7': 0.25,
      'epc_registration_failure/111': 0.25,
      // A cause that appeared since the previous scrape counted from zero.
      'epc_registration_failure/3': 0.25,
      // 17 → 2: the AMF restarted; its 2 since then over 4 s.
      'epc_auth_reject/': 0.5,
    });
  });

  t.test('sample timestamps, reset, NaN and the attach counters summed over PLMNs', async (t) => {
    const a = rowsOf(
      [
        'mme_attach_reject_total{plmnid="00101",cause="15"} 10 1763700000000',
        'mme_attach_reject_total{plmnid="99970",cause="15"} 5 1763700000000',
        'fivegs_ep_n3_gtp_indatavolumen3upf 1000000',
        'enb NaN',
      ].join('\n'),
      1_763_700_000_500,
    );
    t.same(a.rows, [], 'NaN is not a sample; rates need a second scrape');
    const b = rowsOf(
      [
        'mme_attach_reject_total{plmnid="00101",cause="15"} 16 1763700002000',
        'mme_attach_reject_total{plmnid="99970",cause="15"} 7 1763700002000',
        'fivegs_ep_n3_gtp_indatavolumen3upf 3000000',
        'enb 4',
      ].join('\n'),
      1_763_700_001_500,
      a.state,
    );
    t.same(
      b.rows.map((r) => [r.metric, r.instance, Number(r.value)]),
      [
        ['epc_attach_failure', '15', 4],
        ['epc_bytes_in', '', 2_000_000],
        ['epc_enb', '', 4],
      ],
      'the attach rate over the samples’ own 2 s (3 + 1 per second); the bytes over the scrapes’ 1 s',
    );
  });
});

let nextId = 1;
const core = (name: string, url: string): DeviceTarget => ({
  id: nextId++,
  name,
  site: 'core-dc',
  address: '',
  port: 161,
  role: 'epc',
  profile: null,
  snmp: null,
  metricsUrl: url,
  intervalS: 1,
  status: 'unknown',
});

/** Serves each NF's fixture; every scrape advances its counters by `step` (per sample line prefix). */
async function startOpen5gs(
  steps: Record<string, Record<string, number>>,
  extra: Record<string, string> = {},
): Promise<{ url: (nf: string) => string; scrapes: Map<string, number>; close(): Promise<void> }> {
  const scrapes = new Map<string, number>();
  const server = createServer((req, res) => {
    const nf = (req.url ?? '').replace(/^\//, '');
    if (!steps[nf]) {
      res.writeHead(404).end();
      return;
    }
    const n = scrapes.get(nf) ?? 0;
    scrapes.set(nf, n + 1);
    const body = fixture(nf)
      .split('\n')
      .map((line) => {
        for (const [prefix, step] of Object.entries(steps[nf]!)) {
          if (line.startsWith(`${prefix} `)) {
            const [, value] = line.split(' ');
            return `${prefix} ${Number(value) + step * n}`;
          }
        }
        return line;
      })
      .join('\n');
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(body + (extra[nf] ?? ''));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: (nf) => `http://127.0.0.1:${port}/${nf}`,
    scrapes,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/** Accepts connections and never answers. */
async function startHangingServer(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer(() => {});
  server.on('connection', (s) => sockets.add(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/metrics`,
    close: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

t.test('EPC collector', async (t) => {
  const { ch, writer } = await embeddedTelemetry(t);
  const pool = createParsePool({ threads: 2, maxQueue: 64 }, { log });
  await pool.start();
  t.teardown(() => pool.stop());

  const changes: StatusChange[] = [];
  const polls: PollResult[] = [];
  const targets = staticTargets();
  const collector = createEpcCollector(
    { enabled: true, timeout: 500 },
    {
      log,
      targets,
      sink: writer,
      reports: { status: (c) => changes.push(c), polled: (r) => polls.push(...r) },
      pool,
    },
  );
  await collector.start();
  t.teardown(() => collector.stop());

  const series = async (device: string, metric: string, instance = '') =>
    (
      await ch.query<{ ms: string; value: number }>(
        `SELECT toString(toUnixTimestamp64Milli(ts)) AS ms, value FROM telemetry_raw
         WHERE device = {d:String} AND metric = {m:String} AND instance = {i:String} ORDER BY ts`,
        { d: device, m: metric, i: instance },
      )
    ).map((r) => ({ ms: Number(r.ms), value: r.value }));
  const latest = async (device: string) =>
    Object.fromEntries(
      (
        await ch.query<{ metric: string; instance: string; value: number }>(
          `SELECT metric, instance, argMax(value, ts) AS value FROM telemetry_raw WHERE device = {d:String}
           GROUP BY metric, instance ORDER BY metric, instance`,
          { d: device },
        )
      ).map((r) => [`${r.metric}/${r.instance}`, r.value]),
    );
  t.test('Open5GS cores: gauges as served, counters as exact rates, malformed lines counted', async (t) => {
    const open5gs = await startOpen5gs(
      {
        upf: {
          fivegs_ep_n3_gtp_indatavolumen3upf: 1_250_000,
          fivegs_ep_n3_gtp_outdatavolumen3upf: 12_500_000,
          'fivegs_ep_n3_gtp_indatavolumeqosleveln3upf{qfi="5"}': 1000,
        },
        amf: {
          fivegs_amffunction_rm_reginitreq: 10,
          fivegs_amffunction_rm_reginitsucc: 9,
          'fivegs_amffunction_rm_reginitfail{cause="7"}': 1,
        },
        mme: {
          'mme_attach_success_total{plmnid="00101"}': 6,
          'mme_attach_reject_total{plmnid="00101",cause="15"}': 2,
          'mme_attach_reject_total{plmnid="99970",cause="15"}': 1,
        },
        smf: {},
      },
      { mme: '\nmme_broken{plmnid="00101" 5\nenb_ue twelve\n' },
    );
    t.teardown(() => open5gs.close());
    targets.set(['amf', 'mme', 'smf', 'upf'].map((nf) => core(`open5gs-${nf}`, open5gs.url(nf))));
    await eventually(async () => (await series('open5gs-upf', 'epc_bytes_in')).length >= 3, 10_000);
    await eventually(async () => (await series('open5gs-mme', 'epc_attach_failure', '15')).length >= 3, 10_000);
    await eventually(async () => (await series('open5gs-amf', 'epc_registration_success')).length >= 3, 10_000);

    t.same(
      await latest('open5gs-smf'),
      { 'epc_bearers/': 460, 'epc_pdu_sessions/': 241, 'epc_ues_active/': 398 },
      'SMF: bearers, PDU sessions summed over slices, active UEs',
    );
    t.match(await latest('open5gs-amf'), {
      'epc_gnb/': 3,
      'epc_ues_attached/': 187,
      'epc_sessions/': 203,
      'epc_ues_registered/': 181,
      'epc_registration_failure/111': 0,
    });
    t.match(await latest('open5gs-mme'), { 'epc_enb/': 6, 'epc_ues_attached/': 412, 'epc_sessions/': 455 });
    t.match(await latest('open5gs-upf'), { 'epc_upf_sessions/': 441, 'epc_qos_bytes_in/1': 0 });

    // A rate row's interval is from the scrape before it, whose rates (or, for the first, none) are the row before.
    const check = async (device: string, metric: string, step: number, instance = '') => {
      const rows = await series(device, metric, instance);
      const ok = rows.slice(1).every((r, i) => Math.abs(r.value - (step * 1000) / (r.ms - rows[i]!.ms)) < 1e-6);
      t.ok(
        ok && rows.length >= 2,
        `${device} ${metric}${instance ? `/${instance}` : ''}: ${step} per scrape over each scrape interval (${rows
          .map((r) => r.value.toFixed(2))
          .join(', ')})`,
      );
      // The first scrape may run late (a parse thread starting up); the steady ones follow the 1 s interval.
      t.ok(
        rows.slice(1).every((r) => r.value > (step * 1000) / 2000 && r.value < (step * 1000) / 500),
        'about one scrape a second',
      );
    };
    await check('open5gs-upf', 'epc_bytes_in', 1_250_000);
    await check('open5gs-upf', 'epc_bytes_out', 12_500_000);
    await check('open5gs-upf', 'epc_qos_bytes_in', 1000, '5');
    await check('open5gs-amf', 'epc_registration_requests', 10);
    await check('open5gs-amf', 'epc_registration_success', 9);
    await check('open5gs-amf', 'epc_registration_failure', 1, '7');
    await check('open5gs-mme', 'epc_attach_success', 6);
    await check('open5gs-mme', 'epc_attach_failure', 3, '15');

    const c = collector.counters();
    const malformed = c.malformed_lines ?? 0;
    t.ok(
      malformed > 0 && malformed >= 2 * (open5gs.scrapes.get('mme') ?? 0) - 2,
      `malformed lines counted (${malformed})`,
    );
    t.equal(c.parse_failures, 0, 'a malformed line fails nothing');
    t.same(
      changes
        .filter((x) => x.device.startsWith('open5gs-'))
        .map((x) => [x.device, x.status])
        .sort(),
      [
        ['open5gs-amf', 'up'],
        ['open5gs-mme', 'up'],
        ['open5gs-smf', 'up'],
        ['open5gs-upf', 'up'],
      ],
      'each core reported up once',
    );
    t.ok(
      polls.filter((p) => p.device.startsWith('open5gs-')).every((p) => p.error === null),
      'every poll succeeded',
    );
  });

  t.test('a dead core and a hanging one go down without delaying a live one', async (t) => {
    const live = await startOpen5gs({ upf: { fivegs_ep_n3_gtp_indatavolumen3upf: 1000 } });
    const hanging = await startHangingServer();
    const refused = await freePort();
    t.teardown(() => Promise.all([live.close(), hanging.close()]));
    changes.length = 0;
    polls.length = 0;
    targets.set([
      core('live-upf', live.url('upf')),
      core('hanging-core', hanging.url),
      core('dead-core', `http://127.0.0.1:${refused}/metrics`),
    ]);
    await new Promise((r) => setTimeout(r, 6000));

    const starts = polls.filter((p) => p.device === 'live-upf').map((p) => p.at);
    const gaps = starts.slice(1).map((s, i) => s - starts[i]!);
    t.ok(starts.length >= 5, `the live core was scraped ${starts.length} times in 6 s at a 1 s interval`);
    t.ok(
      gaps.every((g) => g > 900 && g < 1150),
      `its scrapes 1 s apart while the others fail (${gaps.join(', ')} ms)`,
    );
    t.ok(
      polls.filter((p) => p.device === 'live-upf').every((p) => p.error === null && p.ms < 400),
      'and each took well under the timeout',
    );
    t.same(
      changes.map((c) => [c.device, c.status]).sort(),
      [
        ['dead-core', 'down'],
        ['hanging-core', 'down'],
        ['live-upf', 'up'],
      ],
      'the dead and the hanging core reported down once each',
    );
    t.match(
      changes.find((c) => c.device === 'hanging-core'),
      { site: 'core-dc', detail: /timed out after 500 ms/ },
    );
    t.match(
      changes.find((c) => c.device === 'dead-core'),
      { detail: /ECONNREFUSED/ },
    );
    const hung = polls.filter((p) => p.device === 'hanging-core');
    t.ok(hung.length >= 3, `the hanging core was tried again (${hung.length} times)`);
    t.ok(
      hung.every((p) => p.ms >= 450 && p.ms < 1000),
      `each try ended at the timeout (${hung.map((p) => p.ms).join(', ')} ms)`,
    );
    t.ok((await series('live-upf', 'epc_bytes_in')).length >= 3, 'the live core’s rates were stored meanwhile');
    t.ok(collector.counters().cores_down === 2, 'two cores down');
  });
});

// The Prometheus exposition of the daemon's counters, read back with a parser written from the format's
// description (https://prometheus.io/docs/instrumenting/exposition_formats/): names, HELP and TYPE lines, label
// escaping, values that are not finite.
import t from 'tap';
import { escapeHelp, escapeLabel, metricName, renderMetrics } from '../../admin/metrics.ts';
import { parseExposition } from '../helpers/prometheus.ts';

t.test('every counter of every component, with HELP and TYPE, values as they are', async (t) => {
  const text = renderMetrics(
    {
      radius: { access_requests: 12, accepts: 10, rejects_bad_password: 2, dropped_unknown_nas: 3 },
      accounting: { backlog: 0, rows_written: 1_234_567_890_123 },
      'radius-cache': { subscribers: 100_000 },
      'event-loop': { lag_p99_ms: 1.25 },
      telemetry: { lag_ms: 0 },
      empty: {},
    },
    { version: '0.1.0', node: 'v20.20.2' },
  );
  const e = parseExposition(text);
  const value = (name: string) => e.samples.find((s) => s.name === name)?.value;
  t.equal(value('wispd_radius_access_requests'), 12);
  t.equal(value('wispd_radius_rejects_bad_password'), 2);
  t.equal(value('wispd_radius_dropped_unknown_nas'), 3);
  t.equal(value('wispd_accounting_rows_written'), 1_234_567_890_123, 'large integers are written whole');
  t.equal(value('wispd_radius_cache_subscribers'), 100_000, 'dashes become underscores');
  t.equal(value('wispd_event_loop_lag_p99_ms'), 1.25);
  t.equal(value('wispd_telemetry_lag_ms'), 0);
  t.same(
    e.samples.find((s) => s.name === 'wispd_build_info'),
    { name: 'wispd_build_info', labels: { version: '0.1.0', node: 'v20.20.2' }, value: 1 },
  );
  for (const s of e.samples) {
    t.ok(e.help.has(s.name), `${s.name} has HELP`);
    t.ok(e.type.has(s.name), `${s.name} has TYPE`);
  }
  t.equal(e.help.get('wispd_radius_access_requests'), 'access_requests of the radius component');
  t.equal(e.type.get('wispd_radius_access_requests'), 'untyped');
  t.equal(e.samples.length, 10);
});

t.test('escaping, names and values that need care', async (t) => {
  t.equal(escapeHelp('a\\b\nc "d"'), 'a\\\\b\\nc "d"', 'HELP: backslash and line feed; quotes stay');
  t.equal(escapeLabel('a\\b\nc "d"'), 'a\\\\b\\nc \\"d\\"', 'label values: quotes too');
  t.equal(metricName('wispd', 'remote-ingest', 'in.flight'), 'wispd_remote_ingest_in_flight');
  t.equal(metricName('9lives'), '_9lives', 'a name never starts with a digit');

  const e = parseExposition(
    renderMetrics(
      { 'odd\\name\n': { 'x"y': Number.NaN, inf: Infinity, minf: -Infinity }, dup_a: { b: 1 }, dup: { a_b: 2 } },
      { note: 'a "quoted"\\path\nnext' },
    ),
  );
  t.same(e.samples.find((s) => s.name === 'wispd_build_info')?.labels, { note: 'a "quoted"\\path\nnext' });
  const odd = e.samples.filter((s) => s.name.startsWith('wispd_odd_name_'));
  t.same(
    odd.map((s) => [s.name, s.value]),
    [
      ['wispd_odd_name__x_y', Number.NaN],
      ['wispd_odd_name__inf', Infinity],
      ['wispd_odd_name__minf', -Infinity],
    ],
  );
  t.equal(e.help.get('wispd_odd_name__x_y'), 'x"y of the odd\\name\n component', 'HELP read back as written');
  t.same(
    e.samples.filter((s) => s.name === 'wispd_dup_a_b').map((s) => s.value),
    [1],
    'two counters that map to one name: the first is kept, the exposition stays valid',
  );
});

// Accounting records as a NAS may send them and ClickHouse must take them: each value checked or clamped for its
// column at decode (the raw value kept beside it), a record ClickHouse still refuses kept in quarantine while every
// other record goes on, replayed once the cause is fixed; records spooled by wispd 0.1 still go in.
import { writeFileSync } from 'node:fs';
import t from 'tap';
import { createAccounting } from '../../daemon/radius/accounting/index.ts';
import { type AcctRecord, recordOf, recordTsv } from '../../daemon/radius/accounting/record.ts';
import type { NasEntry } from '../../daemon/radius/cache/index.ts';
import {
  AttrIndex,
  buildRequest,
  Code,
  encodeAttributes,
  loadStandardDictionary,
} from '../../daemon/radius/codec/index.ts';
import { defaults, silentLog } from '../helpers/env.ts';
import { testClickhouse, testDataDir } from '../helpers/stores.ts';

const dict = loadStandardDictionary();
const secret = Buffer.from('acct-secret');
const nas = { id: 1, name: 'n1', secret } as unknown as NasEntry;
const NOW = Date.UTC(2026, 11, 2, 12, 0, 0);

function decode(attrs: [string, string | number | Buffer][], raw: Buffer[] = []): AcctRecord {
  const encoded = encodeAttributes(dict, [['Acct-Status-Type', 'Interim-Update'], ...attrs]);
  const ix = new AttrIndex().scan(buildRequest(Code.AccountingRequest, 1, [encoded, ...raw], secret));
  return recordOf(ix, nas, '10.0.0.1', NOW, dict, () => 0);
}
/** A string attribute with bytes encodeAttributes would not write (NUL). */
const rawAttr = (type: number, value: Buffer) => Buffer.concat([Buffer.from([type, value.length + 2]), value]);

t.test('values a NAS can send are checked or clamped for their columns, the raw value kept', async (t) => {
  const zero = decode([['Event-Timestamp', 0]]);
  t.equal(zero.event_time, NOW / 1000, 'Event-Timestamp 0: the time of receipt');
  t.same(zero.clamped, { 'Event-Timestamp': '0' });
  const dateLike = decode([['Event-Timestamp', 20240101]]);
  t.equal(dateLike.event_time, NOW / 1000, 'a small Event-Timestamp is not a date (ClickHouse would read 2024-01-01)');
  t.same(dateLike.clamped, { 'Event-Timestamp': '20240101' });
  const ahead = decode([['Event-Timestamp', NOW / 1000 + 3 * 86_400]]);
  t.same(ahead.clamped, { 'Event-Timestamp': String(NOW / 1000 + 3 * 86_400) }, 'three days ahead of our clock');
  const good = decode([['Event-Timestamp', NOW / 1000 - 60]]);
  t.equal(good.event_time, NOW / 1000 - 60);
  t.equal(good.clamped, undefined, 'nothing clamped, no map');

  const delayed = decode([['Acct-Delay-Time', 2 ** 32 - 1]]);
  t.equal(delayed.event_time, NOW / 1000, 'Acct-Delay-Time beyond the epoch: the time of receipt');
  t.equal(delayed.delay_time, 2 ** 32 - 1, 'the delay itself is kept (UInt32)');
  t.same(delayed.clamped, { 'Acct-Delay-Time': String(2 ** 32 - 1) });
  t.equal(decode([['Acct-Delay-Time', 30]]).event_time, NOW / 1000 - 30);

  const nulTerminated = decode([], [rawAttr(1, Buffer.from('bob\0')), rawAttr(44, Buffer.from('s-1\0\0'))]);
  t.equal(nulTerminated.username, 'bob', 'a NUL-terminated User-Name is the name');
  t.equal(nulTerminated.acct_session_id, 's-1');
  t.equal(nulTerminated.clamped, undefined, 'a terminator is not a clamp');
  const nulInside = decode([], [rawAttr(1, Buffer.from('bo\0b'))]);
  t.equal(nulInside.username, 'bo\uFFFDb', 'a NUL inside cannot go to PostgreSQL text');
  t.same(nulInside.clamped, { 'User-Name': '626f0062' });

  const big = decode([
    ['Acct-Session-Time', 2 ** 32 - 1],
    ['Acct-Input-Gigawords', 2 ** 32 - 1],
    ['Acct-Input-Octets', 2 ** 32 - 1],
    ['Acct-Output-Gigawords', 5],
    ['Acct-Output-Octets', 7],
  ]);
  t.equal(big.session_time, 2 ** 32 - 1, 'Acct-Session-Time is unsigned 32-bit: kept whole');
  t.equal(big.input_octets, Number.MAX_SAFE_INTEGER, 'Gigawords 2^32−1: clamped to 2^53−1, not wrapped to 384');
  t.equal(big.output_octets, 5 * 2 ** 32 + 7);
  t.same(big.clamped, { 'Acct-Input-Gigawords': String(2 ** 32 - 1) });
  t.equal(decode([['Class', Buffer.from([0xde, 0xad, 0xbe, 0xef])]]).class, '0xdeadbeef', 'a binary Class: its hex');
  t.equal(decode([['Class', 'plan=gold']]).class, 'plan=gold', 'a text Class: the text');
  t.match(recordTsv(big), /\t\{'Acct-Input-Gigawords':'4294967295'\}$/, 'the map is the last spooled field');
});

t.test('a record ClickHouse refuses is quarantined, the others stored; replayed once fixed', async (t) => {
  const dataDir = testDataDir(t);
  const clickhouse = await testClickhouse(t, dataDir);
  const config = { ...defaults.accounting, batch_rows: 500, batch_interval: 20 };
  const deps = {
    log: silentLog(),
    dataDir,
    clickhouse,
    instance: () => '00000000-0000-0000-0000-000000000001',
    duplicateWindow: 10_000,
  };
  const base = decode([['User-Name', 'x']]);
  const rec = (username: string, sid: string): AcctRecord => ({
    ...base,
    ts: Date.now(),
    username,
    acct_session_id: sid,
  });

  // What a future bug could let through, refused by the table itself.
  await clickhouse.command("ALTER TABLE radius_accounting ADD CONSTRAINT no_poison CHECK username != 'poison'");
  // A record spooled by wispd 0.1 (19 fields, no `clamped`), left by an upgrade.
  const legacy = recordTsv(rec('legacy', 'L1')).replace(/\t\{\}$/, '');
  writeFileSync(`${dataDir.sub('spool', true)}/acct-0000000000000001.log`, `1 ${legacy}\n`);

  const accounting = createAccounting(config, deps);
  await accounting.start();
  t.teardown(() => accounting.stop());
  await accounting.record(rec('poison', 'P1'));
  for (let i = 0; i < 999; i++) await accounting.record(rec(`good-${i}`, `G${i}`));
  t.ok(await accounting.drain(30_000), 'the spool drains past the refused record');
  const count = async (where: string) =>
    Number((await clickhouse.query<{ n: string }>(`SELECT count() AS n FROM radius_accounting WHERE ${where}`))[0]!.n);
  t.equal(await count("startsWith(username, 'good-')"), 999, 'every other record is stored');
  t.equal(await count("username = 'legacy'"), 1, 'the record spooled by wispd 0.1 is stored');
  t.equal(await count("username = 'poison'"), 0);
  const q = accounting.quarantined();
  t.equal(q.length, 1, 'one record in quarantine');
  t.match(q[0], { table: 'radius_accounting', error: /no_poison|constraint/i });
  t.match(q[0]!.row, /\tpoison\t/);
  t.match(accounting.counters(), { rows_quarantined: 1, quarantined: 1, backlog: 0 });

  t.same((await accounting.replayQuarantined()).replayed, 0, 'a replay before the fix leaves it where it is');
  t.equal(accounting.quarantined().length, 1);
  await clickhouse.command('ALTER TABLE radius_accounting DROP CONSTRAINT no_poison');
  const replay = await accounting.replayQuarantined();
  t.match(replay, { replayed: 1, refused: [] });
  t.equal(await count("username = 'poison'"), 1, 'stored after the fix');
  t.equal(accounting.quarantined().length, 0);
  t.equal(accounting.counters().quarantined, 0);
});

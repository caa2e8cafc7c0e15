// One notation for bytes, rates and times in the CLI and the panel: what an operator types (100G, 20M) reads back the
// same, larger and odd values are rounded to three significant digits, times are ISO-like in the daemon's zone.
import t from 'tap';
import {
  formatBytes,
  formatRate,
  formatTime,
  parseBytes,
  parseRate,
  readableBytes,
  readableRate,
} from '../../config/units.ts';

t.test('what is typed reads back the same', async (t) => {
  for (const typed of ['100G', '5M', '1.5T', '512k', '10M']) t.equal(readableBytes(parseBytes(typed)!), typed);
  for (const typed of ['20M', '512k', '1.5G', '100M']) t.equal(readableRate(parseRate(typed)!), typed);
});

t.test('other values: three significant digits, never a raw count', async (t) => {
  t.equal(readableBytes(0), '0');
  t.equal(readableBytes(512), '512');
  t.equal(readableBytes(3_410_000_000), '3.18G');
  t.equal(readableBytes(3_330_142 * 1024), '3.18G', 'not 3330142k');
  t.equal(readableBytes(107_374_182_400), '100G', 'not 107374182400');
  t.equal(readableBytes(123_456_789_012), '115G');
  t.equal(readableRate(20_000_000), '20M', 'not 20000000');
  t.equal(readableRate(1_536_000), '1.54M');
  t.equal(readableRate(999), '999');
  t.equal(readableBytes(Number.NaN), '–');
});

t.test('exact forms for configuration: zero is 0, not 0T', async (t) => {
  t.equal(formatBytes(0), '0');
  t.equal(formatRate(0), '0');
  t.equal(formatBytes(3 * 1024 ** 4), '3T');
});

t.test('times: ISO-like, to the second, in the zone given', async (t) => {
  t.equal(formatTime('2026-12-02T10:00:05.600Z', 'UTC'), '2026-12-02 10:00:05');
  t.equal(formatTime('2026-07-01T10:00:00Z', 'Europe/Berlin'), '2026-07-01 12:00:00');
  t.equal(formatTime(new Date('2026-01-31T23:30:00Z'), 'America/Sao_Paulo'), '2026-01-31 20:30:00');
  t.equal(formatTime(null), '–');
  t.equal(formatTime('not a date'), 'not a date');
});

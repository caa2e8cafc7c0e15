// The local spool: group commit (one fsync for many records), reading in order across segments, deleting released
// segments, and reopening after a crash that tore the last line.
import { appendFileSync, readdirSync, readFileSync } from 'node:fs';
import t from 'tap';
import { Spool } from '../../daemon/store/spool/index.ts';
import { tmpDir } from '../helpers/env.ts';

t.test('append resolves once on disk, in groups', async (t) => {
  const dir = tmpDir(t);
  const spool = new Spool(dir, { name: 'acct', groupCommitMs: 5, segmentBytes: 1 << 20 });
  await spool.open(0);
  const seqs = await Promise.all(Array.from({ length: 100 }, (_, i) => spool.append(JSON.stringify({ i }))));
  t.same(
    seqs,
    Array.from({ length: 100 }, (_, i) => i + 1),
    'numbered in order',
  );
  t.ok(spool.counters.fsyncs <= 3, `100 records, ${spool.counters.fsyncs} fsync(s)`);
  const [file] = readdirSync(dir);
  t.equal(readFileSync(`${dir}/${file}`, 'utf8').split('\n').length, 101, 'every record is in the file');
  await spool.close();
});

t.test('read across segments, release, reopen', async (t) => {
  const dir = tmpDir(t);
  let spool = new Spool(dir, { name: 'acct', groupCommitMs: 0, segmentBytes: 200 });
  await spool.open(0);
  for (let i = 1; i <= 50; i++) await spool.append(`{"n":${i},"pad":"${'x'.repeat(20)}"}`);
  t.ok(readdirSync(dir).length > 3, 'segments rolled');
  const first = await spool.read(1, 20);
  t.same(
    first.map((r) => r.seq),
    Array.from({ length: 20 }, (_, i) => i + 1),
  );
  t.same(JSON.parse(first[4]!.data).n, 5);
  const next = await spool.read(21, 100);
  t.same(
    next.map((r) => r.seq),
    Array.from({ length: 30 }, (_, i) => i + 21),
    'continues where it stopped',
  );
  t.same(
    (await spool.read(17, 2)).map((r) => r.seq),
    [17, 18],
    'any position can be read again',
  );
  const before = readdirSync(dir).length;
  spool.release(30);
  t.ok(readdirSync(dir).length < before, 'released segments are deleted');
  t.same((await spool.read(31, 100)).map((r) => r.seq)[0], 31, 'what was not released is still there');
  await spool.close();

  spool = new Spool(dir, { name: 'acct', groupCommitMs: 0, segmentBytes: 200 });
  await spool.open(30);
  t.equal(spool.lastSeq, 50, 'reopened at the last record');
  t.equal(await spool.append('{"n":51}'), 51);
  await spool.close();
});

t.test('a torn last line (a crash mid-write) is cut off', async (t) => {
  const dir = tmpDir(t);
  let spool = new Spool(dir, { name: 'acct', groupCommitMs: 0, segmentBytes: 1 << 20 });
  await spool.open(0);
  await spool.append('{"a":1}');
  await spool.append('{"a":2}');
  await spool.close();
  const [file] = readdirSync(dir);
  appendFileSync(`${dir}/${file}`, '3 {"a":3');
  spool = new Spool(dir, { name: 'acct', groupCommitMs: 0, segmentBytes: 1 << 20 });
  await spool.open(0);
  t.equal(spool.lastSeq, 2);
  t.same(
    (await spool.read(1, 10)).map((r) => r.data),
    ['{"a":1}', '{"a":2}'],
  );
  t.equal(await spool.append('{"a":"3 again"}'), 3, 'the torn record number is given again');
  t.same(
    (await spool.read(3, 10)).map((r) => r.data),
    ['{"a":"3 again"}'],
  );
  await spool.close();
});

t.test('an empty spool continues after the checkpoint', async (t) => {
  const dir = tmpDir(t);
  const spool = new Spool(dir, { name: 'acct', groupCommitMs: 0, segmentBytes: 1 << 20 });
  await spool.open(41);
  t.equal(await spool.append('{}'), 42);
  await spool.close();
});

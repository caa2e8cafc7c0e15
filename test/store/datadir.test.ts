// One wispd process per data directory: the lock, its holder as seen from another process, and stale locks.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import t from 'tap';
import { DataDir } from '../../daemon/store/datadir.ts';
import { repoRoot, tmpDir } from '../helpers/env.ts';

/** What another process sees when it tries to take the directory. */
function acquireElsewhere(path: string): { owned: boolean; pid?: number } {
  const script = `import { DataDir } from '${repoRoot}/daemon/store/datadir.ts';
const d = new DataDir(${JSON.stringify(path)}); const o = d.acquire(); d.release();
console.log(JSON.stringify(o));`;
  const r = spawnSync(process.execPath, ['--import=tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
    cwd: repoRoot,
  });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

t.test('the owner holds the directory until it releases it', async (t) => {
  const path = tmpDir(t);
  const dir = new DataDir(path);
  t.same(dir.acquire(), { owned: true });
  t.ok(dir.owned);
  t.equal(JSON.parse(readFileSync(`${path}/wispd.lock`, 'utf8')).pid, process.pid);
  t.same(acquireElsewhere(path), { owned: false, pid: process.pid }, 'another process sees the holder');
  dir.writeEndpoint('postgres', { host: '127.0.0.1', port: 5555 });
  t.same(dir.readEndpoint('postgres'), { pid: process.pid, host: '127.0.0.1', port: 5555 });
  dir.removeEndpoint('postgres');
  dir.release();
  t.notOk(existsSync(`${path}/wispd.lock`));
  t.same(acquireElsewhere(path), { owned: true }, 'free once released');
});

t.test('a lock left by a dead process is taken over', async (t) => {
  const path = tmpDir(t);
  const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
  const pid = Number(dead.stdout.trim());
  writeFileSync(`${path}/wispd.lock`, JSON.stringify({ pid }));
  writeFileSync(`${path}/postgres.json`, JSON.stringify({ pid, host: '127.0.0.1', port: 1 }));
  const dir = new DataDir(path);
  t.same(dir.acquire(), { owned: true });
  t.equal(dir.readEndpoint('postgres'), undefined, 'an endpoint of a dead process is ignored');
  dir.release();
});

t.test('acquireOrThrow names the holder', async (t) => {
  const path = tmpDir(t);
  writeFileSync(`${path}/wispd.lock`, JSON.stringify({ pid: process.ppid }));
  const dir = new DataDir(path);
  t.throws(() => dir.acquireOrThrow(), {
    code: 'WISPD_DATADIR_LOCKED',
    message: new RegExp(`in use by another wispd process \\(pid ${process.ppid}\\)`),
  });
});

t.test('an impossible place is a clear error', async (t) => {
  const file = `${tmpDir(t)}/a-file`;
  writeFileSync(file, '');
  const dir = new DataDir(`${file}/data`);
  t.throws(() => dir.acquire(), {
    code: 'WISPD_DATADIR',
    message: /cannot create .*a-file\/data \(daemon\.data_dir .*a-file\/data\): ENOTDIR/,
  });
});

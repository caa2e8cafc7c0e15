// The operator's record commands, end to end through the `wispd` binary: the first on an embedded store it opens
// itself (no daemon yet), the rest alongside a running daemon, through its PGlite endpoint, as operators use them:
// nas, plan and subscriber add/set/list/show, and an import with progress, skipped lines and errors named by line.
// What they change reaches the daemon (the last test logs in with radclient) and the audit log (as cli:<user>); a
// config file's relative data_dir is relative to the file, and a read command never creates a store.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import t from 'tap';
import { tmpDir } from '../helpers/env.ts';
import { wispd } from '../helpers/proc.ts';
import { eventually, radclient, startDaemon } from '../helpers/radius.ts';

const dir = tmpDir(t);
const env = { WISPD_DAEMON_DATA_DIR: `${dir}/data` };
const run = (...args: string[]) => wispd(args, { env });

t.test('without a daemon, a command opens the embedded store itself', async (t) => {
  const nowhere = { WISPD_DAEMON_DATA_DIR: `${dir}/nowhere` };
  const list = wispd(['nas', 'list'], { env: nowhere });
  t.equal(list.code, 1, 'a read command finds no store');
  t.match(list.stderr, `no wispd data in ${dir}/nowhere (daemon.data_dir, from WISPD_DAEMON_DATA_DIR)`);
  t.notOk(existsSync(`${dir}/nowhere`), 'and creates none');
  const first = run('nas', 'add', '--name', 'lab', '--address', '127.0.0.1', '--secret', 'lab-secret-1');
  t.equal(first.code, 0, first.stderr);
  t.match(first.stderr, `no store in ${dir}/data (daemon.data_dir, from WISPD_DAEMON_DATA_DIR) yet: creating one`);
});

t.test('alongside a running daemon', async (t) => {
  const daemon = await startDaemon(t, {}, `${dir}/data`);

  t.test('nas', async (t) => {
    const add = run(
      'nas',
      'add',
      '--name',
      'tower1',
      '--address',
      '10.20.0.1',
      '--secret',
      'tower-secret-1',
      '--vendor',
      'mikrotik',
      '--coa-port',
      '1700',
    );
    t.equal(add.code, 0, add.stderr);
    t.match(add.stdout, 'added NAS tower1 (10.20.0.1/32, mikrotik, CoA port 1700)');
    const subnet = run(
      'nas',
      'add',
      '--name',
      'pop2',
      '--address',
      '10.30.0.0/24',
      '--secret',
      'pop-secret-22',
      '--no-require-message-authenticator',
    );
    t.equal(subnet.code, 0, subnet.stderr);
    const list = run('nas', 'list');
    t.match(list.stdout, /^NAME\s+ADDRESS\s+VENDOR\s+COA_PORT\s+MESSAGE_AUTHENTICATOR$/m);
    t.match(list.stdout, /^pop2\s+10\.30\.0\.0\/24\s+generic\s+3799\s+optional$/m);
    t.match(list.stdout, /^tower1\s+10\.20\.0\.1\/32\s+mikrotik\s+1700\s+required$/m);
    t.notMatch(
      list.stdout + run('nas', 'list', '--json').stdout,
      /tower-secret-1|pop-secret-22/,
      'secrets are never shown',
    );
    const dup = run('nas', 'add', '--name', 'tower1', '--address', '10.20.0.9', '--secret', 'whatever-1');
    t.equal(dup.code, 1);
    t.match(dup.stderr, 'NAS "tower1" already exists [WISPD_ALREADY_EXISTS]');
    const bad = run('nas', 'add', '--name', 'x', '--address', '10.0.0.1/24', '--secret', 'whatever-1');
    t.match(bad.stderr, 'has host bits set; the subnet is 10.0.0.0/24 [WISPD_INVALID_INPUT]');
    const vendor = run(
      'nas',
      'add',
      '--name',
      'y',
      '--address',
      '10.0.0.2',
      '--secret',
      'whatever-1',
      '--vendor',
      'huawei',
    );
    t.match(vendor.stderr, 'vendor "huawei": must be one of mikrotik, cisco, juniper, generic');
    const same = run('nas', 'add', '--name', 'tower1b', '--address', '10.20.0.1', '--secret', 'whatever-1');
    t.equal(same.code, 1, 'an address another NAS has: refused');
    t.match(same.stderr, 'address 10.20.0.1/32 overlaps NAS "tower1" (10.20.0.1/32) [WISPD_ALREADY_EXISTS]');
    const covering = run('nas', 'add', '--name', 'pop3', '--address', '10.20.0.0/24', '--secret', 'whatever-1');
    t.match(covering.stderr, 'address 10.20.0.0/24 overlaps NAS "tower1" (10.20.0.1/32)', 'a subnet holding one too');
    t.notMatch(run('nas', 'list').stdout, /tower1b|pop3/);
    const set = run('nas', 'set', 'pop2', '--secret', 'a-new-secret-2', '--vendor', 'cisco');
    t.equal(set.code, 0, set.stderr);
    t.match(set.stdout, 'NAS pop2: 10.30.0.0/24, cisco, CoA port 3799, Message-Authenticator optional, new secret');
    t.notMatch(set.stdout + run('nas', 'list', '--json').stdout, /a-new-secret-2/);
    t.equal(run('nas', 'remove', 'pop2').code, 0);
    t.notMatch(run('nas', 'list').stdout, /pop2/);
  });

  t.test('plan', async (t) => {
    const add = run(
      'plan',
      'add',
      '--name',
      'home-20',
      '--rate-down',
      '20M',
      '--rate-up',
      '5M',
      '--burst-down',
      '30M',
      '--session-timeout',
      '1h',
      '--ip-pool',
      'pool-a',
    );
    t.equal(add.code, 0, add.stderr);
    t.match(add.stdout, 'added plan home-20 (20M/5M)');
    const bad = run('plan', 'add', '--name', 'x', '--rate-down', 'fast', '--rate-up', '5M');
    t.match(bad.stderr, 'rate-down "fast": a rate such as 20M, 512k or 1G');
    const set = run('plan', 'set', 'home-20', '--rate-down', '25M');
    t.equal(set.code, 0, set.stderr);
    t.match(run('plan', 'list').stdout, /^home-20\s+25M\s+5M\s+30M\/5M\s+3600\s+300\s+pool-a\s+1\s+-\s+0$/m);
  });

  t.test('subscriber', async (t) => {
    const add = run(
      'subscriber',
      'add',
      '--username',
      'alice',
      '--password',
      'pw-a',
      '--plan',
      'home-20',
      '--ip',
      '100.64.0.5',
      '--mac',
      'AA-BB-CC-DD-EE-FF',
    );
    t.equal(add.code, 0, add.stderr);
    t.match(
      run('subscriber', 'add', '--username', 'bob', '--password', 'x', '--plan', 'nope').stderr,
      'no plan "nope" [WISPD_NOT_FOUND]',
    );
    const csv = `${dir}/subs.csv`;
    writeFileSync(
      csv,
      'username,password,plan\ncarol,pw-c,home-20\n"dave, jr",pw-d,home-20\nalice,again,home-20\nbroken line\nerin,pw-e,no-such-plan\n' +
        'fred,pw-f,"home\n20"\ngina,"pw ""g""",home-20\n',
    );
    const imp = run('subscriber', 'import', csv);
    t.equal(imp.code, 1, 'lines with errors make the exit code 1');
    t.match(imp.stdout, 'imported 3, skipped 1 (already there), 3 with errors');
    t.match(imp.stderr, /importing: 6\/6 \(100%\)/);
    t.match(imp.stderr, `${csv}:5: expected username,password,plan`);
    t.match(imp.stderr, `${csv}:6: no plan "no-such-plan"`);
    t.match(
      imp.stderr,
      `${csv}:7: no plan "home\\n20"`,
      'a quoted field with a newline is one field of one record, named by the line it starts on',
    );
    const list = run('subscriber', 'list');
    t.match(list.stdout, /^alice\s+home-20\s+active\s+100\.64\.0\.5\s+aa:bb:cc:dd:ee:ff$/m);
    t.match(list.stdout, /^dave, jr\s+home-20\s+active/m, 'a quoted field with a comma');
    t.match(list.stdout, /^gina\s+home-20\s+active/m, 'and the record after one of two lines');
    const ipTaken = run(
      'subscriber',
      'add',
      '--username',
      'zed',
      '--password',
      'pw-z',
      '--plan',
      'home-20',
      '--ip',
      '100.64.0.5',
    );
    t.equal(ipTaken.code, 1, "another subscriber's static IP: refused");
    t.match(ipTaken.stderr, 'static IP 100.64.0.5 is already subscriber "alice"\'s');
    t.match(run('subscriber', 'set', 'carol', '--ip', '100.64.0.5').stderr, 'is already subscriber "alice"\'s');
    const customer = run('customer', 'add', '--name', 'Ana Pérez', '--email', 'ana@example.net');
    t.equal(customer.code, 0, customer.stderr);
    const id = /added customer (\d+): Ana Pérez/.exec(customer.stdout)?.[1];
    t.ok(id, 'customer add prints the id');
    t.equal(run('subscriber', 'set', 'alice', '--customer', id!).code, 0);
    t.match(run('customer', 'list', '--search', 'ana').stdout, /^\d+\s+Ana Pérez\s+ana@example\.net\s+-\s+1$/m);
    t.match(run('subscriber', 'set', 'carol', '--customer', '999999').stderr, 'no customer "999999"');
    t.equal(run('subscriber', 'set', 'alice', '--status', 'suspended').code, 0);
    const show = run('subscriber', 'show', 'alice');
    t.match(show.stdout, /status:\s+suspended/);
    t.match(show.stdout, /online:\s+0 session\(s\)/);
    t.same(
      JSON.parse(run('subscriber', 'list', '--search', 'car', '--json').stdout).map(
        (s: { username: string }) => s.username,
      ),
      ['carol'],
    );
  });

  t.test('a config file says where the data is, whatever the working directory', async (t) => {
    mkdirSync(`${dir}/etc`, { recursive: true });
    writeFileSync(`${dir}/etc/wispd.yaml`, 'daemon:\n  data_dir: ../data\n');
    const elsewhere = wispd(['nas', 'list', '--config', `${dir}/etc/wispd.yaml`], { cwd: '/' });
    t.equal(elsewhere.code, 0, elsewhere.stderr);
    t.match(elsewhere.stdout, /^tower1\s/m, "the daemon's NAS, from /");
  });

  t.test('every write is in the audit log, as cli:<user>', async (t) => {
    const { rows } = await daemon.db.query<{ actor: string; resource: string; action: string; record_id: string }>(
      'SELECT actor, resource, action, record_id FROM audit_log ORDER BY id',
    );
    const who = `cli:${userInfo().username}`;
    const did = rows.filter((r) => r.actor === who).map((r) => `${r.resource} ${r.action}`);
    for (const w of [
      'nas new',
      'nas delete',
      'plan new',
      'plan edit',
      'subscriber new',
      'subscriber edit',
      'subscriber import',
    ])
      t.ok(did.includes(w), w);
    t.notOk(
      rows.some((r) => r.resource === 'nas' && r.action === 'new' && r.record_id === null),
      'each with the record it changed',
    );
    t.same(
      rows.filter((r) => r.resource === 'nas').map((r) => r.action),
      ['new', 'new', 'new', 'edit', 'delete'],
      'lab, tower1, pop2 added, pop2 edited and removed; the refused ones (a duplicate, overlaps, bad values) left no row',
    );
  });

  t.test('the daemon sees what the commands did', async (t) => {
    t.equal(run('subscriber', 'set', 'alice', '--status', 'active').code, 0);
    const r = await eventually(async () => {
      const x = await radclient(
        daemon.authPort,
        'auth',
        'lab-secret-1',
        'User-Name = "alice", User-Password = "pw-a", Calling-Station-Id = "aa:bb:cc:dd:ee:ff", Message-Authenticator = 0x00',
      );
      return x.code === 'Access-Accept' ? x : undefined;
    });
    t.equal(r.attributes['Framed-IP-Address'], '100.64.0.5');
    t.equal(
      r.attributes['WISPr-Bandwidth-Max-Down'],
      '25000000',
      'the generic vendor: WISPr attributes, the edited rate',
    );
  });
});

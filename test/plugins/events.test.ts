// Core events reach a plugin at least once and take effect once: a plugin's handler kills its daemon (SIGKILL) while
// handling an event, before its transaction commits; after the restart the event is delivered again and the plugin's
// table holds it once — with the in-process bus and with NATS. The envelope carries the catalogue's fields.
import { existsSync, readFileSync } from 'node:fs';
import t from 'tap';
import { addNas } from '../../daemon/model/nas.ts';
import { addPlan } from '../../daemon/model/plan.ts';
import { addSubscriber } from '../../daemon/model/subscriber.ts';
import { natsUrl, repoRoot, tmpDir } from '../helpers/env.ts';
import { eventually, radclient, startDaemon } from '../helpers/radius.ts';

const SECRET = 'events-test-secret';

for (const bus of ['in-process', 'nats'] as const) {
  t.test(`${bus} bus: a delivery cut short by a crash is made again, and takes effect once`, async (t) => {
    const dir = tmpDir(t);
    const marker = `${dir}/crashed`;
    const env: Record<string, string> = {
      WISPD_PLUGINS_ENABLED: `${repoRoot}/test/fixtures/plugins/tally`,
      TALLY_CRASH_MARKER: marker,
      ...(bus === 'nats' ? { WISPD_NATS_URL: await natsUrl(t), WISPD_NATS_SUBJECT_PREFIX: `ev${process.pid}` } : {}),
    };
    let d = await startDaemon(t, env, `${dir}/data`);
    await addNas(d.db, d.box, { name: 'n', address: '127.0.0.1', secret: SECRET, vendor: 'mikrotik' });
    await addPlan(d.db, { name: 'p', rateDown: 1e6, rateUp: 1e6 });
    for (const u of ['alice', 'crash-once'])
      await addSubscriber(d.db, d.box, { username: u, password: 'pw', plan: 'p' });
    const acct = (port: number, user: string, sid: string, status: string) =>
      radclient(
        port,
        'acct',
        SECRET,
        `User-Name = "${user}", Acct-Session-Id = "${sid}", Acct-Status-Type = ${status}`,
      );

    // Once the cache has the NAS (a second at most), its requests are answered.
    await eventually(async () =>
      (await acct(d.acctPort, 'alice', 'a-1', 'Start')).code === 'Accounting-Response' ? true : undefined,
    );
    const first = await eventually(async () => {
      const { rows } = await d.db.query('SELECT event_id, type, subject, data FROM plugin_tally.seen');
      return rows.length ? rows : undefined;
    }, 20_000);
    t.match(first, [
      { type: 'session.start', subject: 'alice', data: { username: 'alice', acct_session_id: 'a-1', nas: 'n' } },
    ]);

    t.equal((await acct(d.acctPort, 'crash-once', 'c-1', 'Start')).code, 'Accounting-Response');
    const exit = await Promise.race([d.child.exited, new Promise((r) => setTimeout(() => r('alive'), 30_000))]);
    t.match(exit, { signal: 'SIGKILL' }, 'the handler killed its daemon in the middle of the event');
    t.ok(existsSync(marker));
    const crashed = readFileSync(marker, 'utf8');

    d = await startDaemon(t, env, `${dir}/data`);
    t.equal((await acct(d.acctPort, 'alice', 'a-1', 'Stop')).code, 'Accounting-Response');
    const all = await eventually(async () => {
      const { rows } = await d.db.query<{ event_id: string; type: string; subject: string }>(
        'SELECT event_id, type, subject FROM plugin_tally.seen ORDER BY n',
      );
      return rows.length >= 3 ? rows : undefined;
    }, 30_000);
    t.same(
      all.map((r) => `${r.type} ${r.subject}`),
      ['session.start alice', 'session.start crash-once', 'session.stop alice'],
      'every event once, in order',
    );
    t.equal(all[1]!.event_id, crashed, 'the event cut short is the one delivered again');
    t.equal(new Set(all.map((r) => r.event_id)).size, all.length, 'no event took effect twice');
    const inbox = await d.db.query(
      "SELECT count(*)::int AS n FROM event_inbox WHERE consumer = 'tally:session.start+session.stop'",
    );
    t.equal(inbox.rows[0]!.n, 3);
    t.equal(await d.stop(), 0);
  });
}

// The live session table on its own, with a clock: starts and stops reach PostgreSQL within a second, counter updates
// are written behind, Accounting-On clears a NAS, and a session that stopped reporting is closed as stale.
import t from 'tap';
import { addNas } from '../../daemon/model/nas.ts';
import type { AcctRecord } from '../../daemon/radius/accounting/record.ts';
import { createSessions } from '../../daemon/radius/sessions/index.ts';
import { SecretBox } from '../../daemon/security/secret-box.ts';
import { defaults, silentLog } from '../helpers/env.ts';
import { testDataDir, testPostgres } from '../helpers/stores.ts';

const postgres = await testPostgres(t, testDataDir(t), { poolSize: 2 });
const nas = await addNas(postgres, new SecretBox(Buffer.alloc(32, 1)), {
  name: 'n1',
  address: '10.0.0.1',
  secret: 'secret-1',
});

const rec = (over: Partial<AcctRecord>): AcctRecord => ({
  ts: Date.now(),
  event_time: Math.floor(Date.now() / 1000),
  nas: 'n1',
  nas_id: nas.id,
  nas_ip: '10.0.0.1',
  source: '10.0.0.1',
  status: 'start',
  acct_session_id: 's1',
  username: 'u1',
  subscriber_id: 0,
  framed_ip: '100.64.0.1',
  calling_station_id: 'aa:bb:cc:dd:ee:01',
  nas_port_id: '',
  session_time: 0,
  input_octets: 0,
  output_octets: 0,
  input_packets: 0,
  output_packets: 0,
  terminate_cause: '',
  delay_time: 0,
  class: '',
  ...over,
});

const stale: AcctRecord[] = [];
const sessions = createSessions(
  { ...defaults.radius, stale_after_intervals: 3, reaper_interval: 3_600_000 },
  {
    log: silentLog(),
    postgres,
    directory: { interimInterval: () => 60, nasName: (id) => (id === nas.id ? 'n1' : '') },
    accounting: {
      record: async (r) => {
        stale.push(r);
        return stale.length;
      },
    },
  },
);
await sessions.start();
t.teardown(() => sessions.stop());
const rows = async () =>
  (await postgres.query('SELECT acct_session_id, input_octets::int AS i FROM radius_session ORDER BY 1')).rows;

t.test('start, interim, stop', async (t) => {
  sessions.apply(rec({}));
  sessions.apply(rec({ acct_session_id: 's2', calling_station_id: 'aa:bb:cc:dd:ee:02' }));
  t.equal(sessions.countFor('u1'), 2);
  t.equal(sessions.countFor('u1', 'AA-BB-CC-DD-EE-01'), 1, 'a reconnect from the same device does not count itself');
  await sessions.flush();
  t.same(await rows(), [
    { acct_session_id: 's1', i: 0 },
    { acct_session_id: 's2', i: 0 },
  ]);
  sessions.apply(rec({ status: 'interim', input_octets: 500, session_time: 60 }));
  sessions.apply(rec({ status: 'interim', input_octets: 400, session_time: 70 }));
  t.equal(sessions.forUser('u1').find((s) => s.acctSessionId === 's1')!.inputOctets, 500, 'counters never go down');
  await sessions.flush();
  t.equal((await rows())[0]!.i, 0, 'counter updates wait for their turn');
  await sessions.flush(true);
  t.equal((await rows())[0]!.i, 500, 'and are written then');
  sessions.apply(rec({ status: 'stop', acct_session_id: 's2' }));
  await sessions.flush();
  t.same(
    (await rows()).map((r) => r.acct_session_id),
    ['s1'],
    'a stop removes the row within a flush',
  );
});

t.test('Accounting-On closes every session of the NAS', async (t) => {
  sessions.apply(rec({ acct_session_id: 's3' }));
  sessions.apply(rec({ status: 'on', acct_session_id: '' }));
  t.equal(sessions.countFor('u1'), 0);
  await sessions.flush();
  t.same(await rows(), []);
});

t.test('a session silent for 3 interim intervals is closed as stale', async (t) => {
  const now = Date.now();
  sessions.apply(rec({ acct_session_id: 'old', ts: now - 4 * 60_000 }));
  sessions.apply(rec({ acct_session_id: 'fresh', ts: now - 60_000 }));
  const closed = sessions.reap(now);
  t.same(
    closed.map((s) => s.acctSessionId),
    ['old'],
  );
  t.match(
    stale,
    [{ acct_session_id: 'old', status: 'stale', terminate_cause: 'Stale-Session', nas: 'n1', username: 'u1' }],
    'accounting records it as stale',
  );
  t.equal(sessions.countFor('u1'), 1, 'the stale one no longer blocks a login');
  await sessions.flush();
  t.same(
    (await rows()).map((r) => r.acct_session_id),
    ['fresh'],
  );
});

// Suspended and expired subscribers: with radius.walled_garden on, they are let into the walled garden (its rate, the
// MikroTik address list) instead of being rejected; a password still has to be right.
import t from 'tap';
import { addNas } from '../../daemon/model/nas.ts';
import { addPlan } from '../../daemon/model/plan.ts';
import { addSubscriber } from '../../daemon/model/subscriber.ts';
import { eventually, radclient, startDaemon } from '../helpers/radius.ts';

const SECRET = 'garden-secret-1';
const d = await startDaemon(t, {
  WISPD_RADIUS_WALLED_GARDEN_ENABLED: 'true',
  WISPD_RADIUS_WALLED_GARDEN_RATE_DOWN: '512k',
  WISPD_RADIUS_WALLED_GARDEN_RATE_UP: '256k',
});
await addNas(d.db, d.box, { name: 'lab', address: '127.0.0.1', secret: SECRET, vendor: 'mikrotik' });
await addPlan(d.db, { name: 'p', rateDown: 20_000_000, rateUp: 5_000_000 });
await addSubscriber(d.db, d.box, { username: 'late-payer', password: 'pw1', plan: 'p', status: 'suspended' });
await addSubscriber(d.db, d.box, {
  username: 'old-card',
  password: 'pw2',
  plan: 'p',
  expiresAt: new Date(Date.now() - 60_000),
});
await addSubscriber(d.db, d.box, { username: 'paid', password: 'pw3', plan: 'p' });
const auth = (user: string, pw: string) =>
  radclient(d.authPort, 'auth', SECRET, `User-Name = "${user}", User-Password = "${pw}", Message-Authenticator = 0x00`);
await eventually(async () => (await auth('paid', 'pw3')).code === 'Access-Accept');

t.test('suspended: the walled garden', async (t) => {
  const r = await auth('late-payer', 'pw1');
  t.equal(r.code, 'Access-Accept');
  t.equal(r.attributes['Mikrotik-Rate-Limit'], '256k/512k');
  t.equal(r.attributes['Mikrotik-Address-List'], 'walled-garden');
  t.equal(r.attributes.Class, '0x77697370643a77616c6c65642d67617264656e', 'Class wispd:walled-garden');
});

t.test('expired (expires_at passed): the walled garden too', async (t) => {
  const r = await auth('old-card', 'pw2');
  t.equal(r.code, 'Access-Accept');
  t.equal(r.attributes['Mikrotik-Rate-Limit'], '256k/512k');
});

t.test('the password still counts', async (t) => {
  t.equal((await auth('late-payer', 'wrong')).code, 'Access-Reject');
});

t.test('an active subscriber gets the plan', async (t) => {
  t.equal((await auth('paid', 'pw3')).attributes['Mikrotik-Rate-Limit'], '5M/20M');
});

// wispd's RADIUS against real tools: radclient (FreeRADIUS) for PAP, CHAP and accounting, and a raw client on the
// codec for what a tool cannot show: MS-CHAPv2 round trips, retransmissions, malformed datagrams, reply bytes.
// One daemon (embedded stores, ephemeral ports) for the whole file; staff edits go through the same model code the
// CLI and the panel use, while it runs.
import t from 'tap';
import { addNas, removeNas } from '../../daemon/model/nas.ts';
import { addPlan, updatePlan } from '../../daemon/model/plan.ts';
import { addSubscriber, updateSubscriber } from '../../daemon/model/subscriber.ts';
import {
  Attr,
  AttrIndex,
  attr,
  authenticatorResponse,
  buildRequest,
  Code,
  decodePacket,
  encodeAttribute,
  hidePassword,
  loadStandardDictionary,
  messageAuthenticatorValid,
  mppeKeys,
  ntHashes,
  ntResponse,
  randomAuthenticator,
  responseAuthenticatorValid,
  saltDecrypt,
  vsa,
} from '../../daemon/radius/codec/index.ts';
import { eventually, radclient, startDaemon, stoppedDaemonClickhouse, UdpClient } from '../helpers/radius.ts';
import { hex, readVectors } from '../helpers/vectors.ts';

const dict = loadStandardDictionary();
const SECRET = 'lab-secret-123';
const secret = Buffer.from(SECRET);
const MA = 'Message-Authenticator = 0x00';

const d = await startDaemon(t);
const { db, box } = d;
await addNas(db, box, { name: 'lab', address: '127.0.0.1', secret: SECRET, vendor: 'mikrotik' });
await addPlan(db, { name: 'home-20', rateDown: 20_000_000, rateUp: 5_000_000, interimInterval: 60, ipPool: 'pool-a' });
await addPlan(db, { name: 'home-50', rateDown: 50_000_000, rateUp: 10_000_000 });
await addSubscriber(db, box, { username: 'alice', password: 'alice-pw', plan: 'home-20', ip: '100.64.0.10' });
await addSubscriber(db, box, { username: 'bob', password: 'bob-pw', plan: 'home-20' });
await addSubscriber(db, box, { username: 'carol', password: 'carol-pw', plan: 'home-20', mac: 'aa:bb:cc:00:00:01' });
await addSubscriber(db, box, { username: 'dave', password: 'dave-pw', plan: 'home-50', simultaneousUse: 2 });
await addSubscriber(db, box, { username: 'User', password: 'clientPass', plan: 'home-20' });

const auth = (input: string) => radclient(d.authPort, 'auth', SECRET, input);
const acct = (input: string) => radclient(d.acctPort, 'acct', SECRET, input);
// The NAS, plans and subscribers above reach the daemon through change_log within a second, in the order they were
// added (one poll may carry the first ones and the next poll the rest): wait for the last one.
await eventually(
  async () => (await auth(`User-Name = "User", User-Password = "clientPass", ${MA}`)).code === 'Access-Accept',
);

let id = 0;
const accessRequest = (attrs: Buffer[], opts: { ma?: boolean } = {}) => {
  const authenticator = randomAuthenticator();
  return buildRequest(Code.AccessRequest, ++id & 0xff, attrs, secret, {
    authenticator,
    messageAuthenticator: opts.ma ?? true,
  });
};
const pap = (user: string, password: string, authenticator: Buffer) => [
  attr(Attr.UserName, Buffer.from(user)),
  attr(Attr.UserPassword, hidePassword(Buffer.from(password), secret, authenticator)),
];

t.test('PAP: Access-Accept with the plan compiled for the NAS vendor', async (t) => {
  const r = await auth(`User-Name = "alice", User-Password = "alice-pw", ${MA}`);
  t.equal(r.code, 'Access-Accept');
  t.match(r.attributes, {
    'Mikrotik-Rate-Limit': '5M/20M',
    'Acct-Interim-Interval': '60',
    'Framed-IP-Address': '100.64.0.10',
    Class: '0x77697370643a706c616e3a31',
  });
  t.notOk('Framed-Pool' in r.attributes, 'a static address, not the pool');
  const b = await auth(`User-Name = "bob", User-Password = "bob-pw", ${MA}`);
  t.equal(b.attributes['Framed-Pool'], 'pool-a', 'without a static address: the plan pool');
});

t.test('CHAP, with the Request Authenticator as challenge and with CHAP-Challenge', async (t) => {
  t.equal((await auth(`User-Name = "bob", CHAP-Password = "bob-pw", ${MA}`)).code, 'Access-Accept');
  t.equal((await auth(`User-Name = "bob", CHAP-Password = "nope", ${MA}`)).code, 'Access-Reject');
  const client = await UdpClient.open();
  t.teardown(() => client.close());
  const challenge = Buffer.alloc(16, 0x42);
  const { chapResponse } = await import('../../daemon/radius/codec/index.ts');
  const req = accessRequest([
    attr(Attr.UserName, Buffer.from('bob')),
    attr(Attr.ChapPassword, chapResponse(9, Buffer.from('bob-pw'), challenge)),
    attr(Attr.ChapChallenge, challenge),
  ]);
  t.equal((await client.request(req, d.authPort))?.[0], Code.AccessAccept);
});

t.test('rejects, each with its reason', async (t) => {
  const cases: Array<[string, string]> = [
    [`User-Name = "alice", User-Password = "wrong", ${MA}`, 'bad-password'],
    [`User-Name = "nobody", User-Password = "x", ${MA}`, 'unknown-user'],
    [
      `User-Name = "carol", User-Password = "carol-pw", Calling-Station-Id = "AA-BB-CC-00-00-02", ${MA}`,
      'mac-mismatch',
    ],
  ];
  for (const [input, reason] of cases) {
    const r = await auth(input);
    t.equal(r.code, 'Access-Reject', reason);
    t.equal(r.attributes['Reply-Message'], undefined, `${reason}: no Reply-Message (nothing to tell apart)`);
    t.ok(
      await eventually(() => d.child.lines.some((l) => l.msg === 'access rejected' && l.reason === reason)),
      `the reason ${reason} is logged`,
    );
  }
  const bound = await auth(
    `User-Name = "carol", User-Password = "carol-pw", Calling-Station-Id = "aa:bb:cc:00:00:01", ${MA}`,
  );
  t.equal(bound.code, 'Access-Accept', 'the bound MAC, in another notation, is accepted');
});

t.test('Status-Server (RFC 5997) is answered for a NAS health check', async (t) => {
  const r = await radclient(d.authPort, 'status', SECRET, MA);
  t.equal(r.code, 'Access-Accept');
});

t.test('a wrong secret or a missing Message-Authenticator gets no answer', async (t) => {
  const wrong = await radclient(
    d.authPort,
    'auth',
    'not-the-secret',
    `User-Name = "alice", User-Password = "alice-pw", ${MA}`,
  );
  t.equal(wrong.code, undefined, 'wrong secret: no answer');
  t.match(wrong.output, /No reply from server/);
  const noMa = await auth('User-Name = "alice", User-Password = "alice-pw"');
  t.equal(noMa.code, undefined, 'no Message-Authenticator from a NAS that must send it: dropped');
  const acctWrong = await radclient(
    d.acctPort,
    'acct',
    'not-the-secret',
    'User-Name = "alice", Acct-Status-Type = Start, Acct-Session-Id = "x"',
  );
  t.equal(acctWrong.code, undefined, 'accounting with a wrong secret: no answer');
  const said = (cause: string) => eventually(() => d.child.lines.find((l) => l.level === 'warn' && l.cause === cause));
  t.match(await said('bad_message_authenticator'), {
    nas: 'lab',
    source: '127.0.0.1',
    msg: /^NAS secret mismatch for 127\.0\.0\.1 \(nas lab\)/,
  });
  t.match(await said('missing_message_authenticator'), {
    msg: /Access-Request without Message-Authenticator from 127\.0\.0\.1 \(nas lab\).*radclient: add "Message-Authenticator = 0x00"/,
  });
  t.match(await said('bad_authenticator'), { msg: /NAS secret mismatch for 127\.0\.0\.1 \(nas lab\)/ });
  const again = await radclient(
    d.authPort,
    'auth',
    'not-the-secret',
    `User-Name = "alice", User-Password = "x", ${MA}`,
  );
  t.equal(again.code, undefined);
  t.equal(
    d.child.lines.filter((l) => l.cause === 'bad_message_authenticator').length,
    1,
    'once a minute per NAS and cause, not per packet',
  );
});

t.test('every reply has a valid Message-Authenticator, first, and a valid Response Authenticator', async (t) => {
  const client = await UdpClient.open();
  t.teardown(() => client.close());
  for (const [user, password, expected] of [
    ['alice', 'alice-pw', Code.AccessAccept],
    ['alice', 'bad', Code.AccessReject],
  ] as const) {
    const authenticator = randomAuthenticator();
    const req = buildRequest(Code.AccessRequest, ++id & 0xff, pap(user, password, authenticator), secret, {
      authenticator,
    });
    const reply = (await client.request(req, d.authPort))!;
    t.equal(reply[0], expected);
    t.equal(reply[20], Attr.MessageAuthenticator, 'the first attribute');
    t.ok(messageAuthenticatorValid(Buffer.from(reply), 20, secret, req.subarray(4, 20)), 'Message-Authenticator valid');
    t.ok(responseAuthenticatorValid(Buffer.from(reply), req.subarray(4, 20), secret), 'Response Authenticator valid');
  }
  const accounting = buildRequest(
    Code.AccountingRequest,
    ++id & 0xff,
    [attr(Attr.UserName, Buffer.from('bob')), attr(Attr.AcctStatusType, Buffer.from([0, 0, 0, 8]))],
    secret,
  );
  const response = (await client.request(accounting, d.acctPort))!;
  t.equal(response[0], Code.AccountingResponse);
  t.equal(response[20], Attr.MessageAuthenticator);
  t.ok(
    messageAuthenticatorValid(Buffer.from(response), 20, secret, 'zero'),
    'Accounting-Response: over a zero header, as FreeRADIUS',
  );
});

t.test('MS-CHAPv2: a packet-level round trip with the RFC 2759 §9.2 peer', async (t) => {
  const client = await UdpClient.open();
  t.teardown(() => client.close());
  const authChallenge = hex('5B5D7C7D7B3F2F3E3C2C602132262628');
  const peerChallenge = hex('21402324255E262A28295F2B3A337C7E');
  const send = async (password: string) => {
    const nt = ntResponse(authChallenge, peerChallenge, 'User', ntHashes(password));
    const response = Buffer.concat([Buffer.from([7, 0]), peerChallenge, Buffer.alloc(8), nt]);
    const authenticator = randomAuthenticator();
    const req = buildRequest(
      Code.AccessRequest,
      ++id & 0xff,
      [attr(Attr.UserName, Buffer.from('User')), vsa(311, 11, authChallenge), vsa(311, 25, response)],
      secret,
      { authenticator },
    );
    return { req, nt, reply: (await client.request(req, d.authPort))! };
  };
  const ok = await send('clientPass');
  t.equal(ok.reply[0], Code.AccessAccept);
  const decoded = decodePacket(dict, Buffer.from(ok.reply), { secret, authenticator: ok.req.subarray(4, 20) });
  const get = (name: string) => decoded.attributes.find((a) => a.name === name)?.value as Buffer;
  t.equal(
    get('MS-CHAP2-Success').toString('latin1'),
    `\x07S=407A5589115FD0D6209F510FE9C04566932CDA56`,
    'the RFC 2759 §9.2 authenticator response',
  );
  const keys = mppeKeys(ntHashes('clientPass'), ok.nt);
  t.same(get('MS-MPPE-Send-Key'), keys.send, 'MS-MPPE-Send-Key decrypts to the RFC 3079 send key');
  t.same(get('MS-MPPE-Recv-Key'), keys.recv);
  t.equal(get('Mikrotik-Rate-Limit').toString(), '5M/20M');
  t.equal(
    authenticatorResponse(ntHashes('clientPass'), ok.nt, peerChallenge, authChallenge, 'User'),
    'S=407A5589115FD0D6209F510FE9C04566932CDA56',
  );
  void saltDecrypt;

  const bad = await send('wrongPass');
  t.equal(bad.reply[0], Code.AccessReject);
  // MS-CHAP-Error is a string attribute: the request's ident, then the RFC 2759 §6 failure text.
  const error = String(
    decodePacket(dict, Buffer.from(bad.reply)).attributes.find((a) => a.name === 'MS-CHAP-Error')?.value,
  );
  t.equal(error.charCodeAt(0), 7, 'the ident of the request');
  t.match(error.slice(1), /^E=691 R=0 C=5B5D7C7D7B3F2F3E3C2C602132262628 V=3/);
});

t.test('accounting Start, Interim-Update (with Gigawords), Stop; the live session table follows', async (t) => {
  const start = await acct(
    'User-Name = "bob", Acct-Status-Type = Start, Acct-Session-Id = "bob-1", Framed-IP-Address = 100.64.7.7, Calling-Station-Id = "11:22:33:44:55:66"',
  );
  t.equal(start.code, 'Accounting-Response');
  const row = await eventually(
    async () => (await db.query("SELECT * FROM radius_session WHERE acct_session_id = 'bob-1'")).rows[0],
  );
  t.match(row, { username: 'bob', calling_station_id: '11:22:33:44:55:66' });
  const interim = await acct(
    'User-Name = "bob", Acct-Status-Type = Interim-Update, Acct-Session-Id = "bob-1", Acct-Input-Octets = 100, Acct-Output-Octets = 7, Acct-Output-Gigawords = 2, Acct-Session-Time = 60',
  );
  t.equal(interim.code, 'Accounting-Response');
  // Counters reach radius_session every 30 s (write-behind); ClickHouse has the record at once (checked at the end).
  const second = await auth(
    `User-Name = "bob", User-Password = "bob-pw", Calling-Station-Id = "99:99:99:99:99:99", ${MA}`,
  );
  t.equal(second.code, 'Access-Reject', 'a second session from another device: simultaneous use');
  const again = await auth(
    `User-Name = "bob", User-Password = "bob-pw", Calling-Station-Id = "11:22:33:44:55:66", ${MA}`,
  );
  t.equal(again.code, 'Access-Accept', 'the same device reconnecting before its Stop arrived is let in');
  const stop = await acct(
    'User-Name = "bob", Acct-Status-Type = Stop, Acct-Session-Id = "bob-1", Acct-Session-Time = 120, Acct-Terminate-Cause = Lost-Carrier',
  );
  t.equal(stop.code, 'Accounting-Response');
  await eventually(
    async () => (await db.query("SELECT 1 FROM radius_session WHERE acct_session_id = 'bob-1'")).rowCount === 0,
  );
  t.equal(
    (await auth(`User-Name = "bob", User-Password = "bob-pw", Calling-Station-Id = "99:99:99:99:99:99", ${MA}`)).code,
    'Access-Accept',
  );
  t.ok(true, 'after the Stop the subscriber logs in from anywhere');
});

t.test('Accounting-On closes every session of the NAS', async (t) => {
  for (const sid of ['dave-1', 'dave-2']) {
    t.equal(
      (await acct(`User-Name = "dave", Acct-Status-Type = Start, Acct-Session-Id = "${sid}"`)).code,
      'Accounting-Response',
    );
  }
  await eventually(async () => (await db.query("SELECT 1 FROM radius_session WHERE username = 'dave'")).rowCount === 2);
  t.equal((await acct('Acct-Status-Type = Accounting-On, NAS-Identifier = "lab"')).code, 'Accounting-Response');
  await eventually(async () => (await db.query('SELECT 1 FROM radius_session')).rowCount === 0);
});

t.test('a retransmission gets the identical reply and is processed once', async (t) => {
  const client = await UdpClient.open();
  t.teardown(() => client.close());
  const req = buildRequest(
    Code.AccountingRequest,
    200,
    [
      attr(Attr.UserName, Buffer.from('dave')),
      attr(Attr.AcctStatusType, Buffer.from([0, 0, 0, 1])),
      attr(Attr.AcctSessionId, Buffer.from('dup-once')),
    ],
    secret,
  );
  const first = await client.request(req, d.acctPort);
  const second = await client.request(req, d.acctPort);
  t.ok(first && second);
  t.same(second, first, 'byte for byte');
  const authReq = (() => {
    const authenticator = randomAuthenticator();
    return buildRequest(Code.AccessRequest, 201, pap('alice', 'alice-pw', authenticator), secret, { authenticator });
  })();
  const a1 = await client.request(authReq, d.authPort);
  const a2 = await client.request(authReq, d.authPort);
  t.same(a2, a1, 'an Access-Request too');
  // How many records the daemon wrote for dup-once is checked in ClickHouse at the end.
});

t.test('malformed datagrams are dropped and counted; the daemon keeps answering', async (t) => {
  const client = await UdpClient.open();
  t.teardown(() => client.close());
  const cases = readVectors('radius/malformed.txt').filter((c) => c.error !== 'none');
  for (const c of cases) {
    client.send(hex(c.packet ?? ''), d.authPort);
    client.send(hex(c.packet ?? ''), d.acctPort);
  }
  // Garbage of every length, and attributes with random lengths.
  for (let n = 0; n < 200; n++) {
    const junk = Buffer.alloc(n % 64);
    for (let i = 0; i < junk.length; i++) junk[i] = (n * 31 + i * 17) & 0xff;
    client.send(junk, d.authPort);
  }
  await new Promise((r) => setTimeout(r, 300));
  t.equal(client.received.length, 0, 'nothing answered');
  t.equal(
    (await auth(`User-Name = "alice", User-Password = "alice-pw", ${MA}`)).code,
    'Access-Accept',
    'still answering',
  );
});

t.test('unknown NAS: no answer; staff edits take effect on the next request', async (t) => {
  await removeNas(db, 'lab');
  await eventually(
    async () => (await auth(`User-Name = "alice", User-Password = "alice-pw", ${MA}`)).code === undefined,
  );
  t.ok(true, 'a removed NAS is an unknown NAS: dropped');
  t.match(
    await eventually(() => d.child.lines.find((l) => l.cause === 'unknown_nas')),
    { level: 'warn', sources: { '127.0.0.1': Number }, msg: /no NAS covers/ },
    'unknown sources are logged, aggregated',
  );
  await addNas(db, box, { name: 'lab', address: '127.0.0.0/24', secret: SECRET, vendor: 'mikrotik' });
  await eventually(
    async () => (await auth(`User-Name = "alice", User-Password = "alice-pw", ${MA}`)).code === 'Access-Accept',
  );
  t.ok(true, 'a subnet NAS covers 127.0.0.1');

  await updateSubscriber(db, box, 'alice', { status: 'suspended' });
  const t0 = Date.now();
  await eventually(
    async () => (await auth(`User-Name = "alice", User-Password = "alice-pw", ${MA}`)).code === 'Access-Reject',
  );
  t.ok(Date.now() - t0 < 2000, `suspension effective in ${Date.now() - t0} ms`);
  t.ok(await eventually(() => d.child.lines.some((l) => l.msg === 'access rejected' && l.reason === 'suspended')));
  const told = await auth(`User-Name = "alice", User-Password = "alice-pw", ${MA}`);
  t.equal(told.attributes['Reply-Message'], 'Your account is suspended. Please contact us.', 'suspended: told why');
  const untold = await auth(`User-Name = "alice", User-Password = "not-hers", ${MA}`);
  t.equal(untold.attributes['Reply-Message'], undefined, 'a wrong password of a suspended account tells nothing');
  await updateSubscriber(db, box, 'alice', { status: 'active', plan: 'home-50' });
  await updatePlan(db, 'home-50', { rateDown: 60_000_000 });
  const r = await eventually(async () => {
    const x = await auth(`User-Name = "alice", User-Password = "alice-pw", ${MA}`);
    return x.attributes['Mikrotik-Rate-Limit'] === '10M/60M' ? x : undefined;
  });
  t.equal(r.code, 'Access-Accept', 'plan change and plan edit: the new rate on the next login');
});

t.test('after a stop: every record and auth outcome is in ClickHouse, retransmissions once', async (t) => {
  t.equal(await d.stop(), 0);
  const ch = await stoppedDaemonClickhouse(t, d.dataDir);
  t.same(
    await ch.query("SELECT count() AS n FROM radius_accounting WHERE acct_session_id = 'dup-once'"),
    [{ n: '1' }],
    'the retransmitted Start is stored once',
  );
  const bob = await ch.query<{ status: string; output_octets: string; terminate_cause: string }>(
    "SELECT status, output_octets, terminate_cause FROM radius_accounting WHERE acct_session_id = 'bob-1' ORDER BY record",
  );
  t.same(
    bob.map((r) => r.status),
    ['start', 'interim', 'stop'],
  );
  t.equal(bob[1]!.output_octets, String(2 * 2 ** 32 + 7), 'Gigawords counted');
  t.equal(bob[2]!.terminate_cause, 'Lost-Carrier');
  const reasons = await ch.query<{ reason: string }>(
    "SELECT DISTINCT reason FROM radius_auth_log WHERE result = 'reject' ORDER BY reason",
  );
  t.same(
    reasons.map((r) => r.reason),
    ['bad-password', 'mac-mismatch', 'simultaneous-use', 'suspended', 'unknown-user'],
    'each reject reason is in the auth log',
  );
  const methods = await ch.query<{ method: string }>(
    "SELECT DISTINCT method FROM radius_auth_log WHERE result = 'accept' ORDER BY method",
  );
  t.same(
    methods.map((m) => m.method),
    ['chap', 'mschapv2', 'pap'],
  );
  const [stop] = await ch.query<{ detail: string }>("SELECT detail FROM daemon_events WHERE event = 'stop'");
  const counters = JSON.parse(stop!.detail).counters.radius;
  t.ok(counters.dropped_malformed_short > 0, 'short datagrams counted');
  t.ok(counters.dropped_malformed_attribute_overrun > 0, 'attribute overruns counted');
  t.ok(counters.dropped_missing_message_authenticator >= 1, 'missing Message-Authenticator counted');
  t.ok(counters.dropped_bad_message_authenticator >= 1, 'bad Message-Authenticator (wrong secret) counted');
  t.ok(counters.dropped_unknown_nas >= 1, 'unknown NAS counted');
  t.ok(counters.duplicates_resent >= 2, 'retransmissions answered from the cache');
  void AttrIndex;
  void encodeAttribute;
});

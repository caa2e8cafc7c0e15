// The request handlers called as functions, without a socket: each returns a Result, and the reply table alone turns
// it into a reply code or silence (an accounting record the spool refuses gets no answer, so the NAS retries).
import t from 'tap';
import { mostSevere, type Restriction, sameEffect, validRestriction } from '../../daemon/model/restriction.ts';
import type { AcctRecord } from '../../daemon/radius/accounting/record.ts';
import type { NasEntry, PlanEntry, SubscriberEntry } from '../../daemon/radius/cache/index.ts';
import { compilePlan } from '../../daemon/radius/cache/reply-attributes.ts';
import {
  AttrIndex,
  buildRequest,
  Code,
  encodeAttributes,
  loadStandardDictionary,
  PacketCrypto,
} from '../../daemon/radius/codec/index.ts';
import type { Verdict } from '../../daemon/radius/policy.ts';
import { type AccessContext, decideAccess } from '../../daemon/radius/process/access.ts';
import { type AccountingContext, handleAccountingRequest } from '../../daemon/radius/process/accounting.ts';
import { replyCode } from '../../daemon/radius/process/replies.ts';
import { handleStatusServer } from '../../daemon/radius/process/status.ts';

const dict = loadStandardDictionary();
const secret = Buffer.from('process-secret');
const nas: NasEntry = {
  id: 1,
  name: 'n1',
  address: '10.0.0.1',
  secret,
  vendor: 'mikrotik',
  coaPort: 3799,
  requireMessageAuthenticator: true,
  tsvName: 'n1',
};
const plan = {
  id: 7,
  name: 'p20',
  rateDown: 20_000_000,
  rateUp: 5_000_000,
  burstDown: null,
  burstUp: null,
  sessionTimeout: null,
  idleTimeout: null,
  interimInterval: 300,
  ipPool: null,
  simultaneousUse: 1,
  fupQuota: null,
  fupPeriod: null,
  fupThrottleDown: null,
  fupThrottleUp: null,
  fupRules: null,
};
const entry: PlanEntry = {
  plan,
  rules: undefined,
  replies: { mikrotik: compilePlan(dict, plan, 'mikrotik') } as PlanEntry['replies'],
  pool: null,
};
const alice: SubscriberEntry = {
  id: 3,
  username: 'alice',
  password: Buffer.from('right'),
  planId: 7,
  status: 'active',
  expiresAt: 0,
  framedIp: null,
  staticIp: null,
  mac: null,
  simultaneousUse: null,
  cycleDay: 1,
  restriction: null,
  nt: undefined,
};
const access: AccessContext = {
  cache: {
    subscriber: (u) => (u === 'alice' ? alice : undefined),
    plan: (id) => (id === 7 ? entry : undefined),
    walledGarden: () => null,
    throttledReply: () => undefined,
    ntHashesOf: () => {
      throw new Error('not MS-CHAP');
    },
  },
  sessions: { countFor: () => 0 },
  policy: { verdict: () => ({ action: 'none' }) },
  crypto: new PacketCrypto(),
  now: Date.now,
};

function accessRequest(username: string, password: string): AttrIndex {
  const authenticator = Buffer.alloc(16, 9);
  const attrs = encodeAttributes(
    dict,
    [
      ['User-Name', username],
      ['User-Password', password],
    ],
    { secret, authenticator },
  );
  return new AttrIndex().scan(buildRequest(Code.AccessRequest, 1, [attrs], secret, { authenticator }));
}

t.test(
  'Access-Request: ok → Access-Accept with the plan profile; an unknown user → notfound → Access-Reject',
  async (t) => {
    const ok = decideAccess(accessRequest('alice', 'right'), nas, access);
    t.match(ok, { result: 'ok', method: 'pap', username: 'alice', plan: 'p20' });
    t.same(ok.attrs, [entry.replies.mikrotik], 'the precompiled reply of the plan for this vendor');
    t.equal(replyCode(Code.AccessRequest, ok.result), Code.AccessAccept);
    const wrong = decideAccess(accessRequest('alice', 'wrong'), nas, access);
    t.match(wrong, { result: 'reject', reason: 'bad-password' });
    const unknown = decideAccess(accessRequest('mallory', 'x'), nas, access);
    t.match(unknown, { result: 'notfound', reason: 'unknown-user' });
    t.equal(replyCode(Code.AccessRequest, unknown.result), Code.AccessReject);
  },
);

t.test(
  'Access-Request: the restriction in force decides, the most severe of the stored reasons and fair usage',
  async (t) => {
    const slow = Buffer.from('slow');
    const asked: unknown[] = [];
    const ctx = (restriction: Restriction | null, verdict: Verdict, walled = true): AccessContext => ({
      ...access,
      cache: {
        ...access.cache,
        subscriber: (u) => (u === 'alice' ? { ...alice, restriction } : undefined),
        plan: (id) => (id === 7 ? { ...entry, rules: {} as PlanEntry['rules'] } : undefined),
        walledGarden: (_vendor, profile) => (walled ? Buffer.from(`garden ${profile ?? 'default'}`) : null),
        throttledReply: (_plan, _vendor, rate) => {
          asked.push(rate);
          return slow;
        },
      },
      policy: { verdict: () => verdict },
    });
    const none: Verdict = { action: 'none' };
    const fupThrottle: Verdict = { action: 'throttle', rate: { rateDown: 1_000_000, rateUp: 512_000 } };
    const decide = (c: AccessContext) => decideAccess(accessRequest('alice', 'right'), nas, c);
    const dunning: Restriction = { reason: 'dunning', effect: 'walled_garden', profile: 'unpaid', note: '' };
    const manual: Restriction = { reason: 'manual', effect: 'reject', note: '' };
    const slowDown: Restriction = {
      reason: 'pending_install',
      effect: 'throttle',
      rateDown: 2_000_000,
      rateUp: 256_000,
      note: '',
    };

    t.same(decide(ctx(null, fupThrottle)).attrs, [slow], 'fair usage alone: its throttle');
    t.same(asked.pop(), {
      reason: 'fup',
      effect: 'throttle',
      note: 'over quota',
      rateDown: 1_000_000,
      rateUp: 512_000,
    });
    t.same(
      decide(ctx(dunning, fupThrottle)).attrs,
      [Buffer.from('garden unpaid')],
      'a walled garden outweighs a throttle',
    );
    t.match(decide(ctx(dunning, fupThrottle)), { result: 'ok', plan: 'walled-garden' });
    t.match(decide(ctx(dunning, fupThrottle, false)), { result: 'reject', reason: 'suspended' }, 'no garden: a reject');
    t.match(decide(ctx(manual, fupThrottle)), { result: 'reject', reason: 'suspended' });
    t.match(decide(ctx(null, { action: 'block' })), { result: 'reject', reason: 'quota-exceeded' });
    t.match(
      decide(ctx(dunning, { action: 'block' })),
      { result: 'reject', reason: 'quota-exceeded' },
      'a block outweighs a garden',
    );
    decide(ctx(slowDown, fupThrottle));
    t.match(asked.pop(), { rateDown: 1_000_000, rateUp: 256_000 }, 'two throttles: the slower rate in each direction');
    t.same(decide(ctx(null, none)).attrs, [entry.replies.mikrotik], 'none: the plan');
  },
);

t.test('the restriction stack: severity, ties, and what a command may set', async (t) => {
  const r = (x: Partial<Restriction> & Pick<Restriction, 'effect'>) =>
    ({ reason: 'manual', note: '', ...x }) as Restriction;
  const fupThrottle = r({ reason: 'fup', effect: 'throttle', rateDown: 1e6, rateUp: 5e5 } as Restriction);
  const wg = (reason: Restriction['reason'], profile: string | null) =>
    r({ reason, effect: 'walled_garden', profile } as Restriction);
  t.equal(mostSevere([]), null);
  t.equal(mostSevere([fupThrottle, wg('dunning', 'unpaid')])?.effect, 'walled_garden');
  t.equal(mostSevere([wg('dunning', 'unpaid'), r({ effect: 'reject' })])?.effect, 'reject');
  t.match(mostSevere([wg('dunning', 'unpaid'), wg('manual', null)]), { reason: 'manual' }, 'manual weighs most');
  t.match(mostSevere([wg('pending_install', 'install'), wg('dunning', 'unpaid')]), { reason: 'dunning' });
  t.ok(
    sameEffect(wg('dunning', 'a'), wg('manual', 'a')),
    'the same garden for another reason: nothing to tell the NAS',
  );
  t.notOk(sameEffect(wg('dunning', 'a'), wg('dunning', 'b')));
  t.notOk(sameEffect(null, fupThrottle));
  t.ok(sameEffect(null, null));
  t.match(validRestriction({ reason: 'dunning', effect: 'throttle', rateDown: 1e6, rateUp: 1e6 }), {
    effect: 'throttle',
  });
  t.throws(() => validRestriction({ reason: 'fup', effect: 'reject' }), /FUP engine/);
  t.throws(() => validRestriction({ reason: 'billing', effect: 'reject' }), /one of dunning, manual, pending_install/);
  t.throws(() => validRestriction({ reason: 'manual', effect: 'throttle' }), /needs a rate/);
  t.throws(() => validRestriction({ reason: 'manual', effect: 'walled_garden', profile: 'a b' }), /address-list name/);
  t.throws(() => validRestriction({ reason: 'manual', effect: 'jail' }), /throttle, walled_garden, reject/);
});

t.test('Status-Server: ok → Access-Accept', async (t) => {
  t.equal(replyCode(Code.StatusServer, handleStatusServer()), Code.AccessAccept);
});

t.test('Accounting-Request: ok once spooled; fail when the spool refuses → no response', async (t) => {
  const attrs = encodeAttributes(dict, [
    ['Acct-Status-Type', 'Start'],
    ['Acct-Session-Id', 's1'],
    ['User-Name', 'alice'],
  ]);
  const ix = new AttrIndex().scan(buildRequest(Code.AccountingRequest, 2, [attrs], secret));
  const applied: AcctRecord[] = [];
  const counted: AcctRecord[] = [];
  const ctx = (record: (r: AcctRecord) => Promise<number>): AccountingContext => ({
    cache: { dictionary: dict, subscriber: access.cache.subscriber },
    sessions: { apply: (r) => void applied.push(r) },
    accounting: { record },
    policy: { account: (r) => void counted.push(r) },
    now: Date.now,
    onSpoolError: () => {},
  });
  const ok = await handleAccountingRequest(
    ix,
    nas,
    '10.0.0.1',
    1646,
    ctx(async () => 1),
  );
  t.equal(ok, 'ok');
  t.equal(replyCode(Code.AccountingRequest, ok), Code.AccountingResponse);
  t.match(applied, [{ status: 'start', acct_session_id: 's1', username: 'alice', subscriber_id: 3, nas: 'n1' }]);
  t.equal(
    applied[0]!.request,
    `@10.0.0.1,1646,02${ix.buf.toString('hex', 4, 20)}`,
    "the request's identity (source, port, identifier, authenticator) goes to the spool with the record",
  );
  t.equal(counted.length, 1, 'policy counts the record');
  const failed = await handleAccountingRequest(
    ix,
    nas,
    '10.0.0.1',
    1646,
    ctx(async () => {
      throw new Error('disk full');
    }),
  );
  t.equal(failed, 'fail');
  t.equal(replyCode(Code.AccountingRequest, failed), null, 'no response: the NAS sends it again');
});

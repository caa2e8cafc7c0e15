/**
 * Access-Request: who is asking, is the password right (PAP, CHAP, MS-CHAPv2), may they be online now, and with
 * which profile. Everything comes from memory; the result goes through the reply table. Synchronous on purpose: no
 * await on the hot path.
 */

import { WispdError } from '../../lib/errors.ts';
import { macDigits } from '../../lib/mac.ts';
import { moreSevere } from '../../model/restriction.ts';
import type { NasEntry, PlanEntry, RadiusCache, SubscriberEntry } from '../cache/index.ts';
import {
  Attr,
  type AttrIndex,
  attr,
  authenticatorResponseFor,
  challengeHash,
  challengeResponse,
  mppeKeys,
  type PacketCrypto,
  safeEqual,
  vsa,
} from '../codec/index.ts';
import { fupRestriction, type RadiusPolicy } from '../policy.ts';
import type { Sessions } from '../sessions/index.ts';
import type { Result } from './replies.ts';

export type Method = 'pap' | 'chap' | 'mschapv2' | 'none';

export type RejectReason =
  | ''
  | 'no-username'
  | 'unknown-user'
  | 'bad-password'
  | 'unsupported-method'
  | 'suspended'
  | 'expired'
  | 'mac-mismatch'
  | 'simultaneous-use'
  | 'quota-exceeded'
  | 'no-plan';

export interface AccessDecision {
  result: Result;
  reason: RejectReason;
  method: Method;
  username: string;
  /** Plan name ('walled-garden' when so) for the auth log. */
  plan: string;
  /** Reply attributes (bytes) after the Message-Authenticator. */
  attrs: Uint8Array[];
}

const MICROSOFT = 311;
const MS_CHAP_CHALLENGE = 11;
const MS_CHAP2_RESPONSE = 25;
const MS_CHAP2_SUCCESS = 26;
const MS_CHAP_ERROR = 2;
const MS_MPPE_SEND_KEY = 16;
const MS_MPPE_RECV_KEY = 17;
const MS_MPPE_ENCRYPTION_POLICY = 7;
const MS_MPPE_ENCRYPTION_TYPES = 8;
// RFC 2548 §2.4.4, §2.4.5: encryption allowed (not required); RC4 40 or 128 bits.
const MPPE_POLICY_AND_TYPES = [
  vsa(MICROSOFT, MS_MPPE_ENCRYPTION_POLICY, Buffer.from([0, 0, 0, 1])),
  vsa(MICROSOFT, MS_MPPE_ENCRYPTION_TYPES, Buffer.from([0, 0, 0, 6])),
];

export interface AccessContext {
  cache: Pick<RadiusCache, 'subscriber' | 'plan' | 'walledGarden' | 'throttledReply' | 'ntHashesOf'>;
  sessions: Pick<Sessions, 'countFor'>;
  /** Fair usage: the `fup` reason of a subscriber over quota (throttle to a rate, or block). */
  policy: Pick<RadiusPolicy, 'verdict'>;
  /** The handler's own (its scratch buffers are reused per request). */
  crypto: PacketCrypto;
  now: () => number;
  /** Reply-Message attributes per reject reason, encoded at load (radius.reject_messages). */
  rejectMessages?: Partial<Record<RejectReason, readonly Uint8Array[]>>;
}

/** radius.reject_messages as encoded attributes (RFC 2865 §5.18 Reply-Message), once. */
export function compileRejectMessages(
  texts: Readonly<Record<'suspended' | 'expired' | 'quota_exceeded' | 'simultaneous_use' | 'mac_mismatch', string>>,
): Partial<Record<RejectReason, readonly Uint8Array[]>> {
  const by: Record<string, RejectReason> = {
    suspended: 'suspended',
    expired: 'expired',
    quota_exceeded: 'quota-exceeded',
    simultaneous_use: 'simultaneous-use',
    mac_mismatch: 'mac-mismatch',
  };
  const out: Partial<Record<RejectReason, readonly Uint8Array[]>> = {};
  for (const [key, text] of Object.entries(texts)) {
    if (!text) continue;
    const bytes = Buffer.from(text, 'utf8');
    if (bytes.length > 253) {
      throw new WispdError('WISPD_CONFIG_INVALID_VALUE', `radius.reject_messages.${key}: more than 253 bytes`, {
        key: `radius.reject_messages.${key}`,
      });
    }
    out[by[key]!] = [attr(Attr.ReplyMessage, bytes)];
  }
  return out;
}

const NONE: Uint8Array[] = [];

function reject(
  reason: RejectReason,
  method: Method,
  username: string,
  attrs = NONE,
  result: Result = 'reject',
): AccessDecision {
  return { result, reason, method, username, plan: '', attrs };
}

/** RFC 2759 §6 failure packet, carried in MS-CHAP-Error (RFC 2548 §2.1.5): E=691 is "authentication failure". */
function msChapError(ident: number, authChallenge: Uint8Array): Buffer {
  const text = `E=691 R=0 C=${Buffer.from(authChallenge).toString('hex').toUpperCase()} V=3 M=Authentication failed`;
  return vsa(MICROSOFT, MS_CHAP_ERROR, Buffer.concat([Buffer.from([ident]), Buffer.from(text, 'ascii')]));
}

/** RFC 2865 §4.1: an Access-Request, decided from memory; `ix` indexes the request. */
export function decideAccess(ix: AttrIndex, nas: NasEntry, ctx: AccessContext): AccessDecision {
  const d = decide(ix, nas, ctx);
  if (d.result !== 'reject' || d.attrs !== NONE) return d;
  const message = ctx.rejectMessages?.[d.reason];
  return message ? { ...d, attrs: message as Uint8Array[] } : d;
}

function decide(ix: AttrIndex, nas: NasEntry, ctx: AccessContext): AccessDecision {
  const buf = ix.buf;
  const username = ix.string(Attr.UserName);
  if (username === undefined || username === '') return reject('no-username', 'none', '', NONE, 'notfound');
  const sub = ctx.cache.subscriber(username);
  const authenticator = buf.subarray(4, 20);

  // Which method, and is the password right.
  let method: Method = 'none';
  let extra: Uint8Array[] = NONE;
  const pw = ix.value(Attr.UserPassword);
  const chap = pw ? undefined : ix.value(Attr.ChapPassword);
  const ms2 = pw || chap ? undefined : ix.vendor(MICROSOFT, MS_CHAP2_RESPONSE);
  if (pw) {
    method = 'pap';
    if (!sub) return reject('unknown-user', method, username, NONE, 'notfound');
    const clear = ctx.crypto.unhidePassword(pw, nas.secret, authenticator);
    if (!clear || !safeEqual(clear, sub.password)) return reject('bad-password', method, username);
  } else if (chap) {
    method = 'chap';
    if (!sub) return reject('unknown-user', method, username, NONE, 'notfound');
    const challenge = ix.value(Attr.ChapChallenge) ?? authenticator;
    if (!ctx.crypto.chapValid(chap, sub.password, challenge)) return reject('bad-password', method, username);
  } else if (ms2) {
    method = 'mschapv2';
    const challengeAt = ix.vendor(MICROSOFT, MS_CHAP_CHALLENGE);
    // RFC 2548 §2.3.2: Ident(1) Flags(1) Peer-Challenge(16) Reserved(8) Response(24).
    if (challengeAt?.length !== 16 || ms2.length !== 50) return reject('bad-password', method, username);
    const authChallenge = buf.subarray(challengeAt.offset, challengeAt.offset + 16);
    const resp = buf.subarray(ms2.offset, ms2.offset + 50);
    const ident = resp[0]!;
    if (!sub) return reject('unknown-user', method, username, [msChapError(ident, authChallenge)], 'notfound');
    const peerChallenge = resp.subarray(2, 18);
    const nt = resp.subarray(26, 50);
    const hashes = ctx.cache.ntHashesOf(sub);
    const challenge = challengeHash(peerChallenge, authChallenge, username);
    if (!safeEqual(challengeResponse(challenge, hashes), nt)) {
      return reject('bad-password', method, username, [msChapError(ident, authChallenge)]);
    }
    const success = authenticatorResponseFor(hashes, nt, challenge);
    const keys = mppeKeys(hashes, nt);
    extra = [
      vsa(MICROSOFT, MS_CHAP2_SUCCESS, Buffer.concat([Buffer.from([ident]), Buffer.from(success, 'ascii')])),
      // RFC 2548 §2.4.2-3: salt-encrypted with the secret and this request's authenticator.
      vsa(MICROSOFT, MS_MPPE_RECV_KEY, ctx.crypto.saltEncrypt(keys.recv, nas.secret, authenticator)),
      vsa(MICROSOFT, MS_MPPE_SEND_KEY, ctx.crypto.saltEncrypt(keys.send, nas.secret, authenticator)),
      ...MPPE_POLICY_AND_TYPES,
    ];
  } else {
    return reject('unsupported-method', method, username);
  }
  const s = sub as SubscriberEntry;

  // May they be online now, and how: the most severe of its restrictions (model/restriction.ts), fair usage included.
  if (s.status === 'expired' || (s.expiresAt !== 0 && ctx.now() > s.expiresAt)) {
    const garden = ctx.cache.walledGarden(nas.vendor);
    if (!garden) return reject('expired', method, username);
    const attrs = s.framedIp ? [garden, s.framedIp, ...extra] : [garden, ...extra];
    return { result: 'ok', reason: '', method, username, plan: 'walled-garden', attrs };
  }
  const entry = ctx.cache.plan(s.planId) as PlanEntry | undefined;
  const fup = entry?.rules ? fupRestriction(ctx.policy.verdict(s, entry.rules)) : null;
  const restriction = fup ? moreSevere(s.restriction, fup) : s.restriction;
  if (restriction && restriction.effect !== 'throttle') {
    const garden =
      restriction.effect === 'walled_garden' ? ctx.cache.walledGarden(nas.vendor, restriction.profile) : null;
    if (!garden) return reject(restriction.reason === 'fup' ? 'quota-exceeded' : 'suspended', method, username);
    const attrs = s.framedIp ? [garden, s.framedIp, ...extra] : [garden, ...extra];
    return { result: 'ok', reason: '', method, username, plan: 'walled-garden', attrs };
  }
  const callingStationId = ix.string(Attr.CallingStationId) ?? '';
  if (s.mac && macDigits(callingStationId) !== s.mac) return reject('mac-mismatch', method, username);
  if (!entry) return reject('no-plan', method, username, NONE, 'fail');
  const limit = s.simultaneousUse ?? entry.plan.simultaneousUse;
  if (ctx.sessions.countFor(username, callingStationId) >= limit) return reject('simultaneous-use', method, username);

  const address = s.framedIp ?? entry.pool;
  const reply =
    (restriction && ctx.cache.throttledReply(s.planId, nas.vendor, restriction)) || entry.replies[nas.vendor];
  const attrs = address ? [reply, address, ...extra] : [reply, ...extra];
  return { result: 'ok', reason: '', method, username, plan: entry.plan.name, attrs };
}

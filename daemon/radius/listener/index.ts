/**
 * The RADIUS sockets. Per datagram: known NAS (else dropped and counted) → well-formed (else dropped and counted) →
 * retransmission? (resend the cached reply) → authenticators and Message-Authenticator → the handler → the reply
 * table → reply with the Message-Authenticator first. Every drop has a counter; nothing is logged per packet.
 */
import { createSocket, type RemoteInfo, type Socket, type SocketOptions } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { RadiusConfig } from '../../../config/schema.ts';
import type { Component } from '../../component.ts';
import type { Logger } from '../../log.ts';
import type { Fup } from '../../policy/fup/index.ts';
import { sampledLog } from '../../sampled-log.ts';
import { Batcher } from '../../store/clickhouse/batcher.ts';
import type { ClickhouseStore } from '../../store/clickhouse/index.ts';
import { tsvMillis, tsvString } from '../../store/clickhouse/tsv.ts';
import type { Accounting } from '../accounting/index.ts';
import { recordOf } from '../accounting/record.ts';
import type { NasEntry, RadiusCache } from '../cache/index.ts';
import {
  Attr,
  AttrIndex,
  buildReply,
  Code,
  HEADER_LENGTH,
  type Malformed,
  malformed,
  messageAuthenticatorValid,
  packetLength,
  requestAuthenticatorValid,
} from '../codec/index.ts';
import { type AccessDecision, decideAccess, type RejectReason } from '../process/access.ts';
import { replyCode } from '../process/replies.ts';
import type { Sessions } from '../sessions/index.ts';
import { DuplicateCache } from './duplicates.ts';

type LookupCallback = (err: Error | null, address: string, family: number) => void;

/**
 * Replies go to the address a request came from, always an IP literal of the socket's family: answered
 * synchronously, without the DNS lookup (and its deferred callback) that dgram otherwise goes through on every send.
 */
const literalAddress =
  (family: 4 | 6) =>
  (address: string, _options: unknown, callback: LookupCallback): void => {
    callback(null, address, family);
  };

export interface RadiusListener extends Component {
  /** The bound ports (useful when the config asks for port 0). */
  readonly authPort: number;
  readonly acctPort: number;
}

export interface RadiusListenerDeps {
  log: Logger;
  cache: RadiusCache;
  sessions: Sessions;
  accounting: Accounting;
  fup: Fup;
  clickhouse: ClickhouseStore;
  instance: () => string;
}

type DropReason =
  | 'unknown_nas'
  | `malformed_${Malformed}`
  | 'bad_code'
  | 'missing_message_authenticator'
  | 'bad_message_authenticator'
  | 'bad_authenticator'
  | 'duplicate_in_progress';

/** The columns of ClickHouse `radius_auth_log`, in the order its rows are written. */
export const AUTH_LOG_COLUMNS = [
  'ts',
  'instance',
  'nas',
  'nas_ip',
  'username',
  'result',
  'reason',
  'method',
  'plan',
  'calling_station_id',
  'nas_port_id',
] as const;

export function createRadiusListener(config: RadiusConfig, deps: RadiusListenerDeps): RadiusListener {
  const log = deps.log.child({ component: 'radius' });
  const warn = sampledLog(log);
  const rejectLogs = new Map<string, ReturnType<typeof sampledLog>>();
  const dict = deps.cache.dictionary;
  const ix = new AttrIndex();
  const dups = new DuplicateCache(config.duplicate_window);
  const authLog = new Batcher(
    deps.clickhouse,
    'radius_auth_log',
    AUTH_LOG_COLUMNS,
    { maxRows: 10_000, intervalMs: 1000, maxBuffered: 200_000 },
    log,
  );
  const ctx = { cache: deps.cache, sessions: deps.sessions, fup: (id: number) => deps.fup.verdict(id), now: Date.now };
  const counters: Record<string, number> = {
    access_requests: 0,
    accounting_requests: 0,
    status_server: 0,
    accepts: 0,
    rejects: 0,
    accounting_responses: 0,
    duplicates_resent: 0,
    no_response: 0,
    send_errors: 0,
    internal_errors: 0,
  };
  const rejectsByReason: Record<string, number> = {};
  let auth: Socket | undefined;
  let acct: Socket | undefined;
  let authPort = config.auth_port;
  let acctPort = config.acct_port;

  const drop = (reason: DropReason) => {
    const key = `dropped_${reason.replaceAll('-', '_')}`;
    counters[key] = (counters[key] ?? 0) + 1;
  };

  /** Proxy-State attributes, copied into the reply unchanged and in order (RFC 2865 §5.33). */
  function proxyStates(msg: Buffer): Buffer[] | undefined {
    if (!ix.has(Attr.ProxyState)) return undefined;
    const out: Buffer[] = [];
    const length = packetLength(msg);
    for (let off = HEADER_LENGTH; off < length; off += msg[off + 1]!) {
      if (msg[off] === Attr.ProxyState) out.push(Buffer.from(msg.subarray(off, off + msg[off + 1]!)));
    }
    return out;
  }

  // No callback per send (it costs a closure per packet); a failed send surfaces as the socket's 'error' event.
  function send(socket: Socket, reply: Buffer, rinfo: RemoteInfo) {
    socket.send(reply, rinfo.port, rinfo.address);
  }

  /** Checks shared by both ports; the NAS when the packet may be processed. */
  function admit(msg: Buffer, rinfo: RemoteInfo): NasEntry | undefined {
    const nas = deps.cache.nas.lookup(rinfo.address);
    if (!nas) return void drop('unknown_nas');
    const bad = malformed(msg);
    if (bad) return void drop(`malformed_${bad}`);
    return nas;
  }

  function logReject(d: AccessDecision, nas: NasEntry) {
    let sample = rejectLogs.get(d.reason);
    if (!sample) {
      sample = sampledLog(log);
      rejectLogs.set(d.reason, sample);
    }
    sample('info', { reason: d.reason, username: d.username, nas: nas.name, method: d.method }, 'access rejected');
  }

  function onAuth(msg: Buffer, rinfo: RemoteInfo) {
    const nas = admit(msg, rinfo);
    if (!nas) return;
    const code = msg[0]!;
    if (code !== Code.AccessRequest && code !== Code.StatusServer) return drop('bad_code');
    const key = DuplicateCache.key(nas.id, rinfo.port, msg);
    const seen = dups.check(key, msg);
    if (seen.kind === 'replied') {
      counters.duplicates_resent!++;
      return send(auth!, seen.reply, rinfo);
    }
    if (seen.kind === 'in-progress') return drop('duplicate_in_progress');
    ix.scan(msg);
    const maAt = ix.at(Attr.MessageAuthenticator);
    if (maAt < 0) {
      // RFC 5997 §3: Status-Server always carries one.
      if (nas.requireMessageAuthenticator || code === Code.StatusServer) return drop('missing_message_authenticator');
    } else if (!messageAuthenticatorValid(msg, maAt, nas.secret)) {
      return drop('bad_message_authenticator');
    }
    let decision: AccessDecision;
    if (code === Code.StatusServer) {
      counters.status_server!++;
      decision = { result: 'ok', reason: '', method: 'none', username: '', plan: '', attrs: [] };
    } else {
      counters.access_requests!++;
      decision = decideAccess(ix, nas, ctx);
    }
    const replyWith = replyCode(code, decision.result);
    if (replyWith === null) {
      counters.no_response!++;
      return dups.finish(key, msg, null);
    }
    const reply = buildReply(replyWith, msg, decision.attrs, nas.secret, { proxyState: proxyStates(msg) });
    dups.finish(key, msg, reply);
    send(auth!, reply, rinfo);
    if (code === Code.StatusServer) return;
    if (replyWith === Code.AccessAccept) counters.accepts!++;
    else {
      counters.rejects!++;
      rejectsByReason[decision.reason] = (rejectsByReason[decision.reason] ?? 0) + 1;
      logReject(decision, nas);
    }
    if (config.auth_log) {
      authLog.push(
        `${tsvMillis(Date.now())}\t${deps.instance()}\t${nas.tsvName}\t${ix.ipaddr(Attr.NasIpAddress) ?? rinfo.address}\t${tsvString(decision.username)}\t${replyWith === Code.AccessAccept ? 'accept' : 'reject'}\t${decision.reason}\t${decision.method}\t${tsvString(decision.plan)}\t${tsvString(ix.string(Attr.CallingStationId) ?? '')}\t${tsvString(ix.string(Attr.NasPortId) ?? '')}\n`,
      );
    }
  }

  function onAcct(msg: Buffer, rinfo: RemoteInfo) {
    const nas = admit(msg, rinfo);
    if (!nas) return;
    const code = msg[0]!;
    if (code !== Code.AccountingRequest) return drop('bad_code');
    const key = DuplicateCache.key(nas.id, rinfo.port, msg);
    const seen = dups.check(key, msg);
    if (seen.kind === 'replied') {
      counters.duplicates_resent!++;
      return send(acct!, seen.reply, rinfo);
    }
    if (seen.kind === 'in-progress') return drop('duplicate_in_progress');
    // RFC 2866 §3: the Request Authenticator proves the secret; a wrong one is silently dropped.
    if (!requestAuthenticatorValid(msg, nas.secret)) return drop('bad_authenticator');
    ix.scan(msg);
    const maAt = ix.at(Attr.MessageAuthenticator);
    if (maAt >= 0 && !messageAuthenticatorValid(msg, maAt, nas.secret, 'zero'))
      return drop('bad_message_authenticator');
    counters.accounting_requests!++;
    const rec = recordOf(ix, nas, rinfo.address, Date.now(), dict, (u) => deps.cache.subscriber(u)?.id ?? 0);
    const proxy = proxyStates(msg);
    dups.begin(key, msg);
    deps.sessions.apply(rec);
    // FUP acts on the update at once, not after the fsync: the counters are totals, a retry adds nothing.
    deps.fup.account(rec);
    deps.accounting.record(rec).then(
      () => {
        const reply = buildReply(Code.AccountingResponse, msg, [], nas.secret, {
          proxyState: proxy,
          zeroHeaderForMa: true,
        });
        dups.finish(key, msg, reply);
        counters.accounting_responses!++;
        send(acct!, reply, rinfo);
      },
      (err) => {
        // Not on disk: no answer, so the NAS sends it again (the reply table's "fail" for accounting).
        counters.no_response!++;
        dups.finish(key, msg, null);
        warn('error', { err: (err as Error).message }, 'accounting record not spooled; the NAS will retry');
      },
    );
  }

  const guarded = (fn: (msg: Buffer, rinfo: RemoteInfo) => void) => (msg: Buffer, rinfo: RemoteInfo) => {
    try {
      fn(msg, rinfo);
    } catch (err) {
      counters.internal_errors!++;
      warn(
        'error',
        { err: (err as Error).message, stack: (err as Error).stack },
        'a RADIUS packet could not be processed',
      );
    }
  };

  function bind(port: number, handler: (msg: Buffer, rinfo: RemoteInfo) => void): Promise<Socket> {
    const family = isIPv6(config.address) ? 6 : 4;
    const socket = createSocket({
      type: family === 6 ? 'udp6' : 'udp4',
      lookup: literalAddress(family) as unknown as NonNullable<SocketOptions['lookup']>,
    });
    socket.on('message', guarded(handler));
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, config.address, () => {
        socket.off('error', reject);
        socket.on('error', (err) => {
          counters.send_errors!++;
          warn('error', { err: err.message, port }, 'RADIUS socket error');
        });
        try {
          // Room for bursts (a NAS reboot sends every session's Start at once); the kernel may cap it.
          socket.setRecvBufferSize(8 << 20);
        } catch {
          // capped by net.core.rmem_max: the default stays
        }
        resolve(socket);
      });
    });
  }

  const close = (s: Socket | undefined) => new Promise<void>((resolve) => (s ? s.close(() => resolve()) : resolve()));

  return {
    name: 'radius',
    get authPort() {
      return authPort;
    },
    get acctPort() {
      return acctPort;
    },
    async start() {
      try {
        auth = await bind(config.auth_port, onAuth);
        acct = await bind(config.acct_port, onAcct);
      } catch (err) {
        await close(auth);
        auth = undefined;
        throw err;
      }
      authPort = auth.address().port;
      acctPort = acct.address().port;
      authLog.start();
      log.info({ address: config.address, auth: authPort, acct: acctPort }, 'RADIUS listening');
    },
    async stop() {
      await close(auth);
      await close(acct);
      auth = acct = undefined;
      dups.close();
      await authLog.stop();
    },
    counters: () => {
      const out: Record<string, number> = { ...counters, duplicate_cache: dups.size };
      for (const [reason, n] of Object.entries(rejectsByReason)) out[`rejects_${reason as RejectReason}`] = n;
      for (const [k, v] of Object.entries(authLog.counters)) out[`auth_log_${k}`] = v;
      return out;
    },
    describe: () => `RADIUS on ${config.address} auth ${authPort}, acct ${acctPort}`,
  };
}

/**
 * The RADIUS sockets, transport only. Per datagram: known NAS (else dropped and counted) → well-formed (else dropped
 * and counted) → a code this port takes → retransmission? (resend the cached reply) → authenticators and
 * Message-Authenticator → the request handler (process/) → the reply it chose, with the Message-Authenticator first,
 * or silence. Every drop has a counter; nothing is logged per packet.
 */
import { createSocket, type RemoteInfo, type Socket, type SocketOptions } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { RadiusConfig } from '../../../config/schema.ts';
import type { Component } from '../../lib/component.ts';
import { WispdError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/log.ts';
import { sampledLog } from '../../lib/sampled-log.ts';
import type { NasEntry, NasTable } from '../cache/index.ts';
import { AttrIndex, Code, type Malformed, malformed, PacketCrypto } from '../codec/index.ts';
import { DropLog } from './drop-log.ts';
import { DuplicateCache } from './duplicates.ts';
import { proxyStates, type Unverified, unverified } from './verify.ts';

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

/** What a request handler answers: the reply's code (null: no reply at all) and its attributes. */
export interface Reply {
  readonly code: number | null;
  readonly attrs: readonly Uint8Array[];
}

/** A request answered before a restart (its header: code, identifier, Request Authenticator) and when. */
export interface AnsweredRequest {
  source: string;
  port: number;
  header: Buffer;
  /** Epoch ms. */
  at: number;
}

/** Where admitted, verified requests go (process/); `ix` indexes the request until the handler first awaits. */
export interface RequestHandler {
  handle(code: number, ix: AttrIndex, nas: NasEntry, source: string, port: number): Reply | Promise<Reply>;
  /**
   * Requests answered within the retransmission window before this start, so that a NAS retrying one after a crash
   * gets its answer again instead of having it processed twice (called once, at start).
   */
  answeredBeforeStart?(): Iterable<AnsweredRequest>;
  start(): void;
  stop(): Promise<void>;
  counters(): Readonly<Record<string, number>>;
}

export interface RadiusListener extends Component {
  /** The bound ports (useful when the config asks for port 0). */
  readonly authPort: number;
  readonly acctPort: number;
}

export interface RadiusListenerDeps {
  log: Logger;
  nas: NasTable;
  handler: RequestHandler;
}

type DropReason = 'unknown_nas' | `malformed_${Malformed}` | 'bad_code' | Unverified | 'duplicate_in_progress';

/** The request codes each port takes (RFC 2865 §3, RFC 2866 §3, RFC 5997 §3). */
const AUTH_CODES: ReadonlySet<number> = new Set([Code.AccessRequest, Code.StatusServer]);
const ACCT_CODES: ReadonlySet<number> = new Set([Code.AccountingRequest]);

export function createRadiusListener(config: RadiusConfig, deps: RadiusListenerDeps): RadiusListener {
  const log = deps.log.child({ component: 'radius' });
  const warn = sampledLog(log);
  const handler = deps.handler;
  const ix = new AttrIndex();
  const crypto = new PacketCrypto();
  const dups = new DuplicateCache(config.duplicate_window);
  const dropLog = new DropLog(log);
  const counters: Record<string, number> = {
    duplicates_resent: 0,
    send_errors: 0,
    internal_errors: 0,
  };
  let auth: Socket | undefined;
  let acct: Socket | undefined;
  let authPort = config.auth_port;
  let acctPort = config.acct_port;

  const drop = (reason: DropReason) => {
    const key = `dropped_${reason.replaceAll('-', '_')}`;
    counters[key] = (counters[key] ?? 0) + 1;
  };

  /** The NAS when the packet may be processed: one we know, well-formed. */
  function admit(msg: Buffer, rinfo: RemoteInfo): NasEntry | undefined {
    const nas = deps.nas.lookup(rinfo.address);
    if (!nas) {
      dropLog.unknownSource(rinfo.address);
      return void drop('unknown_nas');
    }
    const bad = malformed(msg);
    if (bad) return void drop(`malformed_${bad}`);
    return nas;
  }

  /** Indexes the request and checks what proves the secret; a failed check is a counted drop. */
  function verified(code: number, msg: Buffer, nas: NasEntry, source: string): boolean {
    const bad = unverified(code, msg, nas, ix, crypto);
    if (bad === undefined) return true;
    drop(bad);
    dropLog.unverified(bad, code, nas, source);
    return false;
  }

  /** Sends the reply, or nothing; remembers it for retransmissions. */
  function respond(
    socket: Socket,
    code: number,
    msg: Buffer,
    rinfo: RemoteInfo,
    nas: NasEntry,
    key: number,
    reply: Reply,
    proxyState: Buffer[] | undefined,
  ) {
    if (reply.code === null) return dups.finish(key, msg, null);
    const bytes = crypto.buildReply(reply.code, msg, reply.attrs, nas.secret, {
      proxyState,
      zeroHeaderForMa: code === Code.AccountingRequest,
    });
    dups.finish(key, msg, bytes);
    // No callback per send (it costs a closure per packet); a failed send surfaces as the socket's 'error' event.
    socket.send(bytes, rinfo.port, rinfo.address);
  }

  function onPacket(socket: Socket, codes: ReadonlySet<number>, msg: Buffer, rinfo: RemoteInfo) {
    const nas = admit(msg, rinfo);
    if (!nas) return;
    const code = msg[0]!;
    if (!codes.has(code)) return drop('bad_code');
    const key = DuplicateCache.key(nas.id, rinfo.port, msg);
    const seen = dups.check(key, msg);
    if (seen.kind === 'replied') {
      counters.duplicates_resent!++;
      socket.send(seen.reply, rinfo.port, rinfo.address);
      return;
    }
    if (seen.kind === 'in-progress') return drop('duplicate_in_progress');
    if (!verified(code, msg, nas, rinfo.address)) return;
    const proxyState = proxyStates(msg, ix);
    const reply = handler.handle(code, ix, nas, rinfo.address, rinfo.port);
    if (!(reply instanceof Promise)) return respond(socket, code, msg, rinfo, nas, key, reply, proxyState);
    // Copies of the request that arrive meanwhile are dropped: the NAS retries if this one is never answered.
    dups.begin(key, msg);
    reply
      .then((r) => respond(socket, code, msg, rinfo, nas, key, r, proxyState))
      .catch((err) => {
        dups.finish(key, msg, null);
        internalError(err);
      });
  }

  function internalError(err: unknown): void {
    counters.internal_errors!++;
    warn(
      'error',
      { err: (err as Error).message, stack: (err as Error).stack },
      'a RADIUS packet could not be processed',
    );
  }

  function bind(port: number, codes: ReadonlySet<number>): Promise<Socket> {
    const family = isIPv6(config.address) ? 6 : 4;
    const socket = createSocket({
      type: family === 6 ? 'udp6' : 'udp4',
      lookup: literalAddress(family) as unknown as NonNullable<SocketOptions['lookup']>,
    });
    socket.on('message', (msg: Buffer, rinfo: RemoteInfo) => {
      try {
        onPacket(socket, codes, msg, rinfo);
      } catch (err) {
        internalError(err);
      }
    });
    return new Promise((resolve, reject) => {
      const failed = (err: Error) => {
        const key = port === config.auth_port ? 'radius.auth_port' : 'radius.acct_port';
        reject(
          new WispdError(
            'WISPD_RADIUS_LISTEN',
            `cannot listen on ${config.address}:${port} (radius.address, ${key}): ${err.message}`,
            { address: config.address, port },
            { cause: err },
          ),
        );
      };
      socket.once('error', failed);
      socket.bind(port, config.address, () => {
        socket.off('error', failed);
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

  /** Remembers the answers given before a restart; Accounting-Response has no attributes to rebuild. */
  function rememberAnswered(): void {
    let n = 0;
    const clock = performance.now() - Date.now();
    for (const r of handler.answeredBeforeStart?.() ?? []) {
      const nas = deps.nas.lookup(r.source);
      if (!nas || r.header[0] !== Code.AccountingRequest) continue;
      const bytes = crypto.buildReply(Code.AccountingResponse, r.header, [], nas.secret, { zeroHeaderForMa: true });
      dups.finish(DuplicateCache.key(nas.id, r.port, r.header), r.header, bytes, r.at + clock);
      n++;
    }
    if (n) log.info({ requests: n }, 'answers given before the restart remembered for retransmissions');
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
      rememberAnswered();
      try {
        auth = await bind(config.auth_port, AUTH_CODES);
        acct = await bind(config.acct_port, ACCT_CODES);
      } catch (err) {
        await close(auth);
        auth = undefined;
        throw err;
      }
      authPort = auth.address().port;
      acctPort = acct.address().port;
      handler.start();
      log.info({ address: config.address, auth: authPort, acct: acctPort }, 'RADIUS listening');
    },
    async stop() {
      await close(auth);
      await close(acct);
      auth = acct = undefined;
      dups.close();
      await handler.stop();
    },
    counters: () => ({ ...handler.counters(), ...counters, duplicate_cache: dups.size }),
    describe: () => `RADIUS on ${config.address} auth ${authPort}, acct ${acctPort}`,
  };
}

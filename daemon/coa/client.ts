/**
 * The dynamic-authorization client (RFC 5176): CoA-Request and Disconnect-Request from one UDP socket, an identifier
 * space per NAS, the same packet retransmitted with growing waits until an answer or the deadline (RFC 5176 §3.5:
 * retransmissions keep the identifier and authenticator), and answers accepted only with a valid Response
 * Authenticator and, when present, Message-Authenticator.
 */
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { WispdError } from '../lib/errors.ts';
import { Attr, AttrIndex, Code, malformed, PacketCrypto } from '../radius/codec/index.ts';

export type CoaKind = 'coa' | 'disconnect';

export interface CoaTarget {
  /** Identifies the NAS for identifier allocation. */
  nasId: number;
  address: string;
  port: number;
  secret: Buffer;
}

export interface CoaOutcome {
  result: 'ack' | 'nak' | 'timeout';
  /** Error-Cause of a NAK (RFC 5176 §3.6). */
  errorCause?: number;
  attempts: number;
  latencyMs: number;
}

export interface CoaClientOptions {
  address: string;
  timeoutMs: number;
  retries: number;
  deadlineMs: number;
}

interface Pending {
  request: Buffer;
  kind: CoaKind;
  secret: Buffer;
  resolve: (reply: Buffer) => void;
}

const ACK: Record<CoaKind, number> = { coa: Code.CoaAck, disconnect: Code.DisconnectAck };
const NAK: Record<CoaKind, number> = { coa: Code.CoaNak, disconnect: Code.DisconnectNak };

export class CoaClient {
  readonly #crypto = new PacketCrypto();
  readonly counters = {
    sent: 0,
    retransmitted: 0,
    acks: 0,
    naks: 0,
    timeouts: 0,
    bad_replies: 0,
    unexpected_replies: 0,
  };
  readonly #opts: CoaClientOptions;
  #socket: Socket | undefined;
  /** Per NAS: the next identifier to try and the requests in flight by identifier. */
  readonly #nas = new Map<number, { next: number; inflight: Map<number, Pending>; waiting: Array<() => void> }>();
  readonly #byAddress = new Map<string, number>();
  readonly #ix = new AttrIndex();

  constructor(opts: CoaClientOptions) {
    this.#opts = opts;
  }

  async start(): Promise<void> {
    const socket = createSocket(isIPv6(this.#opts.address) ? 'udp6' : 'udp4');
    socket.on('message', (msg, rinfo) => this.#onReply(msg, rinfo.address));
    await new Promise<void>((resolve, reject) => {
      const failed = (err: Error) =>
        reject(
          new WispdError(
            'WISPD_COA_LISTEN',
            `cannot bind the CoA socket to ${this.#opts.address} (coa.address): ${err.message}`,
            { address: this.#opts.address },
            { cause: err },
          ),
        );
      socket.once('error', failed);
      socket.bind(0, this.#opts.address, () => {
        socket.off('error', failed);
        resolve();
      });
    });
    socket.on('error', () => {
      this.counters.bad_replies++;
    });
    this.#socket = socket;
  }

  async stop(): Promise<void> {
    const s = this.#socket;
    this.#socket = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  #onReply(msg: Buffer, address: string): void {
    const nasId = this.#byAddress.get(address);
    const slot = nasId === undefined ? undefined : this.#nas.get(nasId);
    const pending = slot?.inflight.get(msg[1]!);
    if (!pending) {
      this.counters.unexpected_replies++;
      return;
    }
    if (malformed(msg) || (msg[0] !== ACK[pending.kind] && msg[0] !== NAK[pending.kind])) {
      this.counters.bad_replies++;
      return;
    }
    const requestAuth = pending.request.subarray(4, 20);
    if (!this.#crypto.responseAuthenticatorValid(msg, requestAuth, pending.secret)) {
      this.counters.bad_replies++;
      return;
    }
    const maAt = this.#ix.scan(msg).at(Attr.MessageAuthenticator);
    if (maAt >= 0 && !this.#crypto.messageAuthenticatorValid(msg, maAt, pending.secret, requestAuth)) {
      this.counters.bad_replies++;
      return;
    }
    pending.resolve(msg);
  }

  async #allocate(target: CoaTarget): Promise<number> {
    let slot = this.#nas.get(target.nasId);
    if (!slot) {
      slot = { next: Math.floor(Math.random() * 256), inflight: new Map(), waiting: [] };
      this.#nas.set(target.nasId, slot);
    }
    this.#byAddress.set(target.address, target.nasId);
    for (;;) {
      for (let i = 0; i < 256; i++) {
        const id = (slot.next + i) & 0xff;
        if (!slot.inflight.has(id)) {
          slot.next = (id + 1) & 0xff;
          return id;
        }
      }
      await new Promise<void>((resolve) => slot.waiting.push(resolve));
    }
  }

  /** Sends one request with its retransmissions; resolves with the outcome, never rejects for a silent NAS. */
  async send(target: CoaTarget, kind: CoaKind, attrs: readonly Uint8Array[]): Promise<CoaOutcome> {
    const socket = this.#socket;
    if (!socket) throw new Error('coa: not started');
    const id = await this.#allocate(target);
    const code = kind === 'coa' ? Code.CoaRequest : Code.DisconnectRequest;
    const request = this.#crypto.buildRequest(code, id, attrs, target.secret, { messageAuthenticator: true });
    const slot = this.#nas.get(target.nasId)!;
    const t0 = performance.now();
    let attempts = 0;
    let timer: NodeJS.Timeout | undefined;
    const reply = await new Promise<Buffer | undefined>((resolve) => {
      slot.inflight.set(id, { request, kind, secret: target.secret, resolve });
      const deadline = t0 + this.#opts.deadlineMs;
      let wait = this.#opts.timeoutMs;
      const attempt = () => {
        if (attempts > this.#opts.retries || performance.now() >= deadline) return resolve(undefined);
        attempts++;
        if (attempts > 1) this.counters.retransmitted++;
        else this.counters.sent++;
        socket.send(request, target.port, target.address);
        timer = setTimeout(attempt, Math.min(wait, Math.max(1, deadline - performance.now())));
        wait *= 2;
      };
      attempt();
    });
    clearTimeout(timer);
    slot.inflight.delete(id);
    slot.waiting.shift()?.();
    const latencyMs = performance.now() - t0;
    if (!reply) {
      this.counters.timeouts++;
      return { result: 'timeout', attempts, latencyMs };
    }
    if (reply[0] === ACK[kind]) {
      this.counters.acks++;
      return { result: 'ack', attempts, latencyMs };
    }
    this.counters.naks++;
    const errorCause = this.#ix.scan(reply).integer(Attr.ErrorCause);
    return { result: 'nak', attempts, latencyMs, ...(errorCause === undefined ? {} : { errorCause }) };
  }
}

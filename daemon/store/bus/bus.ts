import type { NatsConnection } from '@nats-io/transport-node';
import type { Component } from '../../lib/component.ts';
import { WispdError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/log.ts';
import { sampledLog } from '../../lib/sampled-log.ts';
import { isPattern, isSubject } from './subject.ts';

/** Receives a message's decoded data; what it returns (or resolves to) is the reply when the message was a request. */
export type BusHandler<T = unknown> = (data: T, msg: { subject: string }) => unknown;

export interface Subscription {
  unsubscribe(): void;
}

/**
 * Events between components and from remote collectors. Subjects are dot-separated and relative to the configured
 * prefix; data is anything JSON can carry. The in-process bus and NATS behave alike, so a component never knows which
 * one it runs on.
 */
export interface Bus extends Component {
  readonly kind: 'memory' | 'nats';
  publish(subject: string, data: unknown): void;
  /** `*` matches one token, a final `>` the rest; subscribers sharing a `queue` get each message once between them. */
  subscribe<T = unknown>(subject: string, handler: BusHandler<T>, opts?: { queue?: string }): Subscription;
  /** Resolves to the first responder's reply; rejects with WISPD_BUS_NO_RESPONDERS, _TIMEOUT or _HANDLER_FAILED. */
  request<R = unknown>(subject: string, data: unknown, opts?: { timeout?: number }): Promise<R>;
  /** Resolves once what was published so far has been delivered (in-process) or reached the server (NATS). */
  flush(): Promise<void>;
  /** The full subject (or wildcard pattern) on the wire, prefix included, for JetStream streams and remote publishers. */
  subject(relative: string): string;
  /** The NATS connection, for JetStream streams, consumers and KV; absent on the in-process bus. */
  readonly nats?: NatsConnection;
}

/** What travels as the reply of a request, so that a handler's failure reaches the requester as an error. */
export type Reply = { ok: true; data: unknown } | { ok: false; error: { code?: string; message: string } };

export function newCounters() {
  return { published: 0, delivered: 0, handler_errors: 0, requests: 0, request_failures: 0 };
}

export type BusCounters = ReturnType<typeof newCounters>;

/** What both implementations share: subject checks, running a handler, and turning replies into results. */
export class BusCore {
  readonly counters = newCounters();
  readonly #prefix: string;
  readonly #warn: ReturnType<typeof sampledLog>;

  constructor(prefix: string, log: Logger) {
    this.#prefix = prefix;
    this.#warn = sampledLog(log);
  }

  wire(relative: string, pattern = false): string {
    if (!(pattern ? isPattern(relative) : isSubject(relative))) {
      throw new TypeError(`bus: invalid ${pattern ? 'subscription' : 'subject'} "${relative}"`);
    }
    return `${this.#prefix}.${relative}`;
  }

  relative(wire: string): string {
    return wire.slice(this.#prefix.length + 1);
  }

  /** Runs a handler; never throws. The reply is only used when the message was a request. */
  async run(handler: BusHandler, data: unknown, subject: string): Promise<Reply> {
    this.counters.delivered++;
    try {
      return { ok: true, data: (await handler(data, { subject })) ?? null };
    } catch (err) {
      this.counters.handler_errors++;
      this.#warn('warn', { subject, err: (err as Error).message }, 'bus handler failed');
      const code = err instanceof WispdError ? err.code : undefined;
      return { ok: false, error: { code, message: (err as Error).message ?? String(err) } };
    }
  }

  unwrap<R>(subject: string, reply: Reply): R {
    if (reply.ok) return reply.data as R;
    this.counters.request_failures++;
    throw new WispdError('WISPD_BUS_HANDLER_FAILED', `bus: the handler of ${subject} failed: ${reply.error.message}`, {
      subject,
      cause_code: reply.error.code,
    });
  }

  noResponders(subject: string): WispdError {
    this.counters.request_failures++;
    return new WispdError('WISPD_BUS_NO_RESPONDERS', `bus: nobody answers requests on ${subject}`, { subject });
  }

  timeout(subject: string, ms: number): WispdError {
    this.counters.request_failures++;
    return new WispdError('WISPD_BUS_TIMEOUT', `bus: no reply on ${subject} within ${ms} ms`, { subject, timeout: ms });
  }
}

/** The bus on a NATS server (JetStream available for the components that need persistence). */
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, errors, type NatsConnection, type Subscription as NatsSub } from '@nats-io/transport-node';
import { maskUrl } from '../../../config/define.ts';
import type { BusConfig } from '../../../config/schema.ts';
import { WispdError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/log.ts';
import { type Bus, BusCore, type BusHandler, type Reply } from './bus.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const encode = (data: unknown) => encoder.encode(JSON.stringify(data ?? null));
const decode = (bytes: Uint8Array): unknown => (bytes.length === 0 ? null : JSON.parse(decoder.decode(bytes)));

export function createNatsBus(config: BusConfig, log: Logger): Bus {
  const core = new BusCore(config.subject_prefix, log);
  const servers = config.url.split(',');
  let nc: NatsConnection | undefined;
  let jetstream = false;
  const subs = new Set<NatsSub>();
  const status = { disconnects: 0, reconnects: 0, decode_errors: 0 };

  const conn = () => {
    if (!nc) throw new Error('bus: not started');
    return nc;
  };

  async function watch(c: NatsConnection) {
    for await (const s of c.status()) {
      if (s.type === 'disconnect') {
        status.disconnects++;
        log.warn({ server: maskUrl(s.server) }, 'NATS disconnected; reconnecting');
      } else if (s.type === 'reconnect') {
        status.reconnects++;
        log.info({ server: maskUrl(s.server) }, 'NATS reconnected');
      }
    }
  }

  return {
    name: 'bus',
    kind: 'nats',
    get nats() {
      return nc;
    },

    async start() {
      try {
        nc = await connect({
          servers,
          name: 'wispd',
          timeout: config.connect_timeout,
          maxReconnectAttempts: -1,
          ...(config.user ? { user: config.user, pass: config.password } : {}),
          ...(config.token ? { token: config.token } : {}),
        });
      } catch (err) {
        throw new WispdError(
          'WISPD_BUS_CONNECT',
          `cannot connect to NATS at ${maskUrl(config.url)}: ${(err as Error).message}`,
          { url: maskUrl(config.url) },
          { cause: err },
        );
      }
      void watch(nc);
      try {
        await (await jetstreamManager(nc)).getAccountInfo();
        jetstream = true;
      } catch (err) {
        log.warn({ err: (err as Error).message }, 'JetStream is not available on this NATS server');
      }
    },

    async stop() {
      if (!nc) return;
      const c = nc;
      nc = undefined;
      subs.clear();
      // drain: stop receiving, let handlers of received messages finish, flush what was published, close.
      await c.drain().catch((err) => log.warn({ err: (err as Error).message }, 'NATS drain failed'));
    },

    counters: () => ({ ...core.counters, ...status, subscriptions: subs.size }),
    describe: () => `NATS (${maskUrl(config.url)}${jetstream ? ', JetStream available' : ', no JetStream'})`,
    subject: (relative) => core.wire(relative, true),

    publish(relative, data) {
      conn().publish(core.wire(relative), encode(data));
      core.counters.published++;
    },

    subscribe<T>(relative: string, handler: BusHandler<T>, opts: { queue?: string } = {}) {
      const sub = conn().subscribe(core.wire(relative, true), {
        ...(opts.queue ? { queue: opts.queue } : {}),
        callback: (err, msg) => {
          if (err) {
            log.warn({ subject: relative, err: err.message }, 'NATS subscription ended');
            return;
          }
          let data: unknown;
          try {
            data = decode(msg.data);
          } catch {
            status.decode_errors++;
            if (msg.reply) msg.respond(encode({ ok: false, error: { message: 'the request is not JSON' } }));
            return;
          }
          void core.run(handler as BusHandler, data, core.relative(msg.subject)).then((reply: Reply) => {
            if (msg.reply) msg.respond(encode(reply));
          });
        },
      });
      subs.add(sub);
      return {
        unsubscribe() {
          subs.delete(sub);
          sub.unsubscribe();
        },
      };
    },

    async request<R>(relative: string, data: unknown, opts: { timeout?: number } = {}) {
      const timeout = opts.timeout ?? config.request_timeout;
      core.counters.requests++;
      try {
        const msg = await conn().request(core.wire(relative), encode(data), { timeout });
        return core.unwrap<R>(relative, decode(msg.data) as Reply);
      } catch (err) {
        if (err instanceof WispdError) throw err;
        if (err instanceof errors.RequestError && err.isNoResponders()) throw core.noResponders(relative);
        if (err instanceof errors.NoRespondersError) throw core.noResponders(relative);
        if (err instanceof errors.TimeoutError) throw core.timeout(relative, timeout);
        throw err;
      }
    },

    async flush() {
      await conn().flush();
    },
  };
}

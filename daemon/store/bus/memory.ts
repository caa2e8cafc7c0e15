/** The in-process bus: NATS semantics (subjects, wildcards, queue groups, request/reply) without a server. */
import type { BusConfig } from '../../../config/schema.ts';
import type { Logger } from '../../lib/log.ts';
import { type Bus, BusCore, type BusHandler, type Reply } from './bus.ts';
import { matches } from './subject.ts';

interface Sub {
  pattern: string;
  handler: BusHandler;
  queue: string | undefined;
}

export function createMemoryBus(config: BusConfig, log: Logger): Bus {
  const core = new BusCore(config.subject_prefix, log);
  let subs: Sub[] = [];
  const inflight = new Set<Promise<unknown>>();
  // Data is copied through JSON as it would be on the wire, so no subscriber can change what another one sees.
  const copy = (data: unknown) => (data === undefined ? null : JSON.parse(JSON.stringify(data)));

  /** Each plain subscriber, and one member of each queue group, like NATS. */
  function receivers(subject: string): Sub[] {
    const out: Sub[] = [];
    const groups = new Map<string, Sub[]>();
    for (const s of subs) {
      if (!matches(s.pattern, subject)) continue;
      if (s.queue === undefined) out.push(s);
      else groups.set(s.queue, [...(groups.get(s.queue) ?? []), s]);
    }
    for (const members of groups.values()) out.push(members[Math.floor(Math.random() * members.length)]!);
    return out;
  }

  function deliver(sub: Sub, subject: string, data: unknown): Promise<Reply> {
    const p = Promise.resolve().then(() => core.run(sub.handler, copy(data), core.relative(subject)));
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
    return p;
  }

  return {
    name: 'bus',
    kind: 'memory',
    async start() {},
    async stop() {
      await this.flush();
      subs = [];
    },
    counters: () => ({ ...core.counters, subscriptions: subs.length }),
    describe: () => 'in-process bus',
    subject: (relative) => core.wire(relative, true),

    publish(relative, data) {
      const subject = core.wire(relative);
      core.counters.published++;
      for (const sub of receivers(subject)) void deliver(sub, subject, data);
    },

    subscribe<T>(relative: string, handler: BusHandler<T>, opts: { queue?: string } = {}) {
      const sub: Sub = { pattern: core.wire(relative, true), handler: handler as BusHandler, queue: opts.queue };
      subs = [...subs, sub];
      return {
        unsubscribe() {
          subs = subs.filter((s) => s !== sub);
        },
      };
    },

    async request<R>(relative: string, data: unknown, opts: { timeout?: number } = {}) {
      const subject = core.wire(relative);
      const timeout = opts.timeout ?? config.request_timeout;
      core.counters.requests++;
      const [responder] = receivers(subject);
      if (!responder) throw core.noResponders(relative);
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(core.timeout(relative, timeout)), timeout);
      });
      try {
        return core.unwrap<R>(relative, copy(await Promise.race([deliver(responder, subject, data), expired])));
      } finally {
        clearTimeout(timer);
      }
    },

    async flush() {
      while (inflight.size > 0) await Promise.allSettled([...inflight]);
    },
  };
}

/**
 * The daemon's side of remote pollers (`wispd collect --site`), on NATS only:
 *
 * - answers TARGETS_SUBJECT with a site's devices for a collector whose token belongs to that site, and announces
 *   TARGETS_CHANGED_SUBJECT when devices or sites change;
 * - consumes the telemetry stream with a durable consumer, and acknowledges a message only once what it carries is
 *   stored (rows in ClickHouse or its spool, status changes and poll outcomes handed to the device reporter). A message
 *   delivered again (the daemon stopped before acknowledging it) is inserted with the same deduplication token, its
 *   Nats-Msg-Id, and is not stored twice.
 */
import {
  AckPolicy,
  type ConsumerMessages,
  DeliverPolicy,
  type JsMsg,
  jetstream,
  jetstreamManager,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { IngestConfig } from '../../config/schema.ts';
import {
  type DeviceReports,
  ensureTelemetryStream,
  type PollResult,
  ROWS_HEADER,
  type StatusChange,
  TARGETS_CHANGED_SUBJECT,
  TARGETS_SUBJECT,
  type TargetsRequest,
  type TelemetrySink,
} from '../../contracts/telemetry/index.ts';
import type { Component } from '../lib/component.ts';
import { isWispdError, WispdError } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';
import { sampledLog } from '../lib/sampled-log.ts';
import { loadTargets } from '../model/device.ts';
import type { SecretBox } from '../security/secret-box.ts';
import type { Bus, Subscription } from '../store/bus/index.ts';
import type { Changes } from '../store/changes.ts';
import type { PostgresStore } from '../store/postgres/index.ts';
import type { CollectorTokens } from './tokens.ts';

export interface RemoteIngestDeps {
  log: Logger;
  bus: Bus;
  postgres: PostgresStore;
  changes: Changes;
  box: () => SecretBox;
  tokens: CollectorTokens;
  sink: TelemetrySink;
  reports: DeviceReports;
}

const CONSUMER = 'wispd-telemetry';
/** Long enough for an insert; a message being stored is kept from redelivery with working() meanwhile. */
const ACK_WAIT_MS = 10_000;
const MAX_IN_FLIGHT = 64;
const NEWLINE = 0x0a;
const decoder = new TextDecoder();

function countLines(body: Uint8Array): number {
  let n = 0;
  for (let i = body.indexOf(NEWLINE); i >= 0; i = body.indexOf(NEWLINE, i + 1)) n++;
  return n;
}

export function createRemoteIngest(config: IngestConfig, deps: RemoteIngestDeps): Component {
  const log = deps.log.child({ component: 'remote' });
  const warn = sampledLog(log);
  const counters = { messages: 0, rows: 0, redelivered: 0, invalid: 0, retried: 0, inventory_requests: 0 };
  const subscriptions: Subscription[] = [];
  let messages: ConsumerMessages | undefined;
  let loop: Promise<void> | undefined;
  let inFlight = 0;
  let slot: (() => void) | undefined;
  let announce: NodeJS.Timeout | undefined;

  async function targets(req: TargetsRequest) {
    counters.inventory_requests++;
    const collector = deps.tokens.lookup(String(req?.token ?? ''));
    if (!collector) throw new WispdError('WISPD_INGEST_UNAUTHORIZED', 'unknown collector token');
    if (collector.site !== req.site) {
      throw new WispdError(
        'WISPD_INGEST_UNAUTHORIZED',
        `collector ${collector.name} belongs to ${collector.site ? `site ${collector.site}` : 'no site'}, not ${req.site}`,
      );
    }
    return loadTargets(deps.postgres, deps.box(), { site: req.site });
  }

  async function handle(m: JsMsg): Promise<void> {
    counters.messages++;
    if (m.info.deliveryCount > 1) counters.redelivered++;
    const kind = m.subject.slice(m.subject.lastIndexOf('.') + 1);
    try {
      if (kind === 'rows') {
        const rows = Number(m.headers?.get(ROWS_HEADER));
        const id = m.headers?.get('Nats-Msg-Id') || `${m.info.stream}:${m.seq}`;
        if (!Number.isInteger(rows) || rows !== countLines(m.data) || m.data[m.data.length - 1] !== NEWLINE) {
          counters.invalid++;
          warn('warn', { subject: m.subject, seq: m.seq }, 'a remote batch is not whole TabSeparated rows; discarded');
          m.term();
          return;
        }
        const working = setInterval(() => m.working(), ACK_WAIT_MS / 3);
        try {
          await deps.sink.write({ body: Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength), rows, id });
        } finally {
          clearInterval(working);
        }
        counters.rows += rows;
      } else if (kind === 'status') {
        deps.reports.status(JSON.parse(decoder.decode(m.data)) as StatusChange);
      } else if (kind === 'polled') {
        deps.reports.polled(JSON.parse(decoder.decode(m.data)) as PollResult[]);
      } else {
        counters.invalid++;
        m.term();
        return;
      }
      m.ack();
    } catch (err) {
      if (err instanceof SyntaxError) {
        counters.invalid++;
        m.term();
        return;
      }
      counters.retried++;
      if (!isWispdError(err, 'WISPD_TELEMETRY_BACKPRESSURE')) {
        warn('warn', { err: (err as Error).message }, 'a remote batch could not be stored; it will be delivered again');
      }
      m.nak(config.retry_after);
    }
  }

  async function consume(source: ConsumerMessages): Promise<void> {
    for await (const m of source) {
      if (inFlight >= MAX_IN_FLIGHT) await new Promise<void>((r) => (slot = r));
      inFlight++;
      void handle(m).finally(() => {
        inFlight--;
        const s = slot;
        slot = undefined;
        s?.();
      });
    }
  }

  return {
    name: 'remote-ingest',
    counters: () => ({ ...counters, in_flight: inFlight }),
    describe: () => (messages ? 'remote pollers over JetStream' : 'no remote pollers (in-process bus)'),

    async start() {
      const nc = deps.bus.nats;
      if (!nc) return;
      subscriptions.push(deps.bus.subscribe<TargetsRequest>(TARGETS_SUBJECT, targets));
      const changed = () => {
        clearTimeout(announce);
        announce = setTimeout(() => deps.bus.publish(TARGETS_CHANGED_SUBJECT, {}), 200);
      };
      deps.changes.on('device', changed);
      deps.changes.on('site', changed);

      const prefix = deps.bus.subject('x').slice(0, -2);
      const stream = await ensureTelemetryStream(nc, prefix, {
        maxBytes: config.stream_max_mb * 1024 * 1024,
        maxAgeMs: config.stream_max_age,
      });
      const jsm = await jetstreamManager(nc);
      await jsm.consumers.add(stream, {
        durable_name: CONSUMER,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        ack_wait: nanos(ACK_WAIT_MS),
        max_ack_pending: MAX_IN_FLIGHT * 4,
      });
      const consumer = await jetstream(nc).consumers.get(stream, CONSUMER);
      messages = await consumer.consume({ max_messages: MAX_IN_FLIGHT });
      loop = consume(messages).catch((err) =>
        log.error({ err: (err as Error).message }, 'the remote consumer stopped'),
      );
      log.info({ stream, consumer: CONSUMER }, 'consuming remote telemetry');
    },

    async stop() {
      clearTimeout(announce);
      for (const s of subscriptions.splice(0)) s.unsubscribe();
      await messages?.close();
      await loop;
      // What is being stored is acknowledged before the connection goes; the rest is delivered again later.
      const deadline = Date.now() + 10_000;
      while (inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      messages = undefined;
    },
  };
}

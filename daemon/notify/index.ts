/**
 * The notification hub: `notify({ to, template, data, category, critical?, dedupeKey?, digestKey? })` for the core
 * and the plugins. A call renders the template (the panel's edit, else the default) and records one message per
 * channel in PostgreSQL — in one transaction, so a notification is either wholly queued or not at all — and the
 * delivery loop sends what is due, retrying with backoff; every message, sent or not, stays in the log with its
 * status, attempts, provider id and error.
 *
 * - Preferences: a customer may turn a channel off per category; `critical` goes through regardless.
 * - Quiet hours hold an SMS until they end (not a critical one).
 * - A dedupe key is sent once per channel and recipient, ever.
 * - A digest key lets `digest_max − 1` messages through per window and folds the rest into one digest at its end.
 */
import type { NotifyConfig } from '../../config/schema.ts';
import type { Component } from '../lib/component.ts';
import { WispdError } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';
import { sampledLog } from '../lib/sampled-log.ts';
import { type Actor, appendAudit } from '../model/audit.ts';
import { invalid, notFound, type Queryable } from '../model/db.ts';
import type { Bus, Subscription } from '../store/bus/index.ts';
import type { PostgresStore } from '../store/postgres/index.ts';
import { CHANNELS, type Channel, createSenders, type Sender } from './channels.ts';
import { CORE_TEMPLATES, checkTemplate, renderAll, type TemplateDefinition, type TemplateText } from './templates.ts';

export type { Channel } from './channels.ts';
export type { TemplateDefinition, TemplateText } from './templates.ts';

export interface Notification {
  /** A customer (their email, phone, preferences and inbox), or an address of its own. */
  to: { customerId?: number; email?: string; phone?: string };
  template: string;
  data?: Record<string, unknown>;
  /** What it is about (billing, usage, outage, support…): preferences are per category. */
  category: string;
  /** Sent whatever the preferences and quiet hours say (a suspension, a security notice). */
  critical?: boolean;
  dedupeKey?: string;
  digestKey?: string;
  /** Only these (default: every channel the recipient and the config allow). */
  channels?: readonly Channel[];
}

export interface Queued {
  id: string;
  channel: Channel;
  recipient: string;
  status: MessageStatus | 'duplicate';
}

export type MessageStatus = 'queued' | 'held' | 'sent' | 'failed' | 'suppressed' | 'folded';

export interface Message {
  id: string;
  channel: Channel;
  recipient: string;
  customerId: number | null;
  template: string;
  category: string;
  critical: boolean;
  subject: string;
  status: MessageStatus;
  attempts: number;
  providerId: string | null;
  error: string | null;
  createdAt: Date;
  sentAt: Date | null;
}

export interface Notify extends Component {
  notify(n: Notification): Promise<Queued[]>;
  /** A template of a plugin's, with its defaults (staff may edit it in the panel). */
  template(name: string, def: TemplateDefinition): void;
  templates(): Promise<Array<TemplateDefinition & { name: string; edited: { by: string; at: Date } | null }>>;
  /** Staff's edit; refused when it uses a variable the template does not have. */
  saveTemplate(name: string, edit: TemplateText, actor: Actor): Promise<void>;
  resetTemplate(name: string, actor: Actor): Promise<void>;
  setPreference(customerId: number, category: string, channel: Channel, enabled: boolean, actor: Actor): Promise<void>;
  preferences(customerId: number): Promise<Array<{ category: string; channel: Channel; enabled: boolean }>>;
  messages(filter?: { customerId?: number; status?: MessageStatus; limit?: number }): Promise<Message[]>;
  inbox(
    customerId: number,
    limit?: number,
  ): Promise<
    Array<{ id: string; category: string; title: string; body: string; readAt: Date | null; createdAt: Date }>
  >;
  /** One pass of the delivery loop: folds due digests, sends due messages; resolves to how many were tried. */
  deliver(): Promise<number>;
}

export interface NotifyDeps {
  log: Logger;
  postgres: PostgresStore;
  now?: () => number;
  /** The FUP engine's threshold events, told to the customer. */
  bus?: Pick<Bus, 'subscribe'>;
  /** Tests give their own. */
  senders?: Partial<Record<Exclude<Channel, 'inbox'>, Sender>>;
}

const LEASE_MS = 5 * 60_000;
/** A template as staff edited it, in TemplateText's names. */
const EDIT_COLUMNS = 'subject, text_body AS text, html_body AS html, sms_body AS sms';
const BATCH = 50;

interface Row {
  id: string;
  channel: Channel;
  recipient: string;
  customer_id: number | null;
  template: string;
  category: string;
  critical: boolean;
  digest_key: string | null;
  subject: string;
  body: string;
  html: string;
  attempts: number;
  created_at: Date;
}

/** Subjects one per line, a run of the same one counted: `- Outage at North tower (×12)`. */
function collapse(subjects: string[]): string[] {
  const out: Array<[string, number]> = [];
  for (const s of subjects) {
    const last = out[out.length - 1];
    if (last && last[0] === s) last[1]++;
    else out.push([s, 1]);
  }
  return out.map(([s, n]) => `- ${s}${n > 1 ? ` (×${n})` : ''}`);
}

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** How long until quiet hours end (0 outside them). */
export function quietFor(quiet: string, at: number, timeZone?: string): number {
  if (!quiet) return 0;
  const [from, to] = quiet.split('-').map(minutesOf) as [number, number];
  const parts = new Intl.DateTimeFormat('en-GB', {
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    ...(timeZone ? { timeZone } : {}),
  }).formatToParts(at);
  const now =
    Number(parts.find((p) => p.type === 'hour')!.value) * 60 + Number(parts.find((p) => p.type === 'minute')!.value);
  const inside = from <= to ? now >= from && now < to : now >= from || now < to;
  if (!inside) return 0;
  const minutes = (to - now + 1440) % 1440;
  return minutes * 60_000 - (at % 60_000);
}

export function createNotify(config: NotifyConfig, deps: NotifyDeps): Notify {
  const log = deps.log.child({ component: 'notify' });
  const warn = sampledLog(log);
  const now = deps.now ?? Date.now;
  const db = deps.postgres;
  const senders = deps.senders ?? createSenders(config);
  const definitions = new Map<string, TemplateDefinition>(Object.entries(CORE_TEMPLATES));
  const counters = { queued: 0, sent: 0, retried: 0, failed: 0, suppressed: 0, duplicates: 0, held: 0, digests: 0 };
  const subscriptions: Subscription[] = [];
  let timer: NodeJS.Timeout | undefined;
  let delivering: Promise<number> | undefined;
  let stopped = true;

  const definition = (name: string) => {
    const def = definitions.get(name);
    if (!def) throw notFound('template', name);
    return def;
  };

  async function effectiveTemplate(q: Queryable, name: string): Promise<TemplateText> {
    const def = definition(name);
    const { rows } = await q.query<TemplateText>(`SELECT ${EDIT_COLUMNS} FROM notify_template WHERE name = $1`, [name]);
    return rows[0] ?? def;
  }

  /** One digest key, channel and recipient at a time: counting its window and folding it do not interleave. */
  const lockDigest = (tx: Queryable, key: string, channel: string, recipient: string) =>
    tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`notify:${key}:${channel}:${recipient}`]);

  const available = (c: Channel) => c === 'inbox' || senders[c] !== undefined;

  async function notify(n: Notification): Promise<Queued[]> {
    definition(n.template);
    if (!/^[a-z][a-z0-9_.-]{0,63}$/.test(n.category))
      throw invalid('category', n.category, 'lower-case letters, digits, . _ -; up to 64');
    const at = now();
    return db
      .transaction(async (tx) => {
        let customer: { name: string; email: string | null; phone: string | null } | undefined;
        if (n.to.customerId !== undefined) {
          const { rows } = await tx.query<{ name: string; email: string | null; phone: string | null }>(
            'SELECT name, email, phone FROM customer WHERE id = $1',
            [n.to.customerId],
          );
          if (!rows[0]) throw notFound('customer', String(n.to.customerId));
          customer = rows[0];
        }
        const text = renderAll(await effectiveTemplate(tx, n.template), {
          customer_name: customer?.name ?? '',
          ...n.data,
        });
        const recipients: Partial<Record<Channel, string>> = {
          email: n.to.email ?? customer?.email ?? undefined,
          sms: text.sms ? (n.to.phone ?? customer?.phone ?? undefined) : undefined,
          webhook: config.webhook.url || undefined,
          inbox: n.to.customerId !== undefined ? `customer:${n.to.customerId}` : undefined,
        };
        const disabled = new Set<string>();
        if (n.to.customerId !== undefined && !n.critical) {
          const { rows } = await tx.query<{ channel: string }>(
            'SELECT channel FROM notify_preference WHERE customer_id = $1 AND category = $2 AND NOT enabled',
            [n.to.customerId, n.category],
          );
          for (const r of rows) disabled.add(r.channel);
        }
        const out: Queued[] = [];
        for (const channel of n.channels ?? CHANNELS) {
          const recipient = recipients[channel];
          if (!recipient || !available(channel)) continue;
          let status: MessageStatus = channel === 'inbox' ? 'sent' : 'queued';
          let nextAt = at;
          if (disabled.has(channel)) status = 'suppressed';
          else if (channel === 'sms' && !n.critical)
            nextAt = at + quietFor(config.sms.quiet_hours, at, config.time_zone || undefined);
          if (status !== 'suppressed' && n.digestKey && channel !== 'inbox') {
            await lockDigest(tx, n.digestKey, channel, recipient);
            const { rows } = await tx.query<{ n: number; first: Date | null; held_at: Date | null }>(
              `SELECT count(*) FILTER (WHERE status IN ('queued', 'sent', 'failed'))::int AS n,
                    min(created_at) FILTER (WHERE status IN ('queued', 'sent', 'failed')) AS first,
                    min(next_at) FILTER (WHERE status = 'held') AS held_at
               FROM notify_message
              WHERE digest_key = $1 AND channel = $2 AND recipient = $3 AND created_at > $4`,
              [n.digestKey, channel, recipient, new Date(at - config.digest_window)],
            );
            const w = rows[0]!;
            if (w.held_at || w.n >= config.digest_max - 1) {
              status = 'held';
              nextAt = w.held_at ? w.held_at.getTime() : (w.first?.getTime() ?? at) + config.digest_window;
            }
          }
          const body = channel === 'sms' ? text.sms : text.text;
          const { rows } = await tx.query<{ id: string }>(
            `INSERT INTO notify_message (channel, recipient, customer_id, template, category, critical, dedupe_key,
                                       digest_key, subject, body, html, status, next_at, created_at, sent_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
           ON CONFLICT (dedupe_key, channel, recipient) WHERE dedupe_key IS NOT NULL DO NOTHING
           RETURNING id::text`,
            [
              channel,
              recipient,
              n.to.customerId ?? null,
              n.template,
              n.category,
              n.critical ?? false,
              n.dedupeKey ?? null,
              n.digestKey ?? null,
              text.subject,
              body,
              channel === 'email' ? text.html : '',
              status,
              new Date(nextAt),
              new Date(at),
              status === 'sent' ? new Date(at) : null,
            ],
          );
          if (!rows[0]) {
            counters.duplicates++;
            out.push({ id: '', channel, recipient, status: 'duplicate' });
            continue;
          }
          if (channel === 'inbox' && status === 'sent')
            await tx.query(
              'INSERT INTO notify_inbox (customer_id, message_id, category, title, body) VALUES ($1, $2, $3, $4, $5)',
              [n.to.customerId, rows[0].id, n.category, text.subject, text.text],
            );
          counters[status === 'suppressed' ? 'suppressed' : status === 'held' ? 'held' : 'queued']++;
          out.push({ id: rows[0].id, channel, recipient, status });
        }
        return out;
      })
      .finally(() => {
        if (!stopped) setImmediate(() => void deliverOnce());
      });
  }

  /** Folds each due group of held messages into one digest, queued to send now. */
  async function foldDigests(at: number): Promise<void> {
    const { rows: groups } = await db.query<{ digest_key: string; channel: Channel; recipient: string }>(
      `SELECT DISTINCT digest_key, channel, recipient FROM notify_message WHERE status = 'held' AND next_at <= $1`,
      [new Date(at)],
    );
    for (const g of groups) {
      await db.transaction(async (tx) => {
        await lockDigest(tx, g.digest_key, g.channel, g.recipient);
        const { rows } = await tx.query<Row>(
          `SELECT id::text, customer_id, category, critical, subject, body, template FROM notify_message
            WHERE status = 'held' AND digest_key = $1 AND channel = $2 AND recipient = $3 ORDER BY notify_message.id FOR UPDATE`,
          [g.digest_key, g.channel, g.recipient],
        );
        if (rows.length === 0) return;
        const last = rows[rows.length - 1]!;
        const text = renderAll(await effectiveTemplate(tx, 'digest'), {
          count: rows.length,
          items: collapse(rows.map((r) => r.subject)).join('\n'),
          last: last.body,
        });
        const digest = await tx.query<{ id: string }>(
          `INSERT INTO notify_message (channel, recipient, customer_id, template, category, critical, digest_key,
                                       subject, body, html, status, next_at, created_at)
           VALUES ($1, $2, $3, 'digest', $4, $5, $6, $7, $8, $9, 'queued', $10, $10) RETURNING id::text`,
          [
            g.channel,
            g.recipient,
            last.customer_id,
            last.category,
            rows.some((r) => r.critical),
            g.digest_key,
            text.subject,
            g.channel === 'sms' ? text.sms || text.text : text.text,
            g.channel === 'email' ? text.html : '',
            new Date(at),
          ],
        );
        await tx.query(`UPDATE notify_message SET status = 'folded', digest_id = $1 WHERE id = ANY($2::bigint[])`, [
          digest.rows[0]!.id,
          rows.map((r) => r.id),
        ]);
        counters.digests++;
      });
    }
  }

  async function send(m: Row, at: number): Promise<void> {
    const sender = senders[m.channel as Exclude<Channel, 'inbox'>];
    try {
      if (!sender) throw new Error(`the ${m.channel} channel is not configured (notify.${m.channel})`);
      const providerId = await sender({
        id: m.id,
        recipient: m.recipient,
        subject: m.subject,
        body: m.body,
        html: m.html,
        meta: {
          template: m.template,
          category: m.category,
          critical: m.critical,
          customer_id: m.customer_id,
          created_at: new Date(m.created_at).toISOString(),
        },
      });
      await db.query(
        `UPDATE notify_message SET status = 'sent', provider_id = $2, sent_at = $3, error = NULL WHERE id = $1`,
        [m.id, providerId || null, new Date(now())],
      );
      counters.sent++;
    } catch (err) {
      const error = (err as Error).message.slice(0, 500);
      const last = m.attempts >= config.attempts;
      const wait = Math.min(config.retry_backoff * 2 ** (m.attempts - 1), 3_600_000);
      await db.query(`UPDATE notify_message SET status = $2, next_at = $3, error = $4 WHERE id = $1`, [
        m.id,
        last ? 'failed' : 'queued',
        new Date(at + wait),
        error,
      ]);
      counters[last ? 'failed' : 'retried']++;
      warn(
        'warn',
        { id: m.id, channel: m.channel, attempts: m.attempts, err: error },
        last ? 'notification failed for good' : 'notification failed; retried',
      );
    }
  }

  async function deliverPass(): Promise<number> {
    const at = now();
    await foldDigests(at);
    let tried = 0;
    for (;;) {
      // Claimed with a lease: a daemon that dies while sending leaves the message to be sent after it.
      const { rows } = await db.query<Row>(
        `UPDATE notify_message SET next_at = $2, attempts = attempts + 1
          WHERE id IN (SELECT id FROM notify_message WHERE status = 'queued' AND next_at <= $1
                        ORDER BY next_at, id LIMIT ${BATCH} FOR UPDATE SKIP LOCKED)
          RETURNING id::text, channel, recipient, customer_id, template, category, critical, digest_key, subject, body,
                    html, attempts, created_at`,
        [new Date(at), new Date(at + LEASE_MS)],
      );
      if (rows.length === 0) return tried;
      await Promise.all(rows.map((m) => send(m, at)));
      tried += rows.length;
      if (rows.length < BATCH || stopped) return tried;
    }
  }

  function deliverOnce(): Promise<number> {
    delivering ??= deliverPass()
      .catch((err) => {
        warn('warn', { err: (err as Error).message }, 'notification delivery pass failed');
        return 0;
      })
      .finally(() => {
        delivering = undefined;
      });
    return delivering;
  }

  /** Tells a subscriber's customer what fair usage did (FUP thresholds and the throttle). */
  async function fupNotice(type: 'fup.notify' | 'fup.exceeded', data: Record<string, unknown>): Promise<void> {
    const { rows } = await db.query<{ customer_id: number | null }>(
      'SELECT customer_id FROM subscriber WHERE id = $1',
      [data.subscriber_id],
    );
    const customerId = rows[0]?.customer_id;
    if (!customerId) return;
    const rate = data.rate_down ? `${Math.round(Number(data.rate_down) / 1e5) / 10} Mbit/s` : '';
    await notify({
      to: { customerId },
      template: type,
      category: 'usage',
      data: { ...data, rate },
      dedupeKey: `${type}:${data.subscriber_id}:${data.period_start}:${data.threshold ?? ''}`,
    });
  }

  return {
    name: 'notify',
    async start() {
      stopped = false;
      if (deps.bus) {
        for (const type of ['fup.notify', 'fup.exceeded'] as const)
          subscriptions.push(
            deps.bus.subscribe<Record<string, unknown>>(
              type,
              (data) =>
                void fupNotice(type, data).catch((err) =>
                  warn('warn', { err: (err as Error).message, type }, 'usage notification failed'),
                ),
            ),
          );
      }
      timer = setInterval(() => void deliverOnce(), config.poll_interval);
      timer.unref();
    },
    async stop() {
      stopped = true;
      for (const s of subscriptions.splice(0)) s.unsubscribe();
      clearInterval(timer);
      await delivering;
    },
    counters: () => ({ ...counters }),
    describe: () =>
      `notify: ${[...CHANNELS].filter(available).join(', ')}${config.sms.quiet_hours ? `; SMS quiet ${config.sms.quiet_hours}` : ''}`,

    notify,
    template(name, def) {
      if (definitions.has(name)) throw new WispdError('WISPD_ALREADY_EXISTS', `template ${name} exists`, { name });
      checkTemplate(name, def, def);
      definitions.set(name, def);
    },
    async templates() {
      const { rows } = await db.query<TemplateText & { name: string; updated_by: string; updated_at: Date }>(
        `SELECT name, ${EDIT_COLUMNS}, updated_by, updated_at FROM notify_template`,
      );
      const edits = new Map(
        rows.map(({ name, updated_by, updated_at, ...text }) => [name, { text, updated_by, updated_at }]),
      );
      return [...definitions].map(([name, def]) => {
        const e = edits.get(name);
        return { name, ...def, ...e?.text, edited: e ? { by: e.updated_by, at: e.updated_at } : null };
      });
    },
    async saveTemplate(name, edit, actor) {
      checkTemplate(name, definition(name), edit);
      await db.transaction(async (tx) => {
        const before = await effectiveTemplate(tx, name);
        await tx.query(
          `INSERT INTO notify_template (name, subject, text_body, html_body, sms_body, updated_by)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (name) DO UPDATE SET subject = $2, text_body = $3, html_body = $4, sms_body = $5,
             updated_by = $6, updated_at = now()`,
          [name, edit.subject, edit.text, edit.html ?? '', edit.sms ?? '', actor.name],
        );
        await appendAudit(tx, actor, {
          resource: 'notify_template',
          action: 'edit',
          recordId: name,
          before,
          after: edit,
        });
      });
    },
    async resetTemplate(name, actor) {
      definition(name);
      await db.transaction(async (tx) => {
        const before = await effectiveTemplate(tx, name);
        await tx.query('DELETE FROM notify_template WHERE name = $1', [name]);
        await appendAudit(tx, actor, { resource: 'notify_template', action: 'reset', recordId: name, before });
      });
    },
    async setPreference(customerId, category, channel, enabled, actor) {
      if (!CHANNELS.includes(channel)) throw invalid('channel', channel, `one of ${CHANNELS.join(', ')}`);
      await db.transaction(async (tx) => {
        await tx.query(
          `INSERT INTO notify_preference (customer_id, category, channel, enabled) VALUES ($1, $2, $3, $4)
           ON CONFLICT (customer_id, category, channel) DO UPDATE SET enabled = $4, updated_at = now()`,
          [customerId, category, channel, enabled],
        );
        await appendAudit(tx, actor, {
          resource: 'notify_preference',
          action: 'edit',
          recordId: customerId,
          after: { category, channel, enabled },
        });
      });
    },
    async preferences(customerId) {
      const { rows } = await db.query<{ category: string; channel: Channel; enabled: boolean }>(
        'SELECT category, channel, enabled FROM notify_preference WHERE customer_id = $1 ORDER BY category, channel',
        [customerId],
      );
      return rows;
    },
    async messages(filter = {}) {
      const { rows } = await db.query<Message>(
        `SELECT id::text, channel, recipient, customer_id AS "customerId", template, category, critical, subject, status,
                attempts, provider_id AS "providerId", error, created_at AS "createdAt", sent_at AS "sentAt"
           FROM notify_message
          WHERE ($1::int IS NULL OR customer_id = $1) AND ($2::text IS NULL OR status = $2)
          ORDER BY notify_message.id DESC LIMIT $3`,
        [filter.customerId ?? null, filter.status ?? null, filter.limit ?? 100],
      );
      return rows;
    },
    async inbox(customerId, limit = 50) {
      const { rows } = await db.query(
        `SELECT id::text, category, title, body, read_at AS "readAt", created_at AS "createdAt"
           FROM notify_inbox WHERE customer_id = $1 ORDER BY notify_inbox.id DESC LIMIT $2`,
        [customerId, limit],
      );
      return rows as Awaited<ReturnType<Notify['inbox']>>;
    },
    deliver: deliverOnce,
  };
}

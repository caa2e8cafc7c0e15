/**
 * Outbound webhooks: staff configure endpoints (a URL, the events it wants, a secret); every core event it wants is
 * POSTed to it as the event's envelope, signed (`X-Wispd-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">`,
 * Stripe's scheme), with `X-Wispd-Event` and `X-Wispd-Delivery`. Retries back off exponentially; every attempt is in
 * the delivery log. The SDK's first real user: events, a job, staff routes with permissions, sealed secrets, audit.
 */
import { randomBytes } from 'node:crypto';
import {
  definePlugin,
  duration,
  EVENT_TYPES,
  type EventEnvelope,
  integer,
  type PluginContext,
  postWithTimeout,
  SIGNATURE_HEADER,
  sign,
} from '../sdk/index.ts';

interface Endpoint {
  id: number;
  url: string;
  description: string;
  events: string[];
  enabled: boolean;
  created_by: string;
  created_at: Date;
}

interface Due {
  id: string;
  endpoint_id: number;
  event_id: string;
  type: string;
  payload: unknown;
  attempts: number;
  url: string;
  secret_enc: Buffer;
}

export interface Attempt {
  status: 'delivered' | 'failed' | 'queued';
  response_status: number | null;
  error: string | null;
  duration_ms: number;
}

const ENDPOINT_COLUMNS = 'id, url, description, events, enabled, created_by, created_at';
const T = 'plugin_webhooks';

function checkEvents(events: unknown): string[] {
  if (!Array.isArray(events) || events.length === 0) throw new Error('events: a list of event types, or ["*"]');
  for (const e of events)
    if (e !== '*' && !(EVENT_TYPES as readonly string[]).includes(e))
      throw new Error(`events: ${String(e)} is not a core event (docs/events.md)`);
  return events as string[];
}

function checkUrl(url: unknown): string {
  try {
    const u = new URL(String(url));
    if (u.protocol === 'http:' || u.protocol === 'https:') return u.toString();
  } catch {}
  throw new Error('url: an http:// or https:// URL');
}

const settings = {
  timeout: duration({ default: '10s', min: '1s', max: '1m', doc: 'How long an endpoint has to answer.' }),
  attempts: integer({ default: 8, min: 1, max: 30, doc: 'Attempts of a delivery before it is failed.' }),
  retry_backoff: duration({
    default: '30s',
    min: '100ms',
    max: '1h',
    doc: 'The wait after a failed attempt, doubled after each (at most 6 hours).',
  }),
  concurrency: integer({ default: 8, min: 1, max: 100, doc: 'Requests in flight at once.' }),
};

type Settings = { timeout: number; attempts: number; retry_backoff: number; concurrency: number };

/** One POST; never throws: the outcome is what the log records. */
async function post(url: string, secret: string, body: string, headers: Record<string, string>, timeout: number) {
  const t0 = performance.now();
  const took = () => Math.round(performance.now() - t0);
  try {
    const r = await postWithTimeout(
      url,
      { headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: sign(secret, body), ...headers }, body },
      timeout,
    );
    const ok = r.status >= 200 && r.status < 300;
    return { ok, response_status: r.status, error: ok ? null : `HTTP ${r.status}`, duration_ms: took() };
  } catch (err) {
    return { ok: false, response_status: null, error: (err as Error).message.slice(0, 300), duration_ms: took() };
  }
}

function deliverer(ctx: PluginContext<Settings>) {
  const { db, config } = ctx;

  async function attempt(d: Due): Promise<Attempt> {
    const body = JSON.stringify(d.payload);
    const r = await post(
      d.url,
      ctx.secrets.open(d.secret_enc),
      body,
      { 'X-Wispd-Event': d.type, 'X-Wispd-Delivery': d.id },
      config.timeout,
    );
    const last = d.attempts >= config.attempts;
    const status = r.ok ? 'delivered' : last ? 'failed' : 'queued';
    const wait = Math.min(config.retry_backoff * 2 ** (d.attempts - 1), 6 * 3_600_000);
    await db.query(
      `UPDATE ${T}.delivery SET status = $2, response_status = $3, error = $4, duration_ms = $5,
              next_at = now() + make_interval(secs => $6), delivered_at = CASE WHEN $2 = 'delivered' THEN now() END
        WHERE id = $1`,
      [d.id, status, r.response_status, r.error, r.duration_ms, wait / 1000],
    );
    if (!r.ok)
      ctx.log.warn({ delivery: d.id, url: d.url, attempts: d.attempts, err: r.error }, 'webhook delivery failed');
    return { status, response_status: r.response_status, error: r.error, duration_ms: r.duration_ms };
  }

  /** Claims due deliveries (a lease, so a crash mid-send leaves them to the next run) and sends them. */
  async function run(budgetMs = 20_000): Promise<number> {
    const until = Date.now() + budgetMs;
    let sent = 0;
    while (Date.now() < until) {
      const { rows } = await db.query<Due>(
        `UPDATE ${T}.delivery d SET attempts = d.attempts + 1, next_at = now() + interval '2 minutes'
           FROM ${T}.endpoint e
          WHERE e.id = d.endpoint_id AND d.id IN (
                SELECT id FROM ${T}.delivery WHERE status = 'queued' AND next_at <= now()
                 ORDER BY next_at, id LIMIT $1 FOR UPDATE SKIP LOCKED)
          RETURNING d.id::text, d.endpoint_id, d.event_id, d.type, d.payload, d.attempts, e.url, e.secret_enc`,
        [config.concurrency * 4],
      );
      if (rows.length === 0) break;
      for (let i = 0; i < rows.length; i += config.concurrency) {
        // One that cannot be recorded stays claimed and is sent again when its lease ends; the others go on.
        const done = await Promise.allSettled(rows.slice(i, i + config.concurrency).map(attempt));
        for (const r of done)
          if (r.status === 'rejected')
            ctx.log.warn({ err: (r.reason as Error).message }, 'a webhook delivery could not be recorded; retried');
      }
      sent += rows.length;
    }
    return sent;
  }
  return { run, attempt };
}

export default definePlugin({
  name: 'webhooks',
  version: '1.0.0',
  wispd: '>=0.1',
  config: settings,
  migrations: new URL('./migrations/', import.meta.url),
  permissions: { view: ['noc', 'support', 'readonly'], manage: [] },
  register(ctx) {
    const { db } = ctx;
    const delivery = deliverer(ctx);

    // Every event, one row per endpoint that wants it, in the handler's transaction: queued once per event. A batch
    // in one statement: a plugin that follows every accounting event keeps up with them.
    ctx.onBatch(
      EVENT_TYPES,
      async (all: EventEnvelope[], tx) => {
        // Only what some endpoint wants is queued (most accounting events usually are not): one small query first.
        const { rows } = await tx.query<{ types: string[] | null }>(
          `SELECT array_agg(DISTINCT t) AS types FROM ${T}.endpoint, unnest(events) AS t WHERE enabled`,
        );
        const wanted = new Set(rows[0]?.types ?? []);
        const events = wanted.has('*') ? all : all.filter((e) => wanted.has(e.type));
        if (events.length === 0) return;
        await tx.query(
          `INSERT INTO ${T}.delivery (endpoint_id, event_id, type, payload)
           SELECT e.id, x.id, x.type, x.payload
             FROM unnest($1::uuid[], $2::text[], $3::jsonb[]) AS x(id, type, payload)
             JOIN ${T}.endpoint e ON e.enabled AND (x.type = ANY(e.events) OR '*' = ANY(e.events))
           ON CONFLICT (endpoint_id, event_id) DO NOTHING`,
          [events.map((e) => e.id), events.map((e) => e.type), events.map((e) => JSON.stringify(e))],
        );
      },
      { name: 'queue' },
    );
    ctx.job('deliver', { every: '1s' }, () => delivery.run(), { timeout: 60_000 });

    ctx.admin.resource('endpoints', {
      title: 'Webhook endpoints',
      intro:
        'Core events POSTed to your systems, signed with each endpoint’s secret (X-Wispd-Signature, as Stripe signs).',
      list: {
        path: 'endpoints',
        columns: [
          { key: 'id', label: 'Id' },
          { key: 'url', label: 'URL' },
          { key: 'events', label: 'Events' },
          { key: 'description', label: 'Description' },
          { key: 'enabled', label: 'Enabled' },
          { key: 'delivered', label: 'Delivered' },
          { key: 'queued', label: 'Queued' },
          { key: 'failed', label: 'Failed' },
        ],
      },
      form: {
        title: 'New endpoint',
        path: 'endpoints',
        submit: 'Add endpoint',
        fields: [
          { key: 'url', label: 'URL', type: 'url', required: true },
          { key: 'events', label: 'Events', type: 'multiselect', options: ['*', ...EVENT_TYPES], required: true },
          { key: 'description', label: 'Description', type: 'text' },
        ],
        show: ['secret'],
      },
    });
    ctx.admin.action('endpoints', {
      label: 'Send test',
      method: 'POST',
      path: 'endpoints/{id}/test',
      show: { message: ['status', 'response_status', 'error', 'duration_ms'] },
    });
    ctx.admin.action('endpoints', {
      label: 'Deliveries',
      method: 'GET',
      path: 'endpoints/{id}/deliveries',
      show: {
        table: [
          { key: 'created_at', label: 'Time' },
          { key: 'type', label: 'Event' },
          { key: 'status', label: 'Status' },
          { key: 'attempts', label: 'Attempts' },
          { key: 'response_status', label: 'HTTP' },
          { key: 'error', label: 'Error' },
          { key: 'next_at', label: 'Next attempt' },
        ],
      },
    });
    ctx.admin.action('endpoints', {
      label: 'Disable',
      method: 'PATCH',
      path: 'endpoints/{id}',
      body: { enabled: false },
      when: { key: 'enabled', equals: true },
    });
    ctx.admin.action('endpoints', {
      label: 'Enable',
      method: 'PATCH',
      path: 'endpoints/{id}',
      body: { enabled: true },
      when: { key: 'enabled', equals: false },
    });
    ctx.admin.action('endpoints', {
      label: 'Delete',
      method: 'DELETE',
      path: 'endpoints/{id}',
      confirm: 'Delete this endpoint and its delivery log?',
    });

    ctx.routes.staff((app) => {
      const endpoint = async (id: number) => {
        const { rows } = await db.query<Endpoint>(`SELECT ${ENDPOINT_COLUMNS} FROM ${T}.endpoint WHERE id = $1`, [id]);
        return rows[0];
      };
      const missing = (reply: { code(n: number): { send(b: unknown): unknown } }, id: unknown) =>
        reply.code(404).send({ error: 'WISPD_NOT_FOUND', message: `no webhook endpoint ${String(id)}` });
      const refused = (reply: { code(n: number): { send(b: unknown): unknown } }, err: unknown) =>
        reply.code(400).send({ error: 'WISPD_INVALID_INPUT', message: (err as Error).message });

      app.get('/endpoints', { preHandler: ctx.allow('view') }, async () => {
        const { rows } = await db.query(
          `SELECT ${ENDPOINT_COLUMNS.split(', ')
            .map((c) => `e.${c}`)
            .join(', ')},
                  count(d.*) FILTER (WHERE d.status = 'delivered')::int AS delivered,
                  count(d.*) FILTER (WHERE d.status = 'queued')::int AS queued,
                  count(d.*) FILTER (WHERE d.status = 'failed')::int AS failed
             FROM ${T}.endpoint e LEFT JOIN ${T}.delivery d ON d.endpoint_id = e.id
            GROUP BY e.id ORDER BY e.id`,
        );
        return { data: rows };
      });

      app.post<{ Body: { url?: string; events?: string[]; description?: string; secret?: string } }>(
        '/endpoints',
        { preHandler: ctx.allow('manage') },
        async (request, reply) => {
          let url: string;
          let events: string[];
          try {
            url = checkUrl(request.body?.url);
            events = checkEvents(request.body?.events);
          } catch (err) {
            return refused(reply, err);
          }
          const secret = request.body.secret || `whsec_${randomBytes(24).toString('base64url')}`;
          const { rows } = await db.query<Endpoint>(
            `INSERT INTO ${T}.endpoint (url, description, events, secret_enc, created_by)
             VALUES ($1, $2, $3, $4, $5) RETURNING ${ENDPOINT_COLUMNS}`,
            [url, String(request.body.description ?? ''), events, ctx.secrets.seal(secret), request.staff?.email ?? ''],
          );
          await ctx.audit(request, { action: 'endpoint.new', recordId: rows[0]!.id, after: rows[0] });
          // The secret is shown this once; it is stored sealed.
          return reply.code(201).send({ endpoint: rows[0], secret });
        },
      );

      app.patch<{
        Params: { id: string };
        Body: { url?: string; events?: string[]; description?: string; enabled?: boolean };
      }>('/endpoints/:id', { preHandler: ctx.allow('manage') }, async (request, reply) => {
        const before = await endpoint(Number(request.params.id));
        if (!before) return missing(reply, request.params.id);
        const b = request.body ?? {};
        let url = before.url;
        let events = before.events;
        try {
          if (b.url !== undefined) url = checkUrl(b.url);
          if (b.events !== undefined) events = checkEvents(b.events);
        } catch (err) {
          return refused(reply, err);
        }
        const { rows } = await db.query<Endpoint>(
          `UPDATE ${T}.endpoint SET url = $2, events = $3, description = $4, enabled = $5, updated_at = now()
              WHERE id = $1 RETURNING ${ENDPOINT_COLUMNS}`,
          [before.id, url, events, b.description ?? before.description, b.enabled ?? before.enabled],
        );
        await ctx.audit(request, { action: 'endpoint.edit', recordId: before.id, before, after: rows[0] });
        return { endpoint: rows[0] };
      });

      app.delete<{ Params: { id: string } }>(
        '/endpoints/:id',
        { preHandler: ctx.allow('manage') },
        async (request, reply) => {
          const before = await endpoint(Number(request.params.id));
          if (!before) return missing(reply, request.params.id);
          await db.query(`DELETE FROM ${T}.endpoint WHERE id = $1`, [before.id]);
          await ctx.audit(request, { action: 'endpoint.delete', recordId: before.id, before });
          return { deleted: before.id };
        },
      );

      app.get<{ Params: { id: string }; Querystring: { limit?: string } }>(
        '/endpoints/:id/deliveries',
        { preHandler: ctx.allow('view') },
        async (request, reply) => {
          const e = await endpoint(Number(request.params.id));
          if (!e) return missing(reply, request.params.id);
          const { rows } = await db.query(
            `SELECT id::text, event_id, type, status, attempts, response_status, error, duration_ms, created_at,
                    delivered_at, CASE WHEN status = 'queued' THEN next_at END AS next_at
               FROM ${T}.delivery WHERE endpoint_id = $1 ORDER BY id DESC LIMIT $2`,
            [e.id, Math.min(Number(request.query.limit ?? 50) || 50, 500)],
          );
          return { data: rows };
        },
      );

      // "Send test": a webhook.test event to this endpoint now, answered with how it went, and kept in the log.
      app.post<{ Params: { id: string } }>(
        '/endpoints/:id/test',
        { preHandler: ctx.allow('manage') },
        async (request, reply) => {
          const e = await endpoint(Number(request.params.id));
          if (!e) return missing(reply, request.params.id);
          const event = {
            id: crypto.randomUUID(),
            type: 'webhook.test',
            occurredAt: new Date().toISOString(),
            subject: `endpoint ${e.id}`,
            data: { sent_by: request.staff?.email ?? '' },
          };
          const { rows } = await db.query<Due>(
            `INSERT INTO ${T}.delivery (endpoint_id, event_id, type, payload, attempts, next_at)
             VALUES ($1, $2, 'webhook.test', $3, 1, now() + interval '5 minutes')
             RETURNING id::text, endpoint_id, event_id, type, payload, attempts,
                       (SELECT url FROM ${T}.endpoint WHERE id = $1) AS url,
                       (SELECT secret_enc FROM ${T}.endpoint WHERE id = $1) AS secret_enc`,
            [e.id, event.id, event],
          );
          // A test is one attempt, not retried.
          const result = await delivery.attempt({ ...rows[0]!, attempts: ctx.config.attempts });
          await ctx.audit(request, { action: 'endpoint.test', recordId: e.id, after: result });
          return { delivery: rows[0]!.id, ...result };
        },
      );

      app.post<{ Params: { id: string } }>(
        '/deliveries/:id/retry',
        { preHandler: ctx.allow('manage') },
        async (request, reply) => {
          const { rows } = await db.query(
            `UPDATE ${T}.delivery SET status = 'queued', attempts = 0, next_at = now() WHERE id = $1 AND status = 'failed'
           RETURNING id::text`,
            [request.params.id],
          );
          if (!rows[0])
            return reply
              .code(404)
              .send({ error: 'WISPD_NOT_FOUND', message: `no failed delivery ${request.params.id}` });
          await ctx.audit(request, { action: 'delivery.retry', recordId: request.params.id });
          return { queued: request.params.id };
        },
      );
    });
  },
  health: async () => ({ ok: true }),
});

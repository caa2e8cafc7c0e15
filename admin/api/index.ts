/**
 * The REST API for integrations, `/api/v1/`: customers, subscribers, plans, NAS, sessions (live and history), usage,
 * devices, CoA operations, and the API tokens themselves. A caller is a staff session or an API token
 * (`Authorization: Bearer wat_…`), and every route is checked against admin/permissions.ts for its role; writes go
 * through the core's commands (daemon/commands/), audited as the caller (`token:<name>` for a token). Lists are pages
 * of `limit` rows after the id `after`, with `next` for the following page. The OpenAPI document is generated from
 * these routes' schemas (`@fastify/swagger`) at `/api/v1/openapi.json`, with a page at `/api/v1/docs`.
 */
import swagger from '@fastify/swagger';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { CoreCommands } from '../../daemon/commands/index.ts';
import { createApiToken, listApiTokens, revokeApiToken } from '../../daemon/model/api-token.ts';
import type { Transactional } from '../../daemon/model/audit.ts';
import { notFound } from '../../daemon/model/db.ts';
import type { Sessions } from '../../daemon/radius/sessions/index.ts';
import type { ClickhouseStore } from '../../daemon/store/clickhouse/index.ts';
import { version } from '../../daemon/version.ts';
import { actorOf, type StaffAuth } from '../auth.ts';
import { docsPage } from './docs.ts';
import * as S from './schemas.ts';

export interface ApiDeps {
  db: Transactional;
  /** The core's commands as one actor runs them. */
  core?: (actor: string) => CoreCommands;
  sessions?: Pick<Sessions, 'all' | 'forUser'>;
  clickhouse?: Pick<ClickhouseStore, 'query'>;
}

const PREFIX = '/api/v1';

interface SubscriberBody {
  plan?: string;
  username?: string;
  password?: string;
  customer_id?: number;
  status?: string;
  ip?: string;
  mac?: string;
  cycle_day?: number;
}

/** A page of rows ordered by id: `limit` of them after `after`. */
interface Page {
  limit?: number;
  after?: number;
}
const paged = <T extends { id: number }>(rows: T[], limit: number) => ({
  data: rows,
  next: rows.length === limit ? rows[rows.length - 1]!.id : null,
});

/** Registers @fastify/swagger on the app: call before any route is added, so that it sees them all. */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'wispd API',
        version,
        description:
          'The integration API of wispd. Authenticate with `Authorization: Bearer <API token>` (wispd admin create-token). Lists are paged: pass `next` as `after`.',
      },
      servers: [{ url: '/' }],
      components: { securitySchemes: { token: { type: 'http', scheme: 'bearer' } } },
      security: [{ token: [] }],
    },
    // Only the API: the panel's and the plugins' routes are not in the document.
    hideUntagged: true,
  });
}

export function registerApi(app: FastifyInstance, auth: StaffAuth, deps: ApiDeps): void {
  const { db } = deps;
  const core = (request: FastifyRequest) => {
    if (!deps.core) throw new Error('the core commands are not available in this process');
    return deps.core(actorOf(request).name);
  };
  const route = (tag: string, summary: string, extra: Record<string, unknown> = {}) => ({
    schema: { tags: [tag], summary, ...extra },
  });

  app.get(`${PREFIX}/openapi.json`, { schema: { hide: true } }, async () => app.swagger());
  app.get(`${PREFIX}/docs`, { schema: { hide: true } }, async (_request, reply) =>
    reply.type('text/html; charset=utf-8').send(docsPage(app.swagger() as never)),
  );

  const oneCustomer = async (id: number) => {
    const { rows } = await db.query(`SELECT ${S.CUSTOMER_COLUMNS} FROM customer c WHERE c.id = $1`, [id]);
    if (!rows[0]) throw notFound('customer', String(id));
    return rows[0];
  };

  // Customers
  app.get<{ Querystring: Page & { q?: string } }>(
    `${PREFIX}/customers`,
    {
      preHandler: auth.guard('customer', 'list'),
      ...route('customers', 'List customers', {
        querystring: S.page({ q: { type: 'string', description: 'in the name or the email' } }),
        response: { 200: S.pageOf(S.customer) },
      }),
    },
    async (request) => {
      const { limit = 100, after = 0, q } = request.query;
      const { rows } = await db.query<{ id: number }>(
        `SELECT ${S.CUSTOMER_COLUMNS} FROM customer c
          WHERE c.id > $1 AND ($3::text IS NULL OR c.name ILIKE '%' || $3 || '%' OR c.email ILIKE '%' || $3 || '%')
          ORDER BY c.id LIMIT $2`,
        [after, limit, q ?? null],
      );
      return paged(rows, limit);
    },
  );
  app.get<{ Params: { id: number } }>(
    `${PREFIX}/customers/:id`,
    {
      preHandler: auth.guard('customer', 'show'),
      ...route('customers', 'One customer', { params: S.idParam, response: { 200: S.customer } }),
    },
    async (request) => oneCustomer(request.params.id),
  );
  app.post<{ Body: { name: string; email?: string; phone?: string; address?: string } }>(
    `${PREFIX}/customers`,
    {
      preHandler: auth.guard('customer', 'new'),
      ...route('customers', 'Create a customer', { body: S.customerInput(['name']), response: { 201: S.customer } }),
    },
    async (request, reply) =>
      reply.code(201).send(await oneCustomer((await core(request).createCustomer(request.body)).id)),
  );
  app.patch<{ Params: { id: number }; Body: { name?: string; email?: string; phone?: string; address?: string } }>(
    `${PREFIX}/customers/:id`,
    {
      preHandler: auth.guard('customer', 'edit'),
      ...route('customers', 'Change a customer', {
        params: S.idParam,
        body: { ...S.customerInput([]), minProperties: 1 },
        response: { 200: S.customer },
      }),
    },
    async (request) => oneCustomer((await core(request).updateCustomer(request.params.id, request.body)).id),
  );

  // Subscribers
  app.get<{ Querystring: Page & { plan?: string; status?: string; customer?: number; q?: string } }>(
    `${PREFIX}/subscribers`,
    {
      preHandler: auth.guard('subscriber', 'list'),
      ...route('subscribers', 'List subscribers', {
        querystring: S.page({
          plan: { type: 'string' },
          status: { type: 'string', enum: ['active', 'suspended', 'expired'] },
          customer: { type: 'integer', minimum: 1 },
          q: { type: 'string', description: 'in the username' },
        }),
        response: { 200: S.pageOf(S.subscriber) },
      }),
    },
    async (request) => {
      const { limit = 100, after = 0, plan, status, customer, q } = request.query;
      const { rows } = await db.query<{ id: number }>(
        `SELECT ${S.SUBSCRIBER_COLUMNS} FROM subscriber s JOIN plan p ON p.id = s.plan_id
          WHERE s.id > $1 AND ($3::text IS NULL OR p.name = $3) AND ($4::text IS NULL OR s.status = $4)
            AND ($5::int IS NULL OR s.customer_id = $5) AND ($6::text IS NULL OR s.username ILIKE '%' || $6 || '%')
          ORDER BY s.id LIMIT $2`,
        [after, limit, plan ?? null, status ?? null, customer ?? null, q ?? null],
      );
      return paged(rows, limit);
    },
  );
  const oneSubscriber = async (username: string) => {
    const { rows } = await db.query(
      `SELECT ${S.SUBSCRIBER_COLUMNS} FROM subscriber s JOIN plan p ON p.id = s.plan_id WHERE s.username = $1`,
      [username],
    );
    if (!rows[0]) throw notFound('subscriber', username);
    return rows[0];
  };
  app.get<{ Params: { username: string } }>(
    `${PREFIX}/subscribers/:username`,
    {
      preHandler: auth.guard('subscriber', 'show'),
      ...route('subscribers', 'One subscriber', { params: S.usernameParam, response: { 200: S.subscriber } }),
    },
    async (request) => oneSubscriber(request.params.username),
  );
  app.post<{ Body: SubscriberBody & { plan: string } }>(
    `${PREFIX}/subscribers`,
    {
      preHandler: auth.guard('subscriber', 'new'),
      ...route('subscribers', 'Create a subscriber (the password is generated when not given, and returned once)', {
        body: S.subscriberInput(['plan']),
        response: {
          201: {
            type: 'object',
            properties: { subscriber: S.subscriber, password: { type: 'string' } },
          },
        },
      }),
    },
    async (request, reply) => {
      const b = request.body;
      const { subscriber, password } = await core(request).createSubscriber({
        plan: b.plan,
        ...(b.username ? { username: b.username } : {}),
        ...(b.password ? { password: b.password } : {}),
        ...(b.customer_id ? { customerId: b.customer_id } : {}),
        ...(b.ip ? { ip: b.ip } : {}),
        ...(b.mac ? { mac: b.mac } : {}),
        ...(b.status ? { status: b.status } : {}),
        ...(b.cycle_day ? { cycleDay: b.cycle_day } : {}),
      });
      return reply.code(201).send({ subscriber: await oneSubscriber(subscriber.username), password });
    },
  );
  app.patch<{ Params: { username: string }; Body: SubscriberBody }>(
    `${PREFIX}/subscribers/:username`,
    {
      preHandler: auth.guard('subscriber', 'edit'),
      ...route('subscribers', 'Change a subscriber (a new plan reaches the live sessions by CoA)', {
        params: S.usernameParam,
        body: { ...S.subscriberInput([]), minProperties: 1 },
        response: { 200: S.subscriber },
      }),
    },
    async (request) => {
      const b = request.body;
      const change = Object.fromEntries(
        Object.entries({
          plan: b.plan,
          password: b.password,
          status: b.status,
          ip: b.ip,
          mac: b.mac,
          cycleDay: b.cycle_day,
          customerId: b.customer_id,
        }).filter(([, v]) => v !== undefined),
      );
      await core(request).updateSubscriber(request.params.username, change);
      return oneSubscriber(request.params.username);
    },
  );
  app.post<{
    Params: { username: string };
    Body: { reason: string; effect: string; rate_down?: number; rate_up?: number; profile?: string; note?: string };
  }>(
    `${PREFIX}/subscribers/:username/restrictions`,
    {
      preHandler: auth.guard('subscriber', 'suspend'),
      ...route('coa', 'Restrict for a reason (the most severe reason is in force; the live sessions follow by CoA)', {
        params: S.usernameParam,
        body: S.restrictionInput,
      }),
    },
    async (request) => {
      const b = request.body;
      return core(request).restrict(request.params.username, {
        reason: b.reason,
        effect: b.effect,
        ...(b.rate_down ? { rateDown: b.rate_down } : {}),
        ...(b.rate_up ? { rateUp: b.rate_up } : {}),
        ...(b.profile ? { profile: b.profile } : {}),
        ...(b.note ? { note: b.note } : {}),
      });
    },
  );
  app.delete<{ Params: { username: string; reason: string }; Querystring: { note?: string } }>(
    `${PREFIX}/subscribers/:username/restrictions/:reason`,
    {
      preHandler: auth.guard('subscriber', 'resume'),
      ...route('coa', 'Lift one reason (the others stay)', {
        params: { type: 'object', properties: { username: { type: 'string' }, reason: { type: 'string' } } },
        querystring: { type: 'object', properties: { note: { type: 'string' } } },
      }),
    },
    async (request) => core(request).unrestrict(request.params.username, request.params.reason, request.query.note),
  );
  app.post<{ Params: { username: string }; Body: { bytes: number } }>(
    `${PREFIX}/subscribers/:username/topup`,
    {
      preHandler: auth.guard('fup', 'topup'),
      ...route('coa', 'Add data to the fair-usage quota of the period (a throttle it ends is lifted by CoA)', {
        params: S.usernameParam,
        body: {
          type: 'object',
          required: ['bytes'],
          additionalProperties: false,
          properties: { bytes: { type: 'integer', minimum: 1 } },
        },
      }),
    },
    async (request) => ({ usage: await core(request).topup(request.params.username, request.body.bytes) }),
  );
  app.post<{ Params: { username: string }; Body: { reason?: string } }>(
    `${PREFIX}/subscribers/:username/disconnect`,
    {
      preHandler: auth.guard('session', 'disconnect'),
      ...route('coa', 'Disconnect every live session of the subscriber', {
        params: S.usernameParam,
        body: { type: 'object', additionalProperties: false, properties: { reason: { type: 'string' } } },
      }),
    },
    async (request) => ({ results: await core(request).disconnect(request.params.username, request.body?.reason) }),
  );

  // Plans, NAS, devices
  for (const [path, tag, resource, sql] of [
    ['plans', 'plans', 'plan', `SELECT ${S.PLAN_COLUMNS} FROM plan WHERE id > $1 ORDER BY id LIMIT $2`],
    ['nas', 'nas', 'nas', `SELECT ${S.NAS_COLUMNS} FROM nas WHERE id > $1 ORDER BY id LIMIT $2`],
    [
      'devices',
      'devices',
      'device',
      `SELECT ${S.DEVICE_COLUMNS} FROM device d LEFT JOIN site s ON s.id = d.site_id LEFT JOIN device p ON p.id = d.parent_id
        WHERE d.id > $1 ORDER BY d.id LIMIT $2`,
    ],
  ] as const) {
    app.get<{ Querystring: Page }>(
      `${PREFIX}/${path}`,
      {
        preHandler: auth.guard(resource, 'list'),
        ...route(tag, `List ${path}`, {
          querystring: S.page({}),
          response: { 200: S.pageOf(S.bySection[resource]) },
        }),
      },
      async (request) => {
        const { limit = 100, after = 0 } = request.query;
        const { rows } = await db.query<{ id: number }>(sql, [after, limit]);
        return paged(rows, limit);
      },
    );
  }

  // Sessions
  app.get<{ Querystring: { username?: string; limit?: number; offset?: number } }>(
    `${PREFIX}/sessions`,
    {
      preHandler: auth.guard('session', 'list'),
      ...route('sessions', 'Live sessions', {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            username: { type: 'string' },
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
            offset: { type: 'integer', minimum: 0, default: 0 },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: { data: { type: 'array', items: S.session }, total: { type: 'integer' } },
          },
        },
      }),
    },
    async (request) => {
      const { username, limit = 100, offset = 0 } = request.query;
      const all = username ? (deps.sessions?.forUser(username) ?? []) : [...(deps.sessions?.all() ?? [])];
      all.sort((a, b) => a.startedAt - b.startedAt || a.acctSessionId.localeCompare(b.acctSessionId));
      return {
        total: all.length,
        data: all.slice(offset, offset + limit).map((s) => ({
          username: s.username,
          acct_session_id: s.acctSessionId,
          framed_ip: s.framedIp,
          calling_station_id: s.callingStationId,
          nas_address: s.nasAddress,
          started_at: new Date(s.startedAt).toISOString(),
          session_time: s.sessionTime,
          input_octets: s.inputOctets,
          output_octets: s.outputOctets,
        })),
      };
    },
  );
  app.get<{ Querystring: { username: string; limit?: number } }>(
    `${PREFIX}/sessions/history`,
    {
      preHandler: auth.guard('session', 'list'),
      ...route('sessions', 'A subscriber’s ended sessions, newest first (from the accounting records)', {
        querystring: {
          type: 'object',
          required: ['username'],
          additionalProperties: false,
          properties: {
            username: { type: 'string' },
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
          },
        },
      }),
    },
    async (request) => {
      if (!deps.clickhouse) return { data: [] };
      const data = await deps.clickhouse.query(
        `SELECT acct_session_id, nas, toString(framed_ip) AS framed_ip, toString(event_time) AS ended_at, session_time,
                input_octets, output_octets, terminate_cause
           FROM radius_accounting WHERE username = {u:String} AND status = 'Stop'
          ORDER BY ts DESC LIMIT {n:UInt32}`,
        { u: request.query.username, n: request.query.limit ?? 100 },
      );
      return { data };
    },
  );

  // API tokens (admins)
  app.get(
    `${PREFIX}/tokens`,
    { preHandler: auth.guard('api_token', 'list'), ...route('tokens', 'List API tokens (never their secrets)') },
    async () => ({ data: await listApiTokens(db) }),
  );
  app.post<{ Body: { name: string; role: string; expires_at?: string } }>(
    `${PREFIX}/tokens`,
    {
      preHandler: auth.guard('api_token', 'new'),
      ...route('tokens', 'Create an API token: the secret is in this answer only', {
        body: {
          type: 'object',
          required: ['name', 'role'],
          additionalProperties: false,
          properties: {
            name: { type: 'string' },
            role: { type: 'string', enum: ['admin', 'noc', 'billing', 'support', 'readonly'] },
            expires_at: { type: 'string', format: 'date-time' },
          },
        },
      }),
    },
    async (request, reply) => {
      const { token, apiToken } = await createApiToken(db, actorOf(request), {
        name: request.body.name,
        role: request.body.role,
        expiresAt: request.body.expires_at ? new Date(request.body.expires_at) : null,
      });
      return reply.code(201).send({ token, ...apiToken });
    },
  );
  app.delete<{ Params: { name: string } }>(
    `${PREFIX}/tokens/:name`,
    { preHandler: auth.guard('api_token', 'delete'), ...route('tokens', 'Revoke an API token') },
    async (request) => revokeApiToken(db, actorOf(request), request.params.name),
  );
}

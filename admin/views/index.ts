/**
 * The data behind the subscriber page and the dashboard, as JSON for the panel:
 *
 * - `GET /admin/api/views/subscriber/:username?limit=&days=` (subscriber show): status, plan, online now, the last
 *   auth results, usage per day, FUP state, CoA history. 404 `WISPD_NOT_FOUND` for an unknown username.
 * - `GET /admin/api/views/dashboard?limit=&minutes=` (session list, which every role has): online sessions, auth and
 *   accounting rates, rejects by reason, FUP-restricted subscribers, devices down, top users today.
 *
 * - `GET /admin/session/:nasId/:acctSessionId/disconnect` (session disconnect): the live session's Disconnect form
 *   in the panel, for the subscriber page's link (its sessions come from memory, without the table's row id).
 *
 * A section whose store cannot answer is null and named in `unavailable`; the rest of the answer stands.
 */
import type { FastifyInstance } from 'fastify';
import type { StaffAuth } from '../auth.ts';
import { dashboard } from './dashboard.ts';
import type { ViewsDeps } from './deps.ts';
import { subscriberOverview } from './subscriber.ts';

export type { Dashboard } from './dashboard.ts';
export { dashboard } from './dashboard.ts';
export type { ViewsDeps } from './deps.ts';
export type { SubscriberOverview } from './subscriber.ts';
export { subscriberOverview } from './subscriber.ts';

export interface ViewsCounters {
  subscriber_pages: number;
  dashboards: number;
  /** Sections answered as unavailable (their store failed); the store's own counters say why. */
  sections_unavailable: number;
}

export interface Views {
  counters(): Readonly<ViewsCounters>;
}

export function registerViews(app: FastifyInstance, auth: StaffAuth, deps: ViewsDeps): Views {
  const counters: ViewsCounters = { subscriber_pages: 0, dashboards: 0, sections_unavailable: 0 };

  app.get<{ Params: { username: string }; Querystring: { limit?: number; days?: number } }>(
    '/admin/api/views/subscriber/:username',
    {
      preHandler: auth.guard('subscriber', 'show'),
      schema: {
        params: {
          type: 'object',
          required: ['username'],
          properties: { username: { type: 'string', minLength: 1, maxLength: 253 } },
        },
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            limit: { type: 'integer', minimum: 1, maximum: 200 },
            days: { type: 'integer', minimum: 1, maximum: 366 },
          },
        },
      },
    },
    async (request, reply) => {
      const page = await subscriberOverview(deps, request.params.username, request.query);
      counters.subscriber_pages++;
      counters.sections_unavailable += page.unavailable.length;
      return reply.header('cache-control', 'no-store').send(page);
    },
  );

  app.get<{ Params: { nasId: string; acctSessionId: string } }>(
    '/admin/session/:nasId/:acctSessionId/disconnect',
    { preHandler: auth.guard('session', 'disconnect') },
    async (request, reply) => {
      // Sessions are written behind, within a second of their start: one just begun is waited for that long.
      let id: string | undefined;
      for (let tries = 0; tries < 15 && id === undefined; tries++) {
        if (tries > 0) await new Promise((r) => setTimeout(r, 100));
        const { rows } = await deps.postgres.query<{ id: string }>(
          'SELECT id FROM radius_session WHERE nas_id = $1 AND acct_session_id = $2',
          [Number(request.params.nasId) || 0, request.params.acctSessionId],
        );
        id = rows[0]?.id;
      }
      if (id === undefined) {
        return reply.code(404).send({ error: 'WISPD_NOT_FOUND', message: 'no such live session (it may have ended)' });
      }
      return reply.redirect(`/admin/resources/radius_session/records/${id}/disconnect`);
    },
  );

  app.get<{ Querystring: { limit?: number; minutes?: number } }>(
    '/admin/api/views/dashboard',
    {
      preHandler: auth.guard('session', 'list'),
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            limit: { type: 'integer', minimum: 1, maximum: 200 },
            minutes: { type: 'integer', minimum: 1, maximum: 180 },
          },
        },
      },
    },
    async (request, reply) => {
      const view = await dashboard(deps, request.query);
      counters.dashboards++;
      counters.sections_unavailable += view.unavailable.length;
      return reply.header('cache-control', 'no-store').send(view);
    },
  );

  return { counters: () => ({ ...counters }) };
}

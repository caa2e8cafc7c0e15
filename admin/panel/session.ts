/**
 * AdminJS behind the staff session of admin/auth.ts: every panel route resolves the session cookie and hands AdminJS
 * the staff member as `request.session.adminUser` (what @adminjs/fastify reads); without a session a page redirects
 * to /admin/login and an API call gets 401. Each AdminJS API call is also checked against admin/permissions.ts here,
 * before AdminJS runs anything of it (its own check comes after the action's `before` hooks): 403 when the role may
 * not. The login page posts to the existing POST /admin/api/login; /admin/logout offers to end the session by
 * POST /admin/api/logout.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Transactional } from '../../daemon/model/audit.ts';
import { type Staff, sessionStaff } from '../../daemon/model/staff.ts';
import { SESSION_COOKIE } from '../auth.ts';
import { can } from '../permissions.ts';
import { type PanelAdmin, permissionOf } from './access.ts';
import { LOGIN_PAGE, LOGOUT_PAGE } from './login-page.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** What @adminjs/fastify reads the current admin from. */
    session: { adminUser: PanelAdmin } | null;
  }
}

export const ROOT = '/admin';

export interface PanelSessionCounters {
  panel_unauthorized: number;
  panel_forbidden: number;
}

export interface PanelSessionDeps {
  db: Transactional;
  now: () => number;
}

const isPublic = (path: string) =>
  path === `${ROOT}/login` || path === `${ROOT}/logout` || path.startsWith(`${ROOT}/frontend/assets/`);

export const panelAdminOf = (staff: Staff, address: string): PanelAdmin => ({
  id: staff.id,
  email: staff.email,
  role: staff.role,
  title: staff.role,
  address,
});

/** The AdminJS action an API route runs: its `:action`, or `search` for the search route. */
function apiAction(request: FastifyRequest): { resourceId: string; action: string } | undefined {
  const params = request.params as { resourceId?: string; action?: string } | undefined;
  if (!params?.resourceId) return undefined;
  return { resourceId: params.resourceId, action: params.action ?? 'search' };
}

/** Adds the hooks and the login and logout routes to `app`, the encapsulated context AdminJS is mounted in. */
export function guardPanel(app: FastifyInstance, deps: PanelSessionDeps): PanelSessionCounters {
  const counters: PanelSessionCounters = { panel_unauthorized: 0, panel_forbidden: 0 };
  app.decorateRequest('session', null);

  const deny = (reply: FastifyReply, status: 401 | 403, message: string) =>
    reply.code(status).send({ error: status === 401 ? 'WISPD_STAFF_UNAUTHORIZED' : 'WISPD_STAFF_FORBIDDEN', message });

  app.addHook('onRequest', async (request, reply) => {
    // The route matched, not the URL as sent: `/admin/api/%72esources/…` is the resources route too.
    const path = request.routeOptions.url ?? request.url.split('?', 1)[0]!;
    if (isPublic(path)) return;
    // AdminJS runs an action's change for every method but GET (a HEAD on a delete route deleted): safe methods stay safe.
    if (request.method === 'HEAD' && path.startsWith(`${ROOT}/api/`)) {
      return reply.code(405).header('allow', 'GET, POST').send({ error: 'method not allowed', message: 'use GET' });
    }
    const token = request.cookies[SESSION_COOKIE];
    const staff = token ? await sessionStaff(deps.db, token, deps.now()) : undefined;
    if (!staff) {
      counters.panel_unauthorized++;
      if (path.startsWith(`${ROOT}/api/`)) return deny(reply, 401, 'log in first (POST /admin/api/login)');
      return reply.redirect(`${ROOT}/login`);
    }
    request.staff = staff;
    request.session = { adminUser: panelAdminOf(staff, request.ip) };
    const perPage = (request.query as { perPage?: unknown } | undefined)?.perPage;
    if (perPage !== undefined && !/^([1-9]\d?|[1-4]\d\d|500)$/.test(String(perPage))) {
      return reply
        .code(400)
        .send({ error: 'WISPD_INVALID_INPUT', message: 'perPage: a number of records from 1 to 500' });
    }
    const call = path.startsWith(`${ROOT}/api/resources/`) ? apiAction(request) : undefined;
    if (call) {
      const p = permissionOf(call.resourceId, call.action);
      if (!p || !can(staff.role, p.resource, p.action)) {
        counters.panel_forbidden++;
        return deny(
          reply,
          403,
          p
            ? `the ${staff.role} role may not ${p.action} ${p.resource}`
            : `no action ${call.action} on ${call.resourceId}`,
        );
      }
    }
  });

  app.get(`${ROOT}/login`, async (_request, reply) =>
    reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(LOGIN_PAGE),
  );

  app.get(`${ROOT}/logout`, async (_request, reply) =>
    reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(LOGOUT_PAGE),
  );

  return counters;
}

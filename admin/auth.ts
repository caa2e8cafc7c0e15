/**
 * Staff login, sessions and the permission check every panel route uses:
 *
 * - `POST /admin/api/login` `{email, password}` → an HttpOnly, SameSite=Lax session cookie. A wrong password, an
 *   unknown email and a disabled account get the same 401 after the same work; failures per email and per client
 *   address are limited (429 with Retry-After).
 * - `POST /admin/api/logout` ends the session; `GET /admin/api/me` says who is logged in and what their role allows.
 * - `guard(resource, action)`: a preHandler answering 401 without a valid session and 403 when the role may not
 *   (admin/permissions.ts); `write(request, …)`: the one way a route changes a record, audited.
 */
import cookie from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { AdminConfig } from '../config/schema.ts';
import { apiTokenCaller } from '../daemon/model/api-token.ts';
import { type Actor, appendAudit, audited, type Transactional, type Written } from '../daemon/model/audit.ts';
import type { Queryable } from '../daemon/model/db.ts';
import {
  authenticate,
  closeSession,
  normalizeEmail,
  openSession,
  type Staff,
  sessionStaff,
} from '../daemon/model/staff.ts';
import { LoginLimiter } from './login-limiter.ts';
import { type Action, can, grantsOf, type RESOURCE_ACTIONS, type Resource } from './permissions.ts';

export const SESSION_COOKIE = 'wispd_staff';

/** A staff member with a session, or an API token acting with its role (`token` names it). */
export type Caller = Staff & { token?: string };

declare module 'fastify' {
  interface FastifyRequest {
    /** The logged-in staff member (or the API token, as one), once a guard has checked the session. */
    staff: Caller | null;
  }
}

export interface AuthCounters {
  logins: number;
  login_failures: number;
  login_limited: number;
  logouts: number;
  unauthorized: number;
  forbidden: number;
  writes: number;
}

export interface StaffAuth {
  /** A preHandler: the request needs a session whose role may do `action` on `resource`. */
  guard<R extends Resource>(resource: R, action: (typeof RESOURCE_ACTIONS)[R][number]): preHandlerAsyncHookHandler;
  /** A preHandler: the request needs a session, whatever the role. */
  loggedIn: preHandlerAsyncHookHandler;
  /** Runs a write for the guarded request's staff member, with its audit row, in one transaction. */
  write<T>(
    request: FastifyRequest,
    what: { resource: Resource; action: Action },
    fn: (tx: Queryable) => Promise<Written<T>>,
  ): Promise<T>;
  readonly counters: Readonly<AuthCounters>;
}

export interface AuthDeps {
  postgres: Transactional;
  now: () => number;
}

const deny = (reply: FastifyReply, status: 401 | 403, message: string) =>
  reply.code(status).send({ error: status === 401 ? 'WISPD_STAFF_UNAUTHORIZED' : 'WISPD_STAFF_FORBIDDEN', message });

const unauthorized = (request: FastifyRequest) =>
  request.headers.authorization
    ? 'the API token is unknown, revoked or expired'
    : 'log in first (POST /admin/api/login), or send Authorization: Bearer <API token>';

const publicStaff = (s: Staff) => ({ id: s.id, email: s.email, role: s.role, lastLoginAt: s.lastLoginAt });

export function actorOf(request: FastifyRequest): Actor {
  if (!request.staff) throw new Error('actorOf: the route has no guard');
  if (request.staff.token) return { staffId: null, name: `token:${request.staff.token}`, address: request.ip };
  return { staffId: request.staff.id, name: request.staff.email, address: request.ip };
}

/** Registers the cookie parser and the login routes on `app`; returns the guard and write helpers for other routes. */
export async function registerStaffAuth(app: FastifyInstance, config: AdminConfig, deps: AuthDeps): Promise<StaffAuth> {
  const db = deps.postgres;
  const counters: AuthCounters = {
    logins: 0,
    login_failures: 0,
    login_limited: 0,
    logouts: 0,
    unauthorized: 0,
    forbidden: 0,
    writes: 0,
  };
  const limiter = new LoginLimiter({
    perEmail: config.login_failures,
    perAddress: config.login_failures_per_address,
    windowMs: config.login_window,
    now: deps.now,
  });
  const cookieOptions = {
    httpOnly: true,
    sameSite: 'lax' as const,
    secure: config.secure_cookie,
    path: '/',
  };

  await app.register(cookie);
  app.decorateRequest('staff', null);

  async function sessionOf(request: FastifyRequest): Promise<Caller | undefined> {
    // The REST API also takes `Authorization: Bearer wat_…` (an API token with a role).
    const bearer = request.url.startsWith('/api/') ? /^Bearer (\S+)$/.exec(request.headers.authorization ?? '') : null;
    if (bearer) {
      const t = await apiTokenCaller(db, bearer[1]!, deps.now());
      if (!t) return undefined;
      const at = t.createdAt;
      return {
        id: 0,
        email: `token:${t.name}`,
        role: t.role,
        disabled: false,
        createdAt: at,
        updatedAt: at,
        lastLoginAt: null,
        token: t.name,
      };
    }
    const token = request.cookies[SESSION_COOKIE];
    return token ? sessionStaff(db, token, deps.now()) : undefined;
  }

  const loggedIn: preHandlerAsyncHookHandler = async (request, reply) => {
    const staff = await sessionOf(request);
    if (!staff) {
      counters.unauthorized++;
      return deny(reply, 401, unauthorized(request));
    }
    request.staff = staff;
  };

  const auth: StaffAuth = {
    loggedIn,
    guard(resource, action) {
      return async (request, reply) => {
        const staff = await sessionOf(request);
        if (!staff) {
          counters.unauthorized++;
          return deny(reply, 401, unauthorized(request));
        }
        if (!can(staff.role, resource, action)) {
          counters.forbidden++;
          return deny(reply, 403, `the ${staff.role} role may not ${action} ${resource}`);
        }
        request.staff = staff;
      };
    },
    async write(request, what, fn) {
      const result = await audited(db, actorOf(request), what, fn);
      counters.writes++;
      return result;
    },
    counters,
  };

  app.post<{ Body: { email: string; password: string } }>(
    '/admin/api/login',
    {
      schema: {
        body: {
          type: 'object',
          required: ['email', 'password'],
          properties: { email: { type: 'string', maxLength: 254 }, password: { type: 'string', maxLength: 1024 } },
        },
      },
    },
    async (request, reply) => {
      const email = normalizeEmail(request.body.email);
      const wait = limiter.attempt(request.ip, email);
      if (wait > 0) {
        counters.login_limited++;
        return reply
          .code(429)
          .header('Retry-After', String(Math.ceil(wait / 1000)))
          .send({ error: 'WISPD_STAFF_LOGIN_LIMITED', message: 'too many failed logins; try again later' });
      }
      const staff = await authenticate(db, email, request.body.password);
      if (!staff) {
        counters.login_failures++;
        // Who tried, from where: an unknown email is recorded as typed (it names no staff member).
        await appendAudit(
          db,
          { staffId: null, name: email, address: request.ip },
          { resource: 'staff', action: 'login-failed', recordId: null },
        );
        return deny(reply, 401, 'wrong email or password');
      }
      limiter.succeeded(request.ip, email);
      const session = await openSession(db, staff, { ttlMs: config.session_ttl, now: deps.now(), address: request.ip });
      counters.logins++;
      reply.setCookie(SESSION_COOKIE, session.token, {
        ...cookieOptions,
        maxAge: Math.floor(config.session_ttl / 1000),
      });
      return { staff: publicStaff(staff), expiresAt: session.expiresAt, permissions: grantsOf(staff.role) };
    },
  );

  app.post('/admin/api/logout', async (request, reply) => {
    const token = request.cookies[SESSION_COOKIE];
    const staff = await sessionOf(request);
    if (staff && token) {
      await closeSession(db, staff, token, request.ip);
      counters.logouts++;
    }
    reply.clearCookie(SESSION_COOKIE, cookieOptions);
    return reply.code(204).send();
  });

  app.get('/admin/api/me', { preHandler: loggedIn }, async (request) => {
    const staff = request.staff!;
    return { staff: publicStaff(staff), permissions: grantsOf(staff.role) };
  });

  return auth;
}

/**
 * Cross-site request forgery. The staff session is a cookie, which the browser sends with requests that other pages
 * make, SameSite=Lax included when they are of the same site (another port of the same host is). A request that can
 * change something (any method but GET, HEAD, OPTIONS) is refused when:
 *
 * - the browser says it comes from elsewhere: `Sec-Fetch-Site` other than same-origin, or an `Origin` that is not
 *   this host (with its port); or
 * - it has a body a cross-site form can send (urlencoded, multipart, text/plain, none) without the `X-XSRF-TOKEN`
 *   header equal to the `XSRF-TOKEN` cookie. Pages can only set that header for their own origin; the panel's
 *   AdminJS client (axios) sends it by itself. JSON needs no token: no form can send it, and a cross-origin script
 *   cannot without a CORS preflight, which this app never grants.
 *
 * A request to the REST API with an API token (`Authorization: Bearer`) is not checked: it is authorised by the
 * token, which a browser never sends across sites on its own.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export const CSRF_COOKIE = 'XSRF-TOKEN';
export const CSRF_HEADER = 'x-xsrf-token';
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);
const FORM_TYPES = ['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain'];

export interface CsrfCounters {
  csrf_refused: number;
}

function sameHost(origin: string, host: string | undefined): boolean {
  try {
    return host !== undefined && new URL(origin).host === host.toLowerCase();
  } catch {
    return false;
  }
}

function tokenMatches(cookie: string | undefined, header: unknown): boolean {
  if (!cookie || typeof header !== 'string' || header.length !== cookie.length) return false;
  return timingSafeEqual(Buffer.from(cookie), Buffer.from(header));
}

/** Why the request is refused, or undefined. */
export function csrfRefusal(request: FastifyRequest): string | undefined {
  if (SAFE.has(request.method)) return undefined;
  // A bearer token is a header no browser adds by itself, and such a request is authorised by it, not the cookie.
  if (request.url.startsWith('/api/') && /^Bearer /.test(request.headers.authorization ?? '')) return undefined;
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin') return `a ${site} request may not change anything here`;
  const origin = request.headers.origin;
  if (origin !== undefined && !sameHost(origin, request.headers.host)) {
    return `a request from ${origin} may not change anything here`;
  }
  const type = String(request.headers['content-type'] ?? '').toLowerCase();
  const formLike = type === '' || FORM_TYPES.some((f) => type.startsWith(f));
  if (formLike && !tokenMatches(request.cookies[CSRF_COOKIE], request.headers[CSRF_HEADER])) {
    return `a form post needs the ${CSRF_HEADER} header equal to the ${CSRF_COOKIE} cookie (the panel sends it)`;
  }
  return undefined;
}

/** Checks every request to /admin; gives each browser the token cookie with the first page it loads. */
export function registerCsrf(app: FastifyInstance, opts: { secure: boolean }): CsrfCounters {
  const counters: CsrfCounters = { csrf_refused: 0 };
  const refuse = (reply: FastifyReply, message: string) => {
    counters.csrf_refused++;
    return reply.code(403).send({ error: 'WISPD_CSRF', message });
  };
  app.addHook('onRequest', async (request, reply) => {
    // The panel and the plugins' staff API take the session cookie; webhooks (/hooks/) and the probes do not.
    if (!request.url.startsWith('/admin') && !request.url.startsWith('/api/')) return;
    const why = csrfRefusal(request);
    if (why) return refuse(reply, why);
    if (request.method === 'GET' && !request.cookies[CSRF_COOKIE]) {
      reply.setCookie(CSRF_COOKIE, randomBytes(24).toString('base64url'), {
        path: '/admin',
        sameSite: 'strict',
        secure: opts.secure,
        // Read by the page's script, which echoes it in the header: that is the point.
        httpOnly: false,
      });
    }
  });
  return counters;
}

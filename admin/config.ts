import { boolean, duration, integer, list, listen, section } from '../config/define.ts';

export const adminSection = section('The staff panel and its API (Fastify), with /healthz, /readyz and /metrics.', {
  listen: listen({
    default: '127.0.0.1:3000',
    example: '0.0.0.0:3000',
    doc: 'address:port of the staff panel, its API, /healthz, /readyz and /metrics (which need no login); empty turns them off. Keep it on loopback unless a TLS proxy is in front.',
  }),
  session_ttl: duration({
    default: '12h',
    min: '1m',
    max: '30d',
    doc: 'How long a staff login lasts; the session then ends whatever the activity.',
  }),
  login_failures: integer({
    default: 5,
    min: 1,
    max: 1000,
    doc: 'Failed logins for one email within login_window before further attempts for it get 429.',
  }),
  login_failures_per_address: integer({
    default: 20,
    min: 1,
    max: 100_000,
    doc: 'Failed logins from one client address within login_window before further attempts from it get 429.',
  }),
  login_window: duration({
    default: '15m',
    min: '1s',
    max: '1d',
    doc: 'The window over which failed logins are counted.',
  }),
  trust_proxy: list({
    default: [],
    item: /^(loopback|linklocal|uniquelocal|[0-9a-fA-F.:]+(\/\d{1,3})?)$/,
    itemReason: 'an address, a subnet (10.0.0.0/8), or loopback',
    doc: 'Reverse proxies (addresses, subnets, or loopback) whose X-Forwarded-For gives the client address used by the login limits and the audit log. Empty: none, the connecting address is the client.',
  }),
  secure_cookie: boolean({
    default: false,
    doc: 'Mark the session cookie Secure (browsers then send it over HTTPS only): set it when staff reach the panel through a TLS proxy.',
  }),
});

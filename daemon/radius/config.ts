import { boolean, duration, integer, ipAddress, list, port, rate, section, string } from '../../config/define.ts';

export const radiusSection = section('RADIUS authentication and accounting for the NAS/BRAS.', {
  address: ipAddress({
    default: '0.0.0.0',
    doc: 'Address the RADIUS sockets listen on; a packet from an address no NAS covers is dropped and counted.',
  }),
  auth_port: port({ default: 1812, doc: 'Access-Request port (RFC 2865).' }),
  acct_port: port({ default: 1813, doc: 'Accounting-Request port (RFC 2866).' }),
  duplicate_window: duration({
    default: '10s',
    min: '1s',
    max: '2m',
    doc: 'How long a reply is kept to answer a retransmitted request (same NAS, port, identifier and authenticator; RFC 5080 §2.2.2) without processing it again.',
  }),
  dictionaries: list({
    default: [],
    doc: 'Extra FreeRADIUS-format dictionary files or folders, loaded after the built-in ones.',
  }),
  auth_log: boolean({
    default: true,
    doc: 'Write every Access-Request outcome to ClickHouse radius_auth_log, in batches.',
  }),
  stale_after_intervals: integer({
    default: 3,
    min: 2,
    max: 100,
    doc: 'A session with no accounting update for this many interim intervals is closed as stale (it stops blocking re-login).',
  }),
  reaper_interval: duration({ default: '30s', min: '1s', max: '1h', doc: 'How often stale sessions are looked for.' }),
  demo: boolean({
    default: false,
    doc: 'On the first start (an empty embedded database; never with database.url set), add a demo NAS on 127.0.0.1, a plan and a subscriber (see the README).',
  }),
  walled_garden: section('What suspended and expired subscribers get instead of a reject.', {
    enabled: boolean({
      default: false,
      doc: 'Accept suspended/expired subscribers into a walled garden instead of rejecting them.',
    }),
    rate_down: rate({ default: '1M', doc: 'Speed in the walled garden, towards the subscriber.' }),
    rate_up: rate({ default: '1M', doc: 'Speed in the walled garden, from the subscriber.' }),
    address_list: string({
      default: 'walled-garden',
      doc: 'MikroTik address list the session is put in (Mikrotik-Address-List).',
    }),
    ip_pool: string({ default: '', doc: 'Framed-Pool for walled-garden sessions; empty: the plan pool.' }),
  }),
  reject_messages: section(
    'The Reply-Message of an Access-Reject, per reason, which the NAS may show the subscriber; empty for none. Only reasons safe to tell have one: a wrong password and an unknown user are never told apart.',
    {
      suspended: replyText('Your account is suspended. Please contact us.'),
      expired: replyText('Your subscription has expired. Please contact us to renew it.'),
      quota_exceeded: replyText('Your data allowance for this period is used up.'),
      simultaneous_use: replyText('This account is already online from another device.'),
      mac_mismatch: replyText(''),
    },
  ),
});

/** A Reply-Message text (RFC 2865 §5.18: it must fit one attribute). */
function replyText(fallback: string) {
  return string({
    default: fallback,
    pattern: /^\P{Cc}{0,120}$/u,
    patternReason: 'at most 120 characters (and 253 bytes of UTF-8), no control characters',
    doc: 'The text; empty: no Reply-Message.',
  });
}

export const accountingSection = section('Accounting records: the local spool and its writer into ClickHouse.', {
  group_commit: duration({
    default: '2ms',
    min: '0ms',
    max: '100ms',
    doc: 'Records are fsync-ed to the spool in groups, at most this long after the first one; the NAS gets its answer after the fsync.',
  }),
  segment_mb: integer({
    default: 64,
    min: 1,
    max: 4096,
    doc: 'Size at which a spool file is closed and a new one begun.',
  }),
  batch_rows: integer({ default: 10_000, min: 1, max: 1_000_000, doc: 'Records per ClickHouse insert, at most.' }),
  batch_interval: duration({
    default: '1s',
    min: '10ms',
    max: '1m',
    doc: 'A batch is sent at least this often when records wait.',
  }),
});

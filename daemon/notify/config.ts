import { duration, integer, oneOf, section, string, url } from '../../config/define.ts';

const clock = /^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/;

export const notifySection = section(
  'The notification hub: email, SMS, signed webhooks and the customer inbox, for the core and the plugins.',
  {
    email: section('Email over SMTP.', {
      smtp_url: url({
        default: '',
        schemes: ['smtp', 'smtps'],
        doc: 'The SMTP server: smtp://user:password@host:587 (STARTTLS when offered) or smtps://…:465; empty: no email.',
      }),
      from: string({ default: 'wispd <noreply@localhost>', doc: 'The From of every message.' }),
    }),
    sms: section('SMS through an HTTP provider.', {
      url: url({
        default: '',
        schemes: ['http', 'https'],
        doc: 'The provider’s endpoint (Twilio: https://api.twilio.com/2010-04-01/Accounts/<SID>/Messages.json); empty: no SMS.',
      }),
      preset: oneOf(['twilio', 'json', 'form'] as const, {
        default: 'twilio',
        doc: 'How the request is made: twilio (form To/From/Body, basic auth), json ({"to","from","text"}) or form (to, from, text).',
      }),
      username: string({ default: '', doc: 'Basic-auth user (Twilio: the account SID); empty: none.' }),
      password: string({ default: '', secret: true, doc: 'Basic-auth password or token (Twilio: the auth token).' }),
      from: string({ default: '', doc: 'The sender number or name.' }),
      quiet_hours: string({
        default: '',
        pattern: clock,
        patternReason: 'must be HH:MM-HH:MM, e.g. 22:00-07:00',
        doc: 'Local hours without SMS (a message then waits for their end; a critical one does not): HH:MM-HH:MM.',
      }),
    }),
    webhook: section('A signed HTTP POST of every notification, to the ISP’s own system (chat, CRM).', {
      url: url({ default: '', schemes: ['http', 'https'], doc: 'Where; empty: no webhook channel.' }),
      secret: string({
        default: '',
        secret: true,
        doc: 'Signs each request: X-Wispd-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">.',
      }),
    }),
    time_zone: string({
      default: '',
      doc: 'The time zone of quiet hours (IANA, e.g. Europe/Lisbon); empty: the machine’s.',
    }),
    digest_window: duration({
      default: '1h',
      min: '1s',
      max: '1d',
      doc: 'The window of a digest key: at most digest_max messages per recipient and channel within it.',
    }),
    digest_max: integer({
      default: 3,
      min: 1,
      max: 100,
      doc: 'Messages per digest window: the first ones are sent as they come, the rest folded into one digest at the window’s end.',
    }),
    attempts: integer({ default: 6, min: 1, max: 50, doc: 'Attempts of a message before it is marked failed.' }),
    retry_backoff: duration({
      default: '30s',
      min: '100ms',
      max: '1h',
      doc: 'The wait after a failed attempt, doubled after each (up to an hour).',
    }),
    poll_interval: duration({ default: '1s', min: '50ms', max: '1m', doc: 'How often due messages are looked for.' }),
  },
);

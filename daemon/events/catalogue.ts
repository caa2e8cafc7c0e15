/**
 * Every event the core gives plugins, with what its `subject` is and what its `data` holds. docs/events.md is this
 * table for people; test/events/catalogue.test.ts checks that the two agree and that the code emits only these.
 */

export interface EventSpec {
  doc: string;
  /** What the envelope's `subject` names. */
  subject: string;
  /** Each field of `data`, with what it holds. */
  data: Readonly<Record<string, string>>;
}

const FUP_DATA = {
  subscriber_id: 'the subscriber',
  username: 'its login',
  period: 'day, week, month or cycle',
  period_start: 'when the period began (ISO 8601)',
  bytes: 'bytes counted in the period',
  limit: 'the quota plus the top-ups in force',
  percent: 'bytes as a percentage of the limit',
} as const;

const SESSION_DATA = {
  username: 'the login',
  subscriber_id: 'the subscriber (0 when unknown)',
  nas: 'the NAS name',
  acct_session_id: 'the session, as the NAS names it',
  framed_ip: 'its address',
  session_time: 'seconds online',
  input_octets: 'bytes from the subscriber',
  output_octets: 'bytes to the subscriber',
  event_time: 'when it happened by the NAS (epoch s)',
} as const;

const DEVICE_DATA = {
  device: 'its name',
  site: 'its site ("" for none)',
  status: 'up or down',
  ts: 'when it changed (epoch ms)',
  detail: 'why, for down: the poll error',
} as const;

const SUBSCRIBER_DATA = {
  subscriber_id: 'the subscriber',
  username: 'its login',
  plan: 'its plan',
  status: 'active, suspended or expired',
  actor: 'who: a staff email, cli:<user>, plugin:<name>',
} as const;

const CUSTOMER_DATA = {
  customer_id: 'the customer',
  name: 'their name',
  email: 'their email, or null',
  actor: 'who',
} as const;

export const EVENTS = {
  'session.start': {
    doc: 'A session began (Accounting-Request Start, once spooled)',
    subject: 'the username',
    data: SESSION_DATA,
  },
  'session.interim': {
    doc: 'A live session reported its counters (Interim-Update, once spooled)',
    subject: 'the username',
    data: SESSION_DATA,
  },
  'session.stop': {
    doc: 'A session ended (Accounting-Request Stop, once spooled)',
    subject: 'the username',
    data: { ...SESSION_DATA, terminate_cause: 'Acct-Terminate-Cause' },
  },
  'fup.notify': {
    doc: 'A fair-usage notify threshold was crossed',
    subject: 'the username',
    data: { ...FUP_DATA, threshold: 'the percentage crossed' },
  },
  'fup.exceeded': {
    doc: 'A subscriber went over quota and is throttled',
    subject: 'the username',
    data: { ...FUP_DATA, threshold: 'the percentage crossed', rate_down: 'bit/s', rate_up: 'bit/s' },
  },
  'fup.blocked': {
    doc: 'A subscriber went over quota and is blocked',
    subject: 'the username',
    data: { ...FUP_DATA, threshold: 'the percentage crossed' },
  },
  'fup.restored': {
    doc: 'A fair-usage restriction ended (a top-up, a reset, a new period)',
    subject: 'the username',
    data: { ...FUP_DATA, previous_period_start: 'for a new period: when the last one began' },
  },
  'subscriber.restricted': {
    doc: 'A subscriber was restricted for a reason (dunning, manual, pending_install)',
    subject: 'the username',
    data: {
      subscriber_id: 'the subscriber',
      username: 'its login',
      reason: 'the reason set',
      effect: 'its effect: throttle 1M/512k, walled garden [list], reject',
      note: 'why, as given',
      actor: 'who: a staff email, cli:<user>, plugin:<name>',
      effective: 'the restriction now in force: {reason, effect}, or null',
    },
  },
  'subscriber.unrestricted': {
    doc: 'A reason of a subscriber’s restriction was lifted (the others stay)',
    subject: 'the username',
    data: {
      subscriber_id: 'the subscriber',
      username: 'its login',
      reason: 'the reason lifted',
      actor: 'who',
      effective: 'the restriction now in force: {reason, effect}, or null',
    },
  },
  'subscriber.created': {
    doc: 'A subscriber was created through the core’s commands',
    subject: 'the username',
    data: { ...SUBSCRIBER_DATA, customer_id: 'the customer holding it, or null' },
  },
  'subscriber.updated': {
    doc: 'A subscriber was changed through the core’s commands (not its plan)',
    subject: 'the username',
    data: SUBSCRIBER_DATA,
  },
  'subscriber.plan_changed': {
    doc: 'A subscriber moved to another plan (its live sessions were given the rate by CoA)',
    subject: 'the username',
    data: { ...SUBSCRIBER_DATA, previous_plan: 'the plan it had' },
  },
  'customer.created': { doc: 'A customer was created', subject: 'the customer id', data: CUSTOMER_DATA },
  'customer.updated': { doc: 'A customer was changed', subject: 'the customer id', data: CUSTOMER_DATA },
  'device.down': { doc: 'A polled device stopped answering', subject: 'the device name', data: DEVICE_DATA },
  'device.up': { doc: 'A device answers again (or for the first time)', subject: 'the device name', data: DEVICE_DATA },
} as const satisfies Record<string, EventSpec>;

export type EventType = keyof typeof EVENTS;

export const EVENT_TYPES = Object.keys(EVENTS) as EventType[];

/** What a plugin's handler receives. */
export interface EventEnvelope {
  /** Unique; a handler's inbox skips an id it has seen (at-least-once delivery, one effect). */
  id: string;
  type: EventType;
  /** When it happened (ISO 8601). */
  occurredAt: string;
  subject: string;
  data: Record<string, unknown>;
}

export const isEventType = (t: string): t is EventType => Object.hasOwn(EVENTS, t);

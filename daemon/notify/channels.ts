/**
 * How a message leaves: email by SMTP (nodemailer), SMS by the provider's HTTP API, a signed webhook. Each send
 * resolves to the provider's id for the message, or throws with what the provider said; the hub retries.
 */
import nodemailer from 'nodemailer';
import type { NotifyConfig } from '../../config/schema.ts';
import { postWithTimeout } from '../lib/http-post.ts';
import { SIGNATURE_HEADER, sign } from '../lib/signature.ts';

export type Channel = 'email' | 'sms' | 'webhook' | 'inbox';
export const CHANNELS: readonly Channel[] = ['email', 'sms', 'webhook', 'inbox'];

export interface Outgoing {
  id: string;
  recipient: string;
  subject: string;
  body: string;
  html: string;
  /** What a webhook carries besides the text. */
  meta: Record<string, unknown>;
}

export type Sender = (m: Outgoing) => Promise<string>;

const TIMEOUT_MS = 15_000;

/** A POST that must succeed: its answer's JSON (or {}), or an error with the status and what the provider said. */
async function post(url: string, init: { headers: Record<string, string>; body: string }) {
  const r = await postWithTimeout(url, init, TIMEOUT_MS);
  if (r.status < 200 || r.status >= 300)
    throw new Error(`HTTP ${r.status}${r.body ? `: ${r.body.slice(0, 300)}` : ''}`);
  try {
    return (JSON.parse(r.body) ?? {}) as Record<string, unknown>;
  } catch {
    return {};
  }
}

export function createSenders(config: NotifyConfig): Partial<Record<Exclude<Channel, 'inbox'>, Sender>> {
  const senders: Partial<Record<Exclude<Channel, 'inbox'>, Sender>> = {};
  if (config.email.smtp_url) {
    const transport = nodemailer.createTransport({
      url: config.email.smtp_url,
      connectionTimeout: TIMEOUT_MS,
      socketTimeout: TIMEOUT_MS,
    });
    senders.email = async (m) => {
      const info = await transport.sendMail({
        from: config.email.from,
        to: m.recipient,
        subject: m.subject,
        text: m.body,
        html: m.html,
        headers: { 'X-Wispd-Message': m.id },
      });
      return String(info.messageId ?? '');
    };
  }
  if (config.sms.url) {
    const { url, preset, username, password, from } = config.sms;
    const auth: Record<string, string> = username
      ? { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` }
      : {};
    senders.sms = async (m) => {
      const fields: Record<string, string> =
        preset === 'twilio' ? { To: m.recipient, From: from, Body: m.body } : { to: m.recipient, from, text: m.body };
      const answer = await post(url, {
        headers:
          preset === 'json'
            ? { ...auth, 'content-type': 'application/json' }
            : { ...auth, 'content-type': 'application/x-www-form-urlencoded' },
        body: preset === 'json' ? JSON.stringify(fields) : new URLSearchParams(fields).toString(),
      });
      return String(answer.sid ?? answer.id ?? answer.message_id ?? '');
    };
  }
  if (config.webhook.url) {
    const { url, secret } = config.webhook;
    senders.webhook = async (m) => {
      const body = JSON.stringify({ id: m.id, subject: m.subject, text: m.body, ...m.meta });
      await post(url, {
        headers: {
          'content-type': 'application/json',
          [SIGNATURE_HEADER]: sign(secret, body),
          'X-Wispd-Delivery': m.id,
        },
        body,
      });
      return m.id;
    };
  }
  return senders;
}

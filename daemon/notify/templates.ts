/**
 * Notification templates: `{{name}}` placeholders over the data given to notify (dotted paths reach inside objects),
 * escaped in HTML. Each template declares its variables; an edit using another is refused when saved, so a typo is
 * found by the person who made it rather than shown to a customer as an empty gap.
 */
import { invalid } from '../model/db.ts';

export interface TemplateText {
  subject: string;
  text: string;
  /** Empty: the text, escaped, in a paragraph per blank-line block. */
  html?: string;
  /** Empty: no SMS for this template. */
  sms?: string;
}

export interface TemplateDefinition extends TemplateText {
  /** What it is for, as staff editing it read it. */
  doc: string;
  /** The variables it may use, with what each holds. */
  variables: Readonly<Record<string, string>>;
}

/** Given to every template. */
export const COMMON_VARIABLES = {
  customer_name: 'the customer’s name ("" without a customer)',
} as const;

const PLACEHOLDER = /\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*(?:\.[a-zA-Z_][a-zA-Z0-9_]*)*)\s*\}\}/g;

export const placeholders = (text: string): string[] => [...text.matchAll(PLACEHOLDER)].map((m) => m[1]!);

const lookup = (data: Record<string, unknown>, path: string): unknown =>
  path
    .split('.')
    .reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), data);

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export function render(text: string, data: Record<string, unknown>, html = false): string {
  return text.replace(PLACEHOLDER, (_, path: string) => {
    const v = lookup(data, path);
    const s = v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
    return html ? escapeHtml(s) : s;
  });
}

export function renderAll(t: TemplateText, data: Record<string, unknown>) {
  const text = render(t.text, data);
  const html = t.html
    ? render(t.html, data, true)
    : text
        .split(/\n{2,}/)
        .map((p) => `<p>${escapeHtml(p).replace(/\n/g, '<br>')}</p>`)
        .join('\n');
  return { subject: render(t.subject, data), text, html, sms: t.sms ? render(t.sms, data) : '' };
}

/** Refuses an edit that uses a variable the template does not have. */
export function checkTemplate(name: string, def: Pick<TemplateDefinition, 'variables'>, edit: TemplateText): void {
  const known = new Set([...Object.keys(def.variables), ...Object.keys(COMMON_VARIABLES)]);
  if (!edit.subject.trim()) throw invalid('subject', edit.subject, 'must not be empty');
  if (!edit.text.trim()) throw invalid('text', edit.text, 'must not be empty');
  for (const [part, text] of Object.entries(edit)) {
    for (const v of placeholders(String(text ?? ''))) {
      const root = v.split('.')[0]!;
      if (!known.has(v) && !known.has(root))
        throw invalid(
          part,
          `{{${v}}}`,
          `template ${name} has no variable ${v}; it has ${[...known].map((k) => `{{${k}}}`).join(', ')}`,
        );
    }
  }
}

/** The core's own templates (plugins add theirs with ctx.notify.template). */
export const CORE_TEMPLATES: Readonly<Record<string, TemplateDefinition>> = {
  'fup.notify': {
    doc: 'A subscriber crossed a fair-usage threshold of their quota.',
    variables: { username: 'the login', percent: 'the percentage used', period: 'day, week, month or cycle' },
    subject: 'You have used {{percent}}% of your data',
    text: 'Hello {{customer_name}},\n\nyour service {{username}} has used {{percent}}% of its data for this {{period}}.',
    sms: '{{username}}: {{percent}}% of your data used this {{period}}.',
  },
  'fup.exceeded': {
    doc: 'A subscriber went over quota and is throttled.',
    variables: { username: 'the login', period: 'day, week, month or cycle', rate: 'the rate until the period ends' },
    subject: 'Your data for this {{period}} is used up',
    text: 'Hello {{customer_name}},\n\nyour service {{username}} has used its data for this {{period}}: it runs at {{rate}} until the period ends, or until you buy a top-up.',
    sms: '{{username}}: data used up; {{rate}} until the period ends.',
  },
  'subscriber.restricted': {
    doc: 'A subscriber’s service was restricted (billing, staff).',
    variables: { username: 'the login', reason: 'dunning, manual, pending_install', note: 'why, as given' },
    subject: 'Your service {{username}} is restricted',
    text: 'Hello {{customer_name}},\n\nyour service {{username}} is restricted ({{reason}}): {{note}}',
  },
  digest: {
    doc: 'Several notifications under one digest key, folded into one message.',
    variables: { count: 'how many', items: 'their subjects, one per line', last: 'the last one’s text' },
    subject: '{{count}} updates',
    text: '{{items}}\n\nThe latest:\n{{last}}',
    sms: '{{count}} updates. Latest: {{last}}',
  },
  test: {
    doc: 'A test message, sent from the panel.',
    variables: { sent_by: 'who asked for it' },
    subject: 'wispd test message',
    text: 'This is a test message from wispd, sent by {{sent_by}}.',
    sms: 'wispd test message, sent by {{sent_by}}.',
  },
};

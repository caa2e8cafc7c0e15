/** The panel pages' calls to the staff API: JSON both ways, the session cookie, the server's message on failure. */
export async function json<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const r = await fetch(path, {
    method: init.method ?? 'GET',
    credentials: 'same-origin',
    headers: init.body === undefined ? {} : { 'content-type': 'application/json' },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  const body = (await r.json().catch(() => ({}))) as { message?: string };
  if (!r.ok) throw new Error(body.message ?? `${r.status} ${r.statusText}`);
  return body as T;
}

/** A cell's text: lists joined, booleans as yes/no, times as the CLI writes them (in the browser's zone). */
export function cell(v: unknown): string {
  if (v === null || v === undefined || v === '') return '–';
  if (Array.isArray(v)) return v.join(', ');
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (typeof v === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(v)) return new Date(v).toLocaleString('sv-SE');
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** An input's value (the project's TypeScript has no DOM library: an element is known only by what React says). */
export const inputValue = (e: { target: unknown }): string => (e.target as { value: string }).value;

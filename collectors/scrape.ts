/**
 * What the pulling collectors (EPC scrapes, GenieACS pages) share: reading a source over HTTP with a deadline and a
 * size cap, and handing the bytes to the parse pool, waiting while it is full (a poller can wait; a pusher cannot).
 */
import { maskUrl } from '../config/define.ts';
import { isWispdError, WispdError } from '../daemon/lib/errors.ts';
import type { ParsePool } from './parse/pool.ts';
import type { ParseOutcome, ParseTask } from './parse/tasks.ts';

export interface FetchOptions {
  timeoutMs: number;
  maxBytes: number;
  accept: string;
  /** Aborts the request when the collector stops. */
  signal?: AbortSignal;
}

/** The cause undici hides behind "fetch failed" (ECONNREFUSED, a DNS failure…), else the error's own message. */
function reason(err: unknown): string {
  const e = err as { message?: string; cause?: { message?: string; code?: string } };
  return e.cause?.message || e.cause?.code || e.message || String(err);
}

/**
 * The body of a GET as one buffer the parse pool can take over. Credentials in the URL become a Basic
 * Authorization header (fetch refuses URLs that carry them). Errors are WISPD_SCRAPE_FAILED with the URL masked.
 */
export async function fetchBody(url: string, opts: FetchOptions): Promise<Uint8Array> {
  const target = new URL(url);
  const headers: Record<string, string> = { accept: opts.accept };
  if (target.username || target.password) {
    const user = decodeURIComponent(target.username);
    const pass = decodeURIComponent(target.password);
    headers.authorization = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
    target.username = '';
    target.password = '';
  }
  const deadline = AbortSignal.timeout(opts.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([deadline, opts.signal]) : deadline;
  const fail = (message: string, cause?: unknown) =>
    new WispdError('WISPD_SCRAPE_FAILED', message, { url: maskUrl(url) }, { cause });
  const failed = (err: unknown) =>
    deadline.aborted
      ? fail(`timed out after ${opts.timeoutMs} ms`, err)
      : opts.signal?.aborted
        ? fail('stopped', err)
        : fail(reason(err), err);

  let res: Response;
  try {
    res = await fetch(target, { headers, signal });
  } catch (err) {
    throw failed(err);
  }
  if (!res.ok) {
    await res.body?.cancel().catch(() => {});
    throw fail(`HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`);
  }
  const declared = Number(res.headers.get('content-length') ?? Number.NaN);
  if (declared > opts.maxBytes) {
    await res.body?.cancel().catch(() => {});
    throw fail(`the answer is ${declared} bytes, more than the ${opts.maxBytes} accepted`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for await (const chunk of res.body ?? []) {
      size += chunk.byteLength;
      if (size > opts.maxBytes) {
        await res.body?.cancel().catch(() => {});
        throw fail(`the answer is more than the ${opts.maxBytes} bytes accepted`);
      }
      chunks.push(chunk);
    }
  } catch (err) {
    if (isWispdError(err)) throw err;
    throw failed(err);
  }
  const body = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    body.set(c, at);
    at += c.byteLength;
  }
  return body;
}

const RETRIES = 6;
const FIRST_WAIT_MS = 100;

/**
 * Runs a parse task, waiting (100 ms, doubling, six times) while the pool refuses for being full: pushes from the
 * network have the pool first, and a poll that waits a second loses nothing.
 */
export async function parseWhenFree(
  pool: Pick<ParsePool, 'run'>,
  task: ParseTask,
  stopped: () => boolean,
): Promise<ParseOutcome> {
  for (let attempt = 0; ; attempt++) {
    try {
      // A refusal comes before the body is transferred to a thread, so the same task can be offered again.
      return await pool.run(task);
    } catch (err) {
      if (!isWispdError(err, 'WISPD_TELEMETRY_BACKPRESSURE') || attempt >= RETRIES || stopped()) throw err;
      await new Promise((r) => setTimeout(r, FIRST_WAIT_MS * 2 ** attempt));
    }
  }
}

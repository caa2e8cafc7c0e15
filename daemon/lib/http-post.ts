/**
 * One HTTP POST and its answer, under a timer of our own: `AbortSignal.timeout`'s timer can be collected with its
 * signal, and then a request to a stalled peer never ends. Throws with the reason (a timeout, the network error);
 * an HTTP error status is an answer like any other.
 */
export async function postWithTimeout(
  url: string,
  init: { headers: Record<string, string>; body: string },
  timeoutMs: number,
): Promise<{ status: number; body: string }> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  try {
    const r = await fetch(url, { method: 'POST', ...init, signal: abort.signal, redirect: 'manual' });
    // Read to the end under the same timer: the connection goes back to the pool.
    return { status: r.status, body: await r.text() };
  } catch (err) {
    if (abort.signal.aborted) throw new Error(`timed out after ${timeoutMs} ms`);
    const e = err as Error & { cause?: { code?: string } };
    throw new Error(e.cause?.code ?? e.message);
  } finally {
    clearTimeout(timer);
  }
}

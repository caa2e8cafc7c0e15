import { createConnection } from 'node:net';
import { WispdError } from '../lib/errors.ts';
import type { DataDir } from '../store/datadir.ts';
import { type ControlResponse, SOCKET_NAME } from './protocol.ts';

/** Sends one request to the running daemon and returns its result (its error, rethrown with its code). */
export function control<T>(
  dataDir: DataDir,
  op: string,
  args: Record<string, unknown> = {},
  timeoutMs = 30_000,
): Promise<T> {
  const path = dataDir.sub(SOCKET_NAME);
  return new Promise<T>((resolve, reject) => {
    const socket = createConnection(path);
    let buffered = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new WispdError('WISPD_CONTROL', `the daemon did not answer ${op} within ${timeoutMs} ms`, { op }));
    }, timeoutMs);
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(`${JSON.stringify({ op, args })}\n`));
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      const nl = buffered.indexOf('\n');
      if (nl === -1) return;
      clearTimeout(timer);
      socket.end();
      const res = JSON.parse(buffered.slice(0, nl)) as ControlResponse;
      if (res.ok) resolve(res.result as T);
      else reject(new WispdError((res.error.code as never) ?? 'WISPD_CONTROL', res.error.message, { op }));
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const missing = err.code === 'ENOENT' || err.code === 'ECONNREFUSED';
      reject(
        new WispdError(
          'WISPD_CONTROL',
          missing
            ? `wispd is not running (no control socket at ${path}); this command acts through the daemon`
            : err.message,
          missing ? { path, notRunning: true } : { path },
        ),
      );
    });
  });
}

/** The error `control` gives when no daemon listens on the data directory's socket. */
export const notRunning = (err: unknown): boolean =>
  err instanceof WispdError && err.code === 'WISPD_CONTROL' && err.context.notRunning === true;

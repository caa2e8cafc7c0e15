/**
 * The embedded PostgreSQL, in its own thread: PGlite runs its queries synchronously in WebAssembly, so in the main
 * thread a large query would stop RADIUS for as long as it runs. Here it serves the socket that every client (the
 * daemon's pool, the CLI, the panel) uses, and the main thread never executes SQL itself.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface EmbeddedRequest {
  path: string;
  host: string;
  port: number;
  maxConnections: number;
}

export type EmbeddedMessage =
  | { type: 'ready'; host: string; port: number; ms: number }
  | { type: 'error'; message: string }
  | { type: 'stopped' };

const req = workerData as EmbeddedRequest;
const post = (m: EmbeddedMessage) => parentPort!.postMessage(m);

try {
  const t0 = performance.now();
  const db = await PGlite.create(req.path);
  const server = new PGLiteSocketServer({ db, host: req.host, port: req.port, maxConnections: req.maxConnections });
  await server.start();
  const [host, port] = server.getServerConn().split(':') as [string, string];
  post({ type: 'ready', host, port: Number(port), ms: Math.round(performance.now() - t0) });
  parentPort!.on('message', async (m: { type: 'stop' }) => {
    if (m.type !== 'stop') return;
    await server.stop();
    await db.close();
    post({ type: 'stopped' });
  });
} catch (err) {
  post({ type: 'error', message: (err as Error).message });
}

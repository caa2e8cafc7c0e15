import { chmodSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import type { Component } from '../lib/component.ts';
import { WispdError } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';
import type { DataDir } from '../store/datadir.ts';
import { type ControlRequest, type ControlResponse, SOCKET_NAME } from './protocol.ts';

export type ControlHandler = (args: Record<string, unknown>) => Promise<unknown>;

export interface ControlServer extends Component {
  /** Registers an operation; components add theirs before start. */
  handle(op: string, handler: ControlHandler): void;
  /** Runs an operation in this process, as the socket would (the staff panel acts through the same operations). */
  invoke(op: string, args: Record<string, unknown>): Promise<unknown>;
}

export function createControlServer(deps: { log: Logger; dataDir: DataDir }): ControlServer {
  const log = deps.log.child({ component: 'control' });
  const handlers = new Map<string, ControlHandler>();
  const counters = { requests: 0, errors: 0 };
  const path = deps.dataDir.sub(SOCKET_NAME);
  let server: Server | undefined;

  async function answer(line: string): Promise<ControlResponse> {
    counters.requests++;
    let req: ControlRequest;
    try {
      req = JSON.parse(line) as ControlRequest;
    } catch {
      return { ok: false, error: { message: 'not a JSON request' } };
    }
    const handler = handlers.get(req.op);
    if (!handler) return { ok: false, error: { message: `unknown operation ${req.op}` } };
    try {
      return { ok: true, result: await handler(req.args ?? {}) };
    } catch (err) {
      counters.errors++;
      const code = err instanceof WispdError ? err.code : undefined;
      if (!code) log.warn({ op: req.op, err: (err as Error).message }, 'control operation failed');
      return { ok: false, error: { code, message: (err as Error).message } };
    }
  }

  return {
    name: 'control',
    handle(op, handler) {
      handlers.set(op, handler);
    },
    invoke(op, args) {
      const handler = handlers.get(op);
      if (!handler) return Promise.reject(new WispdError('WISPD_CONTROL', `unknown operation ${op}`, { op }));
      return handler(args);
    },
    async start() {
      // The data directory is ours (its lock is held): a socket file left there is from a process that is gone.
      rmSync(path, { force: true });
      server = createServer((socket) => {
        let buffered = '';
        socket.setEncoding('utf8');
        socket.on('data', (chunk: string) => {
          buffered += chunk;
          let nl = buffered.indexOf('\n');
          while (nl !== -1) {
            const line = buffered.slice(0, nl);
            buffered = buffered.slice(nl + 1);
            void answer(line).then((res) => socket.write(`${JSON.stringify(res)}\n`));
            nl = buffered.indexOf('\n');
          }
        });
        socket.on('error', () => {});
      });
      await new Promise<void>((resolve, reject) => {
        server!.once('error', reject);
        server!.listen(path, () => resolve());
      });
      chmodSync(path, 0o600);
    },
    async stop() {
      const s = server;
      server = undefined;
      if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
      rmSync(path, { force: true });
    },
    counters: () => ({ ...counters }),
    describe: () => `control socket ${path}`,
  };
}

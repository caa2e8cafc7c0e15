/**
 * A minimal WebSocket client (RFC 6455) for tests on Node 20, which has no WebSocket global: the opening handshake,
 * and text frames from the server (unmasked, possibly fragmented across TCP reads). Enough to read a live stream.
 */
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

export interface WsClient {
  /** Text messages received so far, parsed as JSON. */
  readonly messages: unknown[];
  /** Resolves with the first message (received already or later) that `match` accepts. */
  next<T>(match: (m: unknown) => m is T, timeoutMs?: number): Promise<T>;
  close(): void;
}

/** Connects to ws://127.0.0.1:port/path; rejects with the HTTP status line when the upgrade is refused. */
export function wsConnect(port: number, path: string): Promise<WsClient> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(port, '127.0.0.1');
    const messages: unknown[] = [];
    const waiters: Array<() => boolean> = [];
    let buffer = Buffer.alloc(0);
    let open = false;
    socket.on('error', reject);
    socket.on('connect', () => {
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
    const client: WsClient = {
      messages,
      next<T>(match: (m: unknown) => m is T, timeoutMs = 10_000) {
        return new Promise<T>((res, rej) => {
          const timer = setTimeout(() => rej(new Error('no matching WebSocket message in time')), timeoutMs);
          const check = () => {
            const found = messages.find(match);
            if (found === undefined) return false;
            clearTimeout(timer);
            res(found);
            return true;
          };
          if (!check()) waiters.push(check);
        });
      },
      close: () => socket.destroy(),
    };
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (!open) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buffer.subarray(0, end).toString('latin1');
        buffer = buffer.subarray(end + 4);
        if (!head.startsWith('HTTP/1.1 101')) {
          socket.destroy();
          reject(new Error(head.split('\r\n')[0]));
          return;
        }
        open = true;
        resolve(client);
      }
      for (;;) {
        if (buffer.length < 2) return;
        let len = buffer[1]! & 0x7f;
        let offset = 2;
        if (len === 126) {
          if (buffer.length < 4) return;
          len = buffer.readUInt16BE(2);
          offset = 4;
        } else if (len === 127) {
          if (buffer.length < 10) return;
          len = Number(buffer.readBigUInt64BE(2));
          offset = 10;
        }
        if (buffer.length < offset + len) return;
        const opcode = buffer[0]! & 0x0f;
        const payload = buffer.subarray(offset, offset + len);
        buffer = buffer.subarray(offset + len);
        if (opcode === 1) {
          messages.push(JSON.parse(payload.toString('utf8')));
          for (let i = waiters.length - 1; i >= 0; i--) if (waiters[i]!()) waiters.splice(i, 1);
        }
      }
    });
  });
}

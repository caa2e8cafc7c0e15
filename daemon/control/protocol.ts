/**
 * The control socket: the CLI asks the running daemon to act (CoA, Disconnect, suspend, top-up…) over a Unix socket in
 * the data directory, readable by its owner only. One JSON request per line, one JSON answer per line.
 */
export interface ControlRequest {
  op: string;
  args: Record<string, unknown>;
}

export type ControlResponse = { ok: true; result: unknown } | { ok: false; error: { code?: string; message: string } };

export const SOCKET_NAME = 'wispd.sock';

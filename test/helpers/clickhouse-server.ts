/**
 * A local ClickHouse server for tests, speaking ClickHouse's real HTTP interface (the one @clickhouse/client uses:
 * SQL in the body or the `query` parameter, `param_*` query parameters, settings as URL parameters, errors as
 * "Code: N. DB::Exception: …" with X-ClickHouse-Exception-Code) on top of chDB. A ClickHouse server cannot run on
 * this machine (Debian's package is from 2018); this lets the suite exercise wispd's remote-ClickHouse code path and
 * take the server away (`pause`) to test what an outage does.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { createChdbConnection } from 'chdb/connection';

const NOT_SETTINGS = new Set(['query_id', 'query', 'database', 'session_id', 'role', 'default_format']);

export interface ClickhouseServer {
  url: string;
  /** Answers 503 to everything (a server that is down or overloaded), until `resume`. */
  pause(): void;
  /** Holds every insert unanswered (a server that is slow to write), until `resume`; queries still answer. */
  stall(): void;
  resume(): void;
  requests: number;
  close(): Promise<void>;
}

export async function startClickhouseServer(path: string): Promise<ClickhouseServer> {
  const conn = createChdbConnection({ path });
  let paused = false;
  let stalled: { promise: Promise<void>; release: () => void } | undefined;
  let chain = Promise.resolve();
  const state = { requests: 0 };

  const body = (req: IncomingMessage) =>
    new Promise<Buffer>((resolve, reject) => {
      const parts: Buffer[] = [];
      req.on('data', (p: Buffer) => parts.push(p));
      req.on('end', () => resolve(Buffer.concat(parts)));
      req.on('error', reject);
    });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    state.requests++;
    const url = new URL(req.url ?? '/', 'http://x');
    if (paused) {
      res.writeHead(503, { 'Content-Type': 'text/plain' });
      res.end('Code: 210. DB::Exception: Server is not available. (NETWORK_ERROR)');
      return;
    }
    if (url.pathname === '/ping') {
      res.end('Ok.\n');
      return;
    }
    const data = await body(req);
    const inUrl = url.searchParams.get('query');
    if (stalled && inUrl !== null) await stalled.promise;
    const settings: Record<string, string> = {};
    const params: Record<string, string> = {};
    for (const [k, v] of url.searchParams) {
      if (k.startsWith('param_')) params[k.slice(6)] = v;
      else if (!NOT_SETTINGS.has(k) && k !== 'enable_http_compression') settings[k] = v;
    }
    const database = url.searchParams.get('database');
    // One statement at a time: chDB's session (and its current database) is shared.
    const run = async () => {
      if (database) await conn.command({ query: `USE ${database}`, query_id: '' } as never);
      if (inUrl !== null) {
        // Settings in the statement: chDB's connection would SET them on its session, where an insert's
        // deduplication token would outlive the insert and silently drop the next insert into the same table.
        const inline = Object.entries(settings)
          .map(
            ([k, v]) =>
              `${k} = ${/^-?\d+(\.\d+)?$/.test(v) ? v : `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`}`,
          )
          .join(', ');
        const r = await conn.insert({
          query: inline ? inUrl.replace(/\sFORMAT\s/i, ` SETTINGS ${inline} FORMAT `) : inUrl,
          values: Readable.from([data]),
          query_id: url.searchParams.get('query_id') ?? '',
        } as never);
        return { summary: r.summary, stream: undefined };
      }
      const r = await conn.exec({
        query: data.toString('utf8'),
        clickhouse_settings: settings,
        query_params: params,
        query_id: url.searchParams.get('query_id') ?? '',
      } as never);
      return { summary: undefined, stream: r.stream as Readable };
    };
    const result = chain.then(run);
    chain = result.then(
      () => undefined,
      () => undefined,
    );
    try {
      const { stream, summary } = await result;
      res.writeHead(200, {
        'Content-Type': 'text/plain; charset=UTF-8',
        'X-ClickHouse-Summary': JSON.stringify(summary ?? {}),
        'X-ClickHouse-Query-Id': url.searchParams.get('query_id') ?? '',
      });
      if (stream) {
        // A client that goes away before reading everything must not leave chDB's shared session holding a result.
        res.on('close', () => {
          if (!stream.readableEnded) {
            stream.unpipe(res);
            stream.resume();
          }
        });
        stream.pipe(res);
      } else res.end();
    } catch (err) {
      const e = err as { code?: string; type?: string; message: string };
      const code = e.code ?? '1000';
      res.writeHead(500, { 'Content-Type': 'text/plain', 'X-ClickHouse-Exception-Code': code });
      res.end(`Code: ${code}. DB::Exception: ${e.message} (${e.type ?? 'UNKNOWN_EXCEPTION'}) (version chdb)`);
    }
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      res.writeHead(500);
      res.end(String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    pause: () => {
      paused = true;
    },
    stall: () => {
      let release = () => {};
      const promise = new Promise<void>((resolve) => {
        release = resolve;
      });
      stalled ??= { promise, release };
    },
    resume: () => {
      paused = false;
      stalled?.release();
      stalled = undefined;
    },
    get requests() {
      return state.requests;
    },
    async close() {
      stalled?.release();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await conn.close();
    },
  };
}

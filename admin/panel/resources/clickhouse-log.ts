/**
 * Logs kept in ClickHouse as read-only resources: the CoA ledger (`coa_ledger`: every CoA-Request and
 * Disconnect-Request sent, who or what asked, how it ended) and the auth log (`radius_auth_log`: every
 * Access-Request's outcome and the reason of a reject). Neither table has a key: a row's id is its time (ms) and a
 * hash of the columns that tell rows of one millisecond apart, short enough for a URL, enough to find the row again.
 */
import type { BaseRecord, Filter } from 'adminjs';
import type { ClickhouseStore } from '../../../daemon/store/clickhouse/index.ts';
import { type Column, type Page, QueryResource } from './query.ts';

export interface LogSpec {
  /** The table, which is also the resource's id. */
  table: string;
  /** Every column but `id` and `ts`, which each log has. */
  columns: Column[];
  /** The columns hashed into a row's id. */
  identity: string[];
  /** A row as the panel shows it, from the row as read (numbers arrive as strings). */
  shape?(row: Record<string, unknown>): Record<string, unknown>;
}

export const COA_LEDGER: LogSpec = {
  table: 'coa_ledger',
  columns: [
    { path: 'username', type: 'string' },
    { path: 'nas', type: 'string' },
    { path: 'kind', type: 'string' },
    { path: 'action', type: 'string' },
    { path: 'outcome', type: 'string' },
    { path: 'error_cause', type: 'string' },
    { path: 'attempts', type: 'number' },
    { path: 'latency_ms', type: 'float' },
    { path: 'actor', type: 'string' },
    { path: 'reason', type: 'string' },
    { path: 'acct_session_id', type: 'string' },
    { path: 'framed_ip', type: 'string' },
    { path: 'nas_address', type: 'string' },
    { path: 'attributes', type: 'string' },
    { path: 'fallback_of', type: 'string' },
  ],
  identity: ['username', 'acct_session_id', 'kind', 'action'],
  shape: (r) => ({
    ...r,
    attempts: Number(r.attempts),
    // Milliseconds to one decimal: 10001.25 reads as noise.
    latency_ms: Math.round(Number(r.latency_ms) * 10) / 10,
  }),
};

export const AUTH_LOG: LogSpec = {
  table: 'radius_auth_log',
  columns: [
    { path: 'username', type: 'string' },
    { path: 'result', type: 'string' },
    { path: 'reason', type: 'string' },
    { path: 'method', type: 'string' },
    { path: 'plan', type: 'string' },
    { path: 'nas', type: 'string' },
    { path: 'nas_ip', type: 'string' },
    { path: 'calling_station_id', type: 'string' },
    { path: 'nas_port_id', type: 'string' },
  ],
  identity: ['username', 'nas', 'calling_station_id', 'nas_port_id', 'result', 'reason'],
};

export class ClickhouseLogResource extends QueryResource {
  readonly #ch: Pick<ClickhouseStore, 'query'>;
  readonly #spec: LogSpec;
  readonly #hash: string;
  readonly #select: string;

  constructor(clickhouse: Pick<ClickhouseStore, 'query'>, spec: LogSpec) {
    super(spec.table, [{ path: 'id', type: 'string' }, { path: 'ts', type: 'datetime' }, ...spec.columns]);
    this.#ch = clickhouse;
    this.#spec = spec;
    this.#hash = `cityHash64(${spec.identity.join(', ')})`;
    // toString: a column of another type (IPv4) reads and filters as the text staff see.
    this.#select = `SELECT toUnixTimestamp64Milli(ts) AS ms, ${this.#hash} AS h, ${spec.columns
      .map((c) => (c.type === 'string' ? `toString(${c.path}) AS ${c.path}` : c.path))
      .join(', ')} FROM ${spec.table}`;
  }

  override databaseType(): string {
    return 'ClickHouse';
  }

  #where(filter: Filter | undefined, params: Record<string, unknown>): string {
    const parts: string[] = [];
    let i = 0;
    for (const c of this.conditions(filter)) {
      const col = c.column.path;
      if (col === 'id') continue;
      const p = `p${i++}`;
      if (c.value !== undefined) {
        params[p] = c.value;
        parts.push(
          c.column.type === 'string'
            ? `positionCaseInsensitive(toString(${col}), {${p}:String}) > 0`
            : `toString(${col}) = {${p}:String}`,
        );
      }
      if (c.from) {
        params[`${p}f`] = new Date(c.from).getTime();
        parts.push(`${col} >= fromUnixTimestamp64Milli({${p}f:Int64})`);
      }
      if (c.to) {
        params[`${p}t`] = new Date(c.to).getTime();
        parts.push(`${col} <= fromUnixTimestamp64Milli({${p}t:Int64})`);
      }
    }
    return parts.length ? `WHERE ${parts.join(' AND ')}` : '';
  }

  #row(r: Record<string, unknown>): BaseRecord {
    const { ms, h, ...rest } = r;
    const row = { ...rest, id: `${ms}-${h}`, ts: new Date(Number(ms)).toISOString() };
    return this.record(this.#spec.shape ? this.#spec.shape(row) : row);
  }

  override async count(filter: Filter): Promise<number> {
    const params: Record<string, unknown> = {};
    const rows = await this.#ch.query<{ n: string }>(
      `SELECT count() AS n FROM ${this.#spec.table} ${this.#where(filter, params)}`,
      params,
    );
    return Number(rows[0]?.n ?? 0);
  }

  override async find(filter: Filter, page: Page): Promise<BaseRecord[]> {
    const params: Record<string, unknown> = {};
    const where = this.#where(filter, params);
    const sort = this.sortOf(page, 'ts');
    params.limit = page.limit ?? 10;
    params.offset = page.offset ?? 0;
    const rows = await this.#ch.query<Record<string, unknown>>(
      `${this.#select} ${where}
        ORDER BY ${sort.column === 'id' ? 'ts' : sort.column} ${sort.direction}
        LIMIT {limit:UInt32} OFFSET {offset:UInt32}`,
      params,
    );
    return rows.map((r) => this.#row(r));
  }

  override async findOne(id: string): Promise<BaseRecord | null> {
    const m = /^(\d{1,16})-(\d{1,20})$/.exec(id);
    if (!m) return null;
    const rows = await this.#ch.query<Record<string, unknown>>(
      `${this.#select} WHERE ts = fromUnixTimestamp64Milli({ms:Int64}) AND ${this.#hash} = {h:UInt64} LIMIT 1`,
      { ms: Number(m[1]), h: m[2] },
    );
    return rows[0] ? this.#row(rows[0]) : null;
  }
}

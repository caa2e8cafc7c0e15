/**
 * The CoA ledger (ClickHouse `coa_ledger`) as a read-only resource: every CoA-Request and Disconnect-Request sent,
 * who or what asked, and how it ended. A row's id is its time (ms) and a hash of its username, session, kind and
 * action: short enough for a URL, enough to find the row again.
 */
import type { BaseRecord, Filter } from 'adminjs';
import type { ClickhouseStore } from '../../../daemon/store/clickhouse/index.ts';
import { type Column, type Page, ReadOnlyResource } from './read-only.ts';

const HASH = 'cityHash64(username, acct_session_id, kind, action)';

const LEDGER: Column[] = [
  { path: 'id', type: 'string' },
  { path: 'ts', type: 'datetime' },
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
];

export class CoaLedgerResource extends ReadOnlyResource {
  readonly #ch: Pick<ClickhouseStore, 'query'>;

  constructor(clickhouse: Pick<ClickhouseStore, 'query'>) {
    super('coa_ledger', LEDGER);
    this.#ch = clickhouse;
  }

  override databaseType(): string {
    return 'ClickHouse';
  }

  static readonly #select = `SELECT toUnixTimestamp64Milli(ts) AS ms, ${HASH} AS h, ${LEDGER.filter(
    (c) => c.path !== 'id' && c.path !== 'ts',
  )
    .map((c) => c.path)
    .join(', ')} FROM coa_ledger`;

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
            ? `positionCaseInsensitive(${col}, {${p}:String}) > 0`
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
    const ms = Number(r.ms);
    return this.record({
      ...r,
      ms: undefined,
      h: undefined,
      id: `${ms}-${r.h}`,
      ts: new Date(ms).toISOString(),
      attempts: Number(r.attempts),
      // Milliseconds to one decimal: 10001.25 reads as noise.
      latency_ms: Math.round(Number(r.latency_ms) * 10) / 10,
    });
  }

  override async count(filter: Filter): Promise<number> {
    const params: Record<string, unknown> = {};
    const rows = await this.#ch.query<{ n: string }>(
      `SELECT count() AS n FROM coa_ledger ${this.#where(filter, params)}`,
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
      `${CoaLedgerResource.#select} ${where}
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
      `${CoaLedgerResource.#select} WHERE ts = fromUnixTimestamp64Milli({ms:Int64}) AND ${HASH} = {h:UInt64} LIMIT 1`,
      { ms: Number(m[1]), h: m[2] },
    );
    return rows[0] ? this.#row(rows[0]) : null;
  }
}

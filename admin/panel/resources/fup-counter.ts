import type { BaseRecord, Filter } from 'adminjs';
import type { Queryable } from '../../../daemon/model/db.ts';
import { type Page, QueryResource } from './query.ts';

/**
 * FUP counters (`fup_counter`): bytes per subscriber and period, and the threshold acted on. Keyed by subscriber and
 * period start; the id is `<subscriber id>:<period start, ms>`.
 */
export class FupCounterResource extends QueryResource {
  readonly #db: Queryable;

  constructor(db: Queryable) {
    super('fup_counter', [
      { path: 'id', type: 'string' },
      { path: 'subscriber_id', type: 'reference', reference: 'subscriber' },
      { path: 'period_start', type: 'datetime' },
      { path: 'bytes', type: 'number' },
      { path: 'level', type: 'number' },
      { path: 'updated_at', type: 'datetime' },
    ]);
    this.#db = db;
  }

  override databaseType(): string {
    return 'Postgres';
  }

  static readonly #select =
    `SELECT subscriber_id::text || ':' || (extract(epoch FROM period_start) * 1000)::bigint AS id,
    subscriber_id, period_start, bytes, level, updated_at FROM fup_counter`;

  #where(filter: Filter | undefined, values: unknown[]): string {
    const parts: string[] = [];
    for (const c of this.conditions(filter)) {
      const col = c.column.path;
      if (col === 'id') continue;
      if (c.value !== undefined) {
        values.push(c.value);
        parts.push(`${col}::text = $${values.length}`);
      }
      if (c.from) {
        values.push(c.from);
        parts.push(`${col} >= $${values.length}`);
      }
      if (c.to) {
        values.push(c.to);
        parts.push(`${col} <= $${values.length}`);
      }
    }
    return parts.length ? `WHERE ${parts.join(' AND ')}` : '';
  }

  override async count(filter: Filter): Promise<number> {
    const values: unknown[] = [];
    const { rows } = await this.#db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM fup_counter ${this.#where(filter, values)}`,
      values,
    );
    return rows[0]?.n ?? 0;
  }

  override async find(filter: Filter, page: Page): Promise<BaseRecord[]> {
    const values: unknown[] = [];
    const where = this.#where(filter, values);
    const sort = this.sortOf(page, 'updated_at');
    values.push(page.limit ?? 10, page.offset ?? 0);
    const { rows } = await this.#db.query(
      `${FupCounterResource.#select} ${where} ORDER BY ${sort.column === 'id' ? 'subscriber_id' : sort.column} ${sort.direction}
        LIMIT $${values.length - 1} OFFSET $${values.length}`,
      values,
    );
    return rows.map((r) => this.record(r));
  }

  override async findOne(id: string): Promise<BaseRecord | null> {
    const m = /^(\d{1,10}):(-?\d{1,16})$/.exec(id);
    if (!m) return null;
    const { rows } = await this.#db.query(
      `${FupCounterResource.#select} WHERE subscriber_id = $1 AND period_start = to_timestamp($2::float8 / 1000)`,
      [Number(m[1]), Number(m[2])],
    );
    return rows[0] ? this.record(rows[0]) : null;
  }
}

/**
 * The base of resources over queries of their own rather than @adminjs/sql: tables it cannot key (FUP counters,
 * keyed by subscriber and period), logs in ClickHouse, and staff accounts (whose writes go through the staff model).
 * Each row gets a string id that leads back to it; writes are refused unless a subclass takes them.
 */
import {
  type ActionContext,
  BaseProperty,
  BaseRecord,
  BaseResource,
  type Filter,
  type ParamsType,
  type PropertyType,
  ValidationError,
} from 'adminjs';

export interface Column {
  path: string;
  type: PropertyType;
  /** The resource this column's value is the id of (AdminJS then shows that record's title). */
  reference?: string;
  /** In the new and edit forms (for a subclass that takes writes). */
  editable?: boolean;
}

class ColumnProperty extends BaseProperty {
  readonly #reference: string | null;
  readonly #editable: boolean;

  constructor(column: Column, position: number) {
    super({ path: column.path, type: column.type, isId: column.path === 'id', isSortable: true, position });
    this.#reference = column.reference ?? null;
    this.#editable = column.editable ?? false;
  }

  override reference(): string | null {
    return this.#reference;
  }

  override isEditable(): boolean {
    return this.#editable;
  }
}

export interface Page {
  limit?: number;
  offset?: number;
  sort?: { sortBy?: string; direction?: 'asc' | 'desc' };
}

/** A filter element as a condition: the column, and a value or a range. */
export interface Condition {
  column: Column;
  value?: string;
  from?: string;
  to?: string;
}

export abstract class QueryResource extends BaseResource {
  readonly #id: string;
  readonly #props: ColumnProperty[];
  protected readonly columns: ReadonlyMap<string, Column>;

  constructor(id: string, columns: readonly Column[]) {
    super();
    this.#id = id;
    this.#props = columns.map((c, i) => new ColumnProperty(c, i));
    this.columns = new Map(columns.map((c) => [c.path, c]));
  }

  override id(): string {
    return this.#id;
  }

  override databaseName(): string {
    return 'wispd';
  }

  override properties(): BaseProperty[] {
    return this.#props;
  }

  override property(path: string): BaseProperty | null {
    return this.#props.find((p) => p.path() === path) ?? null;
  }

  /** The filter's elements on known columns. */
  protected conditions(filter: Filter | undefined): Condition[] {
    const out: Condition[] = [];
    for (const [key, f] of Object.entries(filter?.filters ?? {})) {
      const column = this.columns.get(key);
      if (!column) continue;
      if (typeof f.value === 'object') out.push({ column, from: f.value.from, to: f.value.to });
      else out.push({ column, value: String(f.value) });
    }
    return out;
  }

  /** The sort column if it is one of ours, else the default. */
  protected sortOf(page: Page, fallback: string): { column: string; direction: 'ASC' | 'DESC' } {
    const by = page.sort?.sortBy;
    return {
      column: by && this.columns.has(by) ? by : fallback,
      direction: page.sort?.direction === 'asc' ? 'ASC' : 'DESC',
    };
  }

  protected record(row: Record<string, unknown>): BaseRecord {
    return new BaseRecord(row, this);
  }

  override build(params: Record<string, unknown>): BaseRecord {
    return new BaseRecord(params, this);
  }

  override async findMany(ids: Array<string | number>): Promise<BaseRecord[]> {
    const found = await Promise.all(ids.map((id) => this.findOne(String(id))));
    return found.filter((r): r is BaseRecord => r !== null);
  }

  override async create(_params: Record<string, unknown>, _context?: ActionContext): Promise<ParamsType> {
    throw new ValidationError({}, { message: `${this.#id} is read-only`, type: 'read-only' });
  }

  override async update(_id: string, _params: Record<string, unknown>, _context?: ActionContext): Promise<ParamsType> {
    throw new ValidationError({}, { message: `${this.#id} is read-only`, type: 'read-only' });
  }

  override async delete(): Promise<void> {
    throw new ValidationError({}, { message: `${this.#id} is read-only`, type: 'read-only' });
  }
}

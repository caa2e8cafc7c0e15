/**
 * A PostgreSQL table as an AdminJS resource: @adminjs/sql's metadata and knex for reading, with what the panel
 * needs on top.
 *
 * - Sealed columns (NAS secrets, subscriber passwords) are never read: no query selects them, so no answer can hold
 *   them. Staff set them through a write-only field, sealed with the instance key before it is stored.
 * - Writes go through pg in one transaction with their audit_log row (who, what, before, after; secrets left out),
 *   and only the columns the table's spec lets staff set are written, whatever else a request carries.
 * - Refused values come back as AdminJS validation errors beside their field, not as failed requests.
 */
import { type ResourceMetadata, Property as SqlProperty, Resource as SqlResource } from '@adminjs/sql';
import {
  type ActionContext,
  type BaseProperty,
  BaseRecord,
  type Filter,
  type ParamsType,
  ValidationError,
} from 'adminjs';
import { isWispdError } from '../../../daemon/lib/errors.ts';
import { type Actor, appendAudit, type Transactional } from '../../../daemon/model/audit.ts';
import { invalid, notFound, type Queryable } from '../../../daemon/model/db.ts';
import type { SecretBox } from '../../../daemon/security/secret-box.ts';
import type { Resource } from '../../permissions.ts';
import { panelAdmin } from '../access.ts';
import { type Normalize, sameValue } from './columns.ts';

/** A write-only field whose value is sealed into a bytea column. */
export interface SealedField {
  field: string;
  column: string;
  /** Throws WISPD_INVALID_INPUT for a value that cannot be stored. */
  check(plain: string): void;
}

export interface TableSpec {
  table: string;
  /** The permission table's resource, as audit rows name it. */
  audit: Resource;
  /** The columns staff may set, each with how a typed value is checked and stored. None: read-only. */
  editable?: Record<string, Normalize>;
  /** Columns never read (secrets that have no write-only field here). */
  hidden?: readonly string[];
  sealed?: SealedField;
  /**
   * Number columns typed with a unit (20M, 100G): given to AdminJS as text, which would otherwise make a number of
   * what is typed (NaN, then null) before the column's Normalize sees it.
   */
  typedAsText?: readonly string[];
  /** Checks the whole record as it will be after a write, for rules across columns. */
  checkRecord?(row: Record<string, unknown>): void;
}

export interface TableDeps {
  db: Transactional;
  box: () => SecretBox;
}

const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;
const escapeLike = (s: string) => s.replace(/[\\%_]/g, '\\$&');
const NUMERIC: ReadonlySet<string> = new Set(['number', 'float', 'reference', 'currency']);
const validDate = (v: unknown) => typeof v === 'string' && v !== '' && !Number.isNaN(new Date(v).getTime());

export function actorOf(context: ActionContext | undefined): Actor {
  const admin = panelAdmin(context);
  if (!admin) throw new ValidationError({}, { message: 'log in first', type: 'unauthorized' });
  return { staffId: admin.id, name: admin.email, address: admin.address };
}

/** WispdError and PostgreSQL's refusals → an AdminJS validation error (shown in the form), else undefined. */
export function asValidationError(err: unknown, fields: ReadonlySet<string>): ValidationError | undefined {
  if (err instanceof ValidationError) return err;
  if (isWispdError(err)) {
    if (err.code !== 'WISPD_INVALID_INPUT' && err.code !== 'WISPD_ALREADY_EXISTS' && err.code !== 'WISPD_NOT_FOUND')
      return undefined;
    const named = String(err.context.field ?? '');
    const field = named.replaceAll('-', '_');
    const base = { message: err.message, type: err.code };
    // Beside its field, the message need not name the column (staff read the field's label there).
    const beside = {
      ...base,
      message: err.message.startsWith(`${named} `) ? err.message.slice(named.length + 1) : err.message,
    };
    return new ValidationError(fields.has(field) ? { [field]: beside } : {}, base);
  }
  const pg = err as { code?: string; column?: string; constraint?: string; detail?: string; message?: string };
  const reasons: Record<string, string> = {
    '23505': `already exists${pg.detail ? `: ${pg.detail}` : ''}`,
    // The overlap triggers (NAS addresses, static IPs) name the other record.
    '23P01': pg.message ?? 'overlaps another record',
    '23503': `still in use or refers to nothing${pg.detail ? `: ${pg.detail}` : ''}`,
    '23514': `a value is out of range (${pg.constraint ?? 'check'})`,
    '23502': `${pg.column ?? 'a column'} is required`,
    '22P02': pg.message ?? 'a value has the wrong form',
    '22007': pg.message ?? 'a date has the wrong form',
    '22008': pg.message ?? 'a date is out of range',
    '22003': pg.message ?? 'a number is out of range',
  };
  const message = pg.code ? reasons[pg.code] : undefined;
  if (!message) return undefined;
  const base = { message, type: `postgres ${pg.code}` };
  const column =
    pg.code === '23P01'
      ? /^static IP/.test(message)
        ? 'static_ip'
        : 'address'
      : pg.code === '23505'
        ? /^Key \((\w+)\)=/.exec(pg.detail ?? '')?.[1]
        : pg.column;
  const beside = pg.code === '23502' ? { ...base, message: 'is required' } : base;
  return new ValidationError(column && fields.has(column) ? { [column]: beside } : {}, base);
}

export class TableResource extends SqlResource {
  readonly #spec: TableSpec;
  readonly #deps: TableDeps;
  readonly #knex: ResourceMetadata['knex'];
  readonly #qualified: string;
  readonly #schema: string | null;
  readonly #idColumn: string;
  readonly #props: BaseProperty[];
  readonly #byPath: Map<string, BaseProperty>;
  /** The columns every query selects (never a sealed or hidden one). */
  readonly #columns: string[];
  readonly #select: string;
  readonly #touches: boolean;
  /** Columns that are never null but have a default: a blank value leaves them to it (or as they are). */
  readonly #defaulted: ReadonlySet<string>;

  /**
   * `referable`: the tables registered in the panel (a reference to another becomes a plain value); `defaulted`: this
   * table's columns with a default (the metadata does not say, and a form would mark them required).
   */
  constructor(
    meta: ResourceMetadata,
    spec: TableSpec,
    deps: TableDeps,
    referable: ReadonlySet<string>,
    defaulted: ReadonlySet<string>,
  ) {
    super(meta);
    this.#spec = spec;
    this.#deps = deps;
    this.#knex = meta.knex;
    this.#schema = meta.schemaName;
    this.#qualified = meta.schemaName ? `${ident(meta.schemaName)}.${ident(meta.tableName)}` : ident(meta.tableName);
    this.#idColumn = meta.idProperty.path();
    const omit = new Set([...(spec.hidden ?? []), ...(spec.sealed ? [spec.sealed.column] : [])]);
    // The metadata lists a column twice when it is in a primary key and a foreign key: the key's entry is kept.
    const byPath = new Map<string, SqlProperty>();
    const blankable = new Set<string>();
    for (const p of meta.properties) {
      if (omit.has(p.path()) || (byPath.has(p.path()) && !p.isId())) continue;
      const ref = p.reference();
      const unknownRef = !!ref && !referable.has(ref);
      const hasDefault = defaulted.has(p.path()) && p.isRequired() && !p.isId();
      const asText = spec.typedAsText?.includes(p.path()) ?? false;
      if (hasDefault) blankable.add(p.path());
      byPath.set(
        p.path(),
        unknownRef || hasDefault || asText
          ? new SqlProperty({
              name: p.path(),
              isId: p.isId(),
              position: p.position(),
              isNullable: !p.isRequired() || hasDefault,
              isEditable: true,
              type: unknownRef ? 'number' : asText ? 'string' : p.type(),
              referencedTable: unknownRef ? null : ref,
              availableValues: p.availableValues(),
            })
          : p,
      );
    }
    this.#defaulted = blankable;
    this.#columns = [...byPath.keys()];
    this.#select = this.#columns.map(ident).join(', ');
    this.#touches = byPath.has('updated_at');
    const props: BaseProperty[] = [...byPath.values()].sort((a, b) => a.position() - b.position());
    const last = Math.max(0, ...props.map((p) => p.position()));
    if (spec.sealed) props.push(new SqlProperty(sealedColumnInfo(spec.sealed.field, last + 1)));
    this.#props = props;
    this.#byPath = new Map(props.map((p) => [p.path(), p]));
  }

  override properties(): SqlProperty[] {
    return this.#props as SqlProperty[];
  }

  override property(path: string): SqlProperty | null {
    return (this.#byPath.get(path) as SqlProperty | undefined) ?? null;
  }

  #table() {
    return this.#schema ? this.#knex(this.#spec.table).withSchema(this.#schema) : this.#knex(this.#spec.table);
  }

  #filtered(filter?: Filter) {
    const q = this.#table();
    for (const [key, f] of Object.entries(filter?.filters ?? {})) {
      if (!this.#columns.includes(key)) continue;
      const type = f.property.type();
      const value = f.value;
      // A value the column cannot hold matches nothing (rather than failing the query).
      if (typeof value === 'object') {
        if (type !== 'date' && type !== 'datetime') continue;
        if (validDate(value.from)) q.where(key, '>=', value.from);
        if (validDate(value.to)) q.where(key, '<=', value.to);
      } else if (type === 'string' && !f.property.availableValues()) {
        // As text, so that inet and cidr columns (addresses) are searched like any other.
        q.whereRaw('??::text ILIKE ?', [key, `%${escapeLike(String(value))}%`]);
      } else if (NUMERIC.has(type) && !/^-?\d+(\.\d+)?$/.test(String(value))) {
        q.whereRaw('false');
      } else if (type === 'boolean' && value !== 'true' && value !== 'false') {
        q.whereRaw('false');
      } else if ((type === 'date' || type === 'datetime') && !validDate(value)) {
        q.whereRaw('false');
      } else {
        q.where(key, value);
      }
    }
    return q;
  }

  override async count(filter: Filter): Promise<number> {
    const [row] = await this.#filtered(filter).count({ n: '*' });
    return Number((row as { n?: unknown } | undefined)?.n ?? 0);
  }

  override async find(
    filter: Filter,
    options: { limit?: number; offset?: number; sort?: { sortBy?: string; direction?: 'asc' | 'desc' } },
  ): Promise<BaseRecord[]> {
    const q = this.#filtered(filter).select(this.#columns);
    if (options.limit) q.limit(options.limit);
    if (options.offset) q.offset(options.offset);
    const sortBy = options.sort?.sortBy;
    if (sortBy && this.#columns.includes(sortBy))
      q.orderBy(sortBy, options.sort?.direction === 'desc' ? 'desc' : 'asc');
    const rows: Record<string, unknown>[] = await q;
    return rows.map((row) => new BaseRecord(row, this));
  }

  /** An id the id column can hold (a typed-in URL or filter may carry anything). */
  #validId = (id: string | number): boolean =>
    !NUMERIC.has(this.#byPath.get(this.#idColumn)?.type() ?? '') || /^\d{1,19}$/.test(String(id));

  override async findOne(id: string): Promise<BaseRecord | null> {
    if (!this.#validId(id)) return null;
    const [row] = await this.#table().select(this.#columns).where(this.#idColumn, id);
    return row ? new BaseRecord(row, this) : null;
  }

  override async findMany(ids: (string | number)[]): Promise<BaseRecord[]> {
    const valid = ids.filter(this.#validId);
    if (valid.length === 0) return [];
    const rows: Record<string, unknown>[] = await this.#table().select(this.#columns).whereIn(this.#idColumn, valid);
    return rows.map((row) => new BaseRecord(row, this));
  }

  override build(params: Record<string, unknown>): BaseRecord {
    return new BaseRecord(params, this);
  }

  /** The columns a write sets, from typed params: editable ones only, checked; the sealed field sealed. */
  #values(params: Record<string, unknown>, before?: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [column, normalize] of Object.entries(this.#spec.editable ?? {})) {
      if (!(column in params)) continue;
      const typed = params[column];
      if ((typed === '' || typed === null) && this.#defaulted.has(column)) continue;
      const value = normalize(typed);
      if (!before || !sameValue(value, before[column])) out[column] = value;
    }
    const sealed = this.#spec.sealed;
    if (sealed) {
      const plain = params[sealed.field];
      if (typeof plain === 'string' && plain !== '') {
        sealed.check(plain);
        out[sealed.column] = this.#deps.box().seal(plain);
      } else if (!before) {
        throw invalid(sealed.field, '', 'is required');
      }
    }
    return out;
  }

  /** The row as the audit log keeps it: the sealed field only as the fact that it was set. */
  #audited(row: Record<string, unknown>, sealedSet: boolean): Record<string, unknown> {
    return sealedSet && this.#spec.sealed ? { ...row, [this.#spec.sealed.field]: 'set' } : row;
  }

  async #one(tx: Queryable, id: string | number): Promise<Record<string, unknown>> {
    if (!this.#validId(id)) throw notFound(this.#spec.table, String(id));
    const { rows } = await tx.query(
      `SELECT ${this.#select} FROM ${this.#qualified} WHERE ${ident(this.#idColumn)} = $1 FOR UPDATE`,
      [id],
    );
    if (!rows[0]) throw notFound(this.#spec.table, String(id));
    return rows[0];
  }

  async #write<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw asValidationError(err, new Set(this.#byPath.keys())) ?? err;
    }
  }

  override async create(params: Record<string, unknown>, context?: ActionContext): Promise<ParamsType> {
    const actor = actorOf(context);
    return this.#write(async () => {
      const values = this.#values(params);
      this.#spec.checkRecord?.(values);
      const columns = Object.keys(values);
      if (columns.length === 0) throw new ValidationError({}, { message: 'nothing to store', type: 'empty' });
      return this.#deps.db.transaction(async (tx) => {
        const { rows } = await tx.query(
          `INSERT INTO ${this.#qualified} (${columns.map(ident).join(', ')})
           VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')}) RETURNING ${this.#select}`,
          Object.values(values),
        );
        const after = rows[0]!;
        const sealedSet = !!this.#spec.sealed && this.#spec.sealed.column in values;
        await appendAudit(tx, actor, {
          resource: this.#spec.audit,
          action: 'new',
          recordId: after[this.#idColumn] as string | number,
          before: null,
          after: this.#audited(after, sealedSet),
        });
        return after;
      });
    });
  }

  override async update(id: string, params: Record<string, unknown>, context?: ActionContext): Promise<ParamsType> {
    const actor = actorOf(context);
    return this.#write(() =>
      this.#deps.db.transaction(async (tx) => {
        const before = await this.#one(tx, id);
        const values = this.#values(params, before);
        const columns = Object.keys(values);
        if (columns.length === 0) return before;
        this.#spec.checkRecord?.({ ...before, ...values });
        const sets = columns.map((c, i) => `${ident(c)} = $${i + 2}`);
        if (this.#touches) sets.push('updated_at = now()');
        const { rows } = await tx.query(
          `UPDATE ${this.#qualified} SET ${sets.join(', ')} WHERE ${ident(this.#idColumn)} = $1 RETURNING ${this.#select}`,
          [id, ...Object.values(values)],
        );
        const after = rows[0]!;
        const sealedSet = !!this.#spec.sealed && this.#spec.sealed.column in values;
        await appendAudit(tx, actor, {
          resource: this.#spec.audit,
          action: 'edit',
          recordId: id,
          before,
          after: this.#audited(after, sealedSet),
        });
        return after;
      }),
    );
  }

  override async delete(id: string, context?: ActionContext): Promise<void> {
    const actor = actorOf(context);
    await this.#write(() =>
      this.#deps.db.transaction(async (tx) => {
        const before = await this.#one(tx, id);
        await tx.query(`DELETE FROM ${this.#qualified} WHERE ${ident(this.#idColumn)} = $1`, [id]);
        await appendAudit(tx, actor, {
          resource: this.#spec.audit,
          action: 'delete',
          recordId: id,
          before,
          after: null,
        });
      }),
    );
  }
}

function sealedColumnInfo(field: string, position: number) {
  return {
    name: field,
    isId: false,
    position,
    isNullable: true,
    isEditable: true,
    type: 'password' as const,
    referencedTable: null,
  };
}

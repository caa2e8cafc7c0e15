/**
 * Staff accounts (`staff`) for admins: add one, change a role, disable one, set a new password. Reads and writes go
 * through the staff model (daemon/model/staff.ts), as the CLI's and the API's do: the email and password are checked
 * there, the password is hashed there and its hash never leaves it, the last enabled admin cannot be demoted or
 * disabled, and each write is audited. An account is disabled, never deleted: audit rows keep naming it.
 */
import { type ActionContext, type BaseRecord, type Filter, type ParamsType, ValidationError } from 'adminjs';
import type { Transactional } from '../../../daemon/model/audit.ts';
import {
  createStaff,
  getStaffById,
  listStaff,
  normalizeEmail,
  type Staff,
  updateStaff,
} from '../../../daemon/model/staff.ts';
import { type Page, QueryResource } from './query.ts';
import { actorOf, asValidationError } from './table.ts';

const FIELDS: ReadonlySet<string> = new Set(['email', 'role', 'disabled', 'password']);

const row = (s: Staff) => ({
  id: s.id,
  email: s.email,
  role: s.role,
  disabled: s.disabled,
  last_login_at: s.lastLoginAt,
  created_at: s.createdAt,
  updated_at: s.updatedAt,
});

type Row = ReturnType<typeof row>;

const given = (v: unknown): string | undefined => (v === undefined || v === null || v === '' ? undefined : String(v));

export class StaffResource extends QueryResource {
  readonly #db: Transactional;

  constructor(db: Transactional) {
    super('staff', [
      { path: 'id', type: 'number' },
      { path: 'email', type: 'string', editable: true },
      { path: 'role', type: 'string', editable: true },
      { path: 'disabled', type: 'boolean', editable: true },
      { path: 'password', type: 'password', editable: true },
      { path: 'last_login_at', type: 'datetime' },
      { path: 'created_at', type: 'datetime' },
      { path: 'updated_at', type: 'datetime' },
    ]);
    this.#db = db;
  }

  override databaseType(): string {
    return 'Postgres';
  }

  /** A panel's staff are tens of rows: filtered and sorted here, over the model's own list. */
  async #matching(filter: Filter | undefined): Promise<Row[]> {
    const conditions = this.conditions(filter);
    return (await listStaff(this.#db)).map(row).filter((r) =>
      conditions.every((c) => {
        const v = r[c.column.path as keyof Row];
        if (c.value !== undefined) return String(v).toLowerCase().includes(c.value.toLowerCase());
        const t = v instanceof Date ? v.getTime() : Number.NaN;
        return (!c.from || t >= new Date(c.from).getTime()) && (!c.to || t <= new Date(c.to).getTime());
      }),
    );
  }

  override async count(filter: Filter): Promise<number> {
    return (await this.#matching(filter)).length;
  }

  override async find(filter: Filter, page: Page): Promise<BaseRecord[]> {
    const sort = this.sortOf(page, 'email');
    const key = (r: Row) => {
      const v = r[sort.column as keyof Row];
      return v instanceof Date ? v.getTime() : (v ?? '');
    };
    const rows = (await this.#matching(filter)).sort((a, b) => {
      const [x, y] = [key(a), key(b)];
      const order = x < y ? -1 : x > y ? 1 : 0;
      return sort.direction === 'ASC' ? order : -order;
    });
    const offset = page.offset ?? 0;
    return rows.slice(offset, offset + (page.limit ?? 10)).map((r) => this.record(r));
  }

  override async findOne(id: string): Promise<BaseRecord | null> {
    if (!/^\d{1,10}$/.test(id)) return null;
    try {
      return this.record(row(await getStaffById(this.#db, Number(id))));
    } catch {
      return null;
    }
  }

  async #write(fn: () => Promise<Staff>): Promise<ParamsType> {
    try {
      return row(await fn());
    } catch (err) {
      throw asValidationError(err, FIELDS) ?? err;
    }
  }

  override async create(params: Record<string, unknown>, context?: ActionContext): Promise<ParamsType> {
    const actor = actorOf(context);
    return this.#write(() =>
      createStaff(this.#db, actor, {
        email: String(params.email ?? ''),
        password: String(params.password ?? ''),
        role: String(params.role ?? ''),
      }),
    );
  }

  override async update(id: string, params: Record<string, unknown>, context?: ActionContext): Promise<ParamsType> {
    const actor = actorOf(context);
    return this.#write(async () => {
      const before = await getStaffById(this.#db, Number(id));
      const email = given(params.email);
      if (email !== undefined && normalizeEmail(email) !== before.email)
        throw new ValidationError(
          { email: { message: 'cannot be changed: add the new address and disable this one', type: 'immutable' } },
          { message: 'an email cannot be changed', type: 'immutable' },
        );
      const disabled = given(params.disabled);
      return updateStaff(
        this.#db,
        actor,
        { id: before.id },
        {
          role: given(params.role),
          disabled: disabled === undefined ? undefined : disabled === 'true',
          password: given(params.password),
        },
      );
    });
  }
}

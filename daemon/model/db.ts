import type { QueryResult, QueryResultRow } from 'pg';
import { WispdError } from '../lib/errors.ts';

/** Anything that runs a query: the store, its pool, or one connection inside a transaction. */
export interface Queryable {
  query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>>;
}

/** What a caller typed that cannot be stored: the field, the value and why. */
export function invalid(field: string, value: unknown, reason: string): WispdError {
  return new WispdError('WISPD_INVALID_INPUT', `${field} ${JSON.stringify(value)}: ${reason}`, { field, value });
}

export function notFound(what: string, key: string): WispdError {
  return new WispdError('WISPD_NOT_FOUND', `no ${what} ${JSON.stringify(key)}`, { what, key });
}

/** Turns PostgreSQL's unique and exclusion violations into a message that names the duplicate. */
export async function unique<T>(what: string, key: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if ((err as { code?: string }).code === '23505') {
      throw new WispdError('WISPD_ALREADY_EXISTS', `${what} ${JSON.stringify(key)} already exists`, { what, key });
    }
    // The overlap triggers (migration 0010) name the record already there.
    if ((err as { code?: string }).code === '23P01') {
      throw new WispdError('WISPD_ALREADY_EXISTS', `${what} ${JSON.stringify(key)}: ${(err as Error).message}`, {
        what,
        key,
      });
    }
    throw err;
  }
}

/**
 * Rows a store refused, kept aside so that they block nothing and are lost to nobody: one JSON line each in
 * `<data_dir>/quarantine/<table>.jsonl`, with the reason and the deduplication token they were sent with. After the
 * cause is fixed, `replay` sends them again (with the same token: a row that did get in is not stored twice) and keeps
 * only those still refused.
 */
import {
  appendFileSync,
  closeSync,
  existsSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

export interface QuarantinedRow {
  /** When it was refused (ISO 8601). */
  at: string;
  table: string;
  columns: readonly string[];
  /** The row as it was sent (TabSeparated, no newline). */
  row: string;
  token: string;
  error: string;
}

export class Quarantine {
  readonly path: string;
  readonly #table: string;
  readonly #columns: readonly string[];
  #count: number | undefined;

  constructor(dir: string, table: string, columns: readonly string[]) {
    this.path = join(dir, `${table}.jsonl`);
    this.#table = table;
    this.#columns = columns;
  }

  /** Rows in quarantine now. */
  get count(): number {
    this.#count ??= this.list().length;
    return this.#count;
  }

  /** Returns once the row is on disk. */
  add(row: string, token: string, err: Error): void {
    const before = this.count;
    const entry: QuarantinedRow = {
      at: new Date().toISOString(),
      table: this.#table,
      columns: this.#columns,
      row,
      token,
      error: err.message.split('\n')[0]!.slice(0, 500),
    };
    appendFileSync(this.path, `${JSON.stringify(entry)}\n`);
    const fd = openSync(this.path, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    this.#count = before + 1;
  }

  list(): QuarantinedRow[] {
    if (!existsSync(this.path)) return [];
    return readFileSync(this.path, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as QuarantinedRow);
  }

  /** Sends every row again; returns how many went in and how many are still refused (and stay). */
  async replay(insert: (r: QuarantinedRow) => Promise<void>): Promise<{ replayed: number; refused: QuarantinedRow[] }> {
    const refused: QuarantinedRow[] = [];
    let replayed = 0;
    const before = this.list();
    for (const r of before) {
      try {
        await insert(r);
        replayed++;
      } catch (err) {
        refused.push({ ...r, error: (err as Error).message.split('\n')[0]!.slice(0, 500) });
      }
    }
    // Rows refused while the replay ran stay too.
    const kept = [...refused, ...this.list().slice(before.length)];
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, kept.map((r) => `${JSON.stringify(r)}\n`).join(''));
    renameSync(tmp, this.path);
    this.#count = kept.length;
    return { replayed, refused };
  }
}

/**
 * A spool consumer's position, in a file beside the spool: written to a temporary file, fsync-ed, then renamed over
 * the old one, so a crash leaves either the old position or the new one, never half of one.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';

export class SpoolCheckpoint<T extends { acked: number }> {
  readonly #path: string;
  #value: T;

  /** `initial` is the position of a consumer that never ran (nothing acknowledged). */
  constructor(path: string, initial: T) {
    this.#path = path;
    this.#value = initial;
  }

  get value(): T {
    return this.#value;
  }

  /** Reads the file; a missing or unreadable one leaves the initial position. */
  load(): T {
    try {
      this.#value = JSON.parse(readFileSync(this.#path, 'utf8')) as T;
    } catch {
      // never written: nothing acknowledged yet
    }
    return this.#value;
  }

  async save(next: T): Promise<void> {
    const tmp = `${this.#path}.tmp`;
    writeFileSync(tmp, JSON.stringify(next));
    const fh = await open(tmp, 'r');
    await fh.datasync();
    await fh.close();
    renameSync(tmp, this.#path);
    this.#value = next;
  }
}

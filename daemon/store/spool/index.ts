/**
 * A local append-only spool: records are written to segment files and fsync-ed in groups (one fdatasync for every
 * record that arrived within `groupCommitMs`), and `append` resolves only once its record is on disk. A reader drains
 * records in order by sequence number; segments whose records were all released are deleted. After a crash the
 * spool reopens at its last complete line: a record whose append never resolved was never acknowledged.
 */
import {
  closeSync,
  fdatasyncSync,
  ftruncateSync,
  openSync,
  readdirSync,
  readSync,
  statSync,
  unlinkSync,
} from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { join } from 'node:path';

export interface SpoolRecord {
  seq: number;
  data: string;
}

export interface SpoolOptions {
  /** Segment file prefix: `<name>-<first seq>.log`. */
  name: string;
  groupCommitMs: number;
  segmentBytes: number;
  /** A released segment is kept until this long after its last write (for `writtenSince`); 0: deleted at once. */
  retainMs?: number;
}

interface Segment {
  first: number;
  path: string;
  bytes: number;
  /** Epoch ms of its last write. */
  written: number;
}

const NEWLINE = 0x0a;

export class Spool {
  readonly dir: string;
  readonly #opts: SpoolOptions;
  #segments: Segment[] = [];
  #fh: FileHandle | undefined;
  /** Last sequence number handed out, and last one on disk. */
  #lastSeq = 0;
  #durableSeq = 0;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #waiters: Array<{ seq: number; resolve: (seq: number) => void; reject: (err: Error) => void }> = [];
  #timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  #flushing: Promise<void> | undefined;
  #failed: Error | undefined;
  #onDurable: (() => void) | undefined;
  #cursor: { seq: number; path: string; position: number } | undefined;
  readonly counters = { appended: 0, fsyncs: 0, bytes: 0, segments_rolled: 0, segments_deleted: 0, write_errors: 0 };

  constructor(dir: string, opts: SpoolOptions) {
    this.dir = dir;
    this.#opts = opts;
  }

  get lastSeq(): number {
    return this.#lastSeq;
  }

  /** The highest sequence number that is on disk. */
  get durableSeq(): number {
    return this.#durableSeq;
  }

  /** Called after each group reaches the disk (the writer wakes up on it). */
  onDurable(fn: () => void): void {
    this.#onDurable = fn;
  }

  /**
   * Opens the spool. `after` is the last sequence number a consumer released (its checkpoint): numbering continues
   * after it when no segment is left.
   */
  async open(after: number): Promise<void> {
    const prefix = `${this.#opts.name}-`;
    this.#segments = readdirSync(this.dir)
      .filter((f) => f.startsWith(prefix) && f.endsWith('.log'))
      .map((f) => ({ first: Number(f.slice(prefix.length, -4)), path: join(this.dir, f), bytes: 0, written: 0 }))
      .filter((s) => Number.isSafeInteger(s.first))
      .sort((a, b) => a.first - b.first);
    this.#lastSeq = after;
    const last = this.#segments.at(-1);
    if (last) this.#lastSeq = Math.max(after, this.#recover(last));
    this.#durableSeq = this.#lastSeq;
    for (const seg of this.#segments) {
      const st = statSync(seg.path);
      seg.bytes = st.size;
      seg.written = st.mtimeMs;
    }
    if (last) {
      this.#fh = await open(last.path, 'a');
    } else {
      await this.#roll();
    }
  }

  /** Cuts a torn last line (a write the crash interrupted) and returns the last complete record's sequence number. */
  #recover(segment: Segment): number {
    const fd = openSync(segment.path, 'r+');
    try {
      const size = statSync(segment.path).size;
      const tail = Buffer.alloc(Math.min(size, 1 << 20));
      let end = size;
      let lastLine: string | undefined;
      while (end > 0 && lastLine === undefined) {
        const start = Math.max(0, end - tail.length);
        const n = readSync(fd, tail, 0, end - start, start);
        const chunk = tail.subarray(0, n);
        const nl = chunk.lastIndexOf(NEWLINE);
        if (nl === -1) {
          end = start;
          continue;
        }
        const complete = start + nl + 1;
        if (complete < size) ftruncateSync(fd, complete);
        const prev = chunk.lastIndexOf(NEWLINE, nl - 1);
        if (prev !== -1 || start === 0) lastLine = chunk.toString('utf8', prev + 1, nl);
        else {
          // The last line is longer than the window: read it whole.
          const whole = Buffer.alloc(complete);
          readSync(fd, whole, 0, complete, 0);
          const p = whole.lastIndexOf(NEWLINE, whole.length - 2);
          lastLine = whole.toString('utf8', p + 1, whole.length - 1);
        }
      }
      if (lastLine === undefined) {
        ftruncateSync(fd, 0);
        return segment.first - 1;
      }
      fdatasyncSync(fd);
      return Number(lastLine.slice(0, lastLine.indexOf(' ')));
    } finally {
      closeSync(fd);
    }
  }

  async #roll(): Promise<void> {
    await this.#fh?.close();
    const first = this.#lastSeq + 1;
    const path = join(this.dir, `${this.#opts.name}-${String(first).padStart(16, '0')}.log`);
    this.#fh = await open(path, 'a');
    this.#segments.push({ first, path, bytes: 0, written: Date.now() });
  }

  /** Appends one record (one line of text, no newline in it); resolves with its sequence number once on disk. */
  append(data: string): Promise<number> {
    if (this.#failed) return Promise.reject(this.#failed);
    const seq = ++this.#lastSeq;
    const line = Buffer.from(`${seq} ${data}\n`, 'utf8');
    this.#pending.push(line);
    this.#pendingBytes += line.length;
    this.counters.appended++;
    const done = new Promise<number>((resolve, reject) => this.#waiters.push({ seq, resolve, reject }));
    if (!this.#timer && !this.#flushing) this.#schedule();
    return done;
  }

  /**
   * Group commit: the first record waits at most `groupCommitMs` for company; while a write and its fsync are in
   * flight, what arrives accumulates and goes in the next one, started as soon as that one completes. Under load the
   * groups grow by themselves, so fsyncs per second stay bounded by the disk, not by the packet rate.
   */
  #schedule(): void {
    this.#timer =
      this.#opts.groupCommitMs > 0 ? setTimeout(this.#run, this.#opts.groupCommitMs) : setImmediate(this.#run);
  }

  readonly #run = (): void => {
    this.#timer = undefined;
    this.#flushing = this.#flush().finally(() => {
      this.#flushing = undefined;
      if (this.#pending.length > 0) this.#run();
    });
  };

  async #flush(): Promise<void> {
    if (this.#pending.length === 0) return;
    const lines = this.#pending;
    const bytes = this.#pendingBytes;
    const waiters = this.#waiters;
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#waiters = [];
    try {
      const fh = this.#fh!;
      await fh.writev(lines);
      await fh.datasync();
      this.counters.fsyncs++;
      this.counters.bytes += bytes;
      const current = this.#segments.at(-1)!;
      current.bytes += bytes;
      current.written = Date.now();
      this.#durableSeq = waiters[waiters.length - 1]!.seq;
      for (const w of waiters) w.resolve(w.seq);
      this.#onDurable?.();
      if (current.bytes >= this.#opts.segmentBytes) {
        await this.#roll();
        this.counters.segments_rolled++;
      }
    } catch (err) {
      // A spool that cannot write is not trusted again in this process: what it said it wrote may be lost. Every
      // waiting record is refused (the NAS gets no answer and retries), and so is every later append.
      this.counters.write_errors++;
      this.#failed = new Error(`spool ${this.dir}: ${(err as Error).message}`);
      for (const w of waiters) w.reject(this.#failed);
    }
  }

  /** Records with sequence numbers from `from`, in order, that are on disk; at most `max` of them. */
  async read(from: number, max: number): Promise<SpoolRecord[]> {
    const out: SpoolRecord[] = [];
    const upto = this.#durableSeq;
    if (from > upto) return out;
    let i = this.#segments.findLastIndex((s) => s.first <= from);
    if (i === -1) i = 0;
    // Sequential reads resume where the previous one stopped instead of scanning the segment from its start.
    const cursor = this.#cursor;
    let position = cursor && cursor.seq === from && cursor.path === this.#segments[i]?.path ? cursor.position : 0;
    for (; i < this.#segments.length && out.length < max; i++, position = 0) {
      const seg = this.#segments[i]!;
      if (seg.first > upto) break;
      const fh = await open(seg.path, 'r');
      try {
        let carry: Buffer = Buffer.alloc(0);
        let carryAt = position;
        for (;;) {
          const chunk = Buffer.allocUnsafe(1 << 20);
          const { bytesRead } = await fh.read(chunk, 0, chunk.length, position);
          if (bytesRead === 0) break;
          position += bytesRead;
          const buf = carry.length
            ? Buffer.concat([carry, chunk.subarray(0, bytesRead)])
            : chunk.subarray(0, bytesRead);
          let lineStart = 0;
          for (let nl = buf.indexOf(NEWLINE); nl !== -1; nl = buf.indexOf(NEWLINE, lineStart)) {
            const space = buf.indexOf(0x20, lineStart);
            const seq = Number(buf.toString('latin1', lineStart, space));
            const next = carryAt + nl + 1;
            if (seq > upto || out.length >= max) {
              this.#cursor = { seq, path: seg.path, position: carryAt + lineStart };
              return out;
            }
            if (seq >= from) out.push({ seq, data: buf.toString('utf8', space + 1, nl) });
            this.#cursor = { seq: seq + 1, path: seg.path, position: next };
            lineStart = nl + 1;
          }
          carry = buf.subarray(lineStart);
          carryAt += lineStart;
        }
      } finally {
        await fh.close();
      }
    }
    return out;
  }

  /** The first sequence number of the oldest segment written to at or after `at` (epoch ms): where to read from. */
  writtenSince(at: number): number {
    return (this.#segments.find((s) => s.written >= at) ?? this.#segments.at(-1))?.first ?? this.#lastSeq + 1;
  }

  /**
   * Deletes the segments whose records all have sequence numbers up to `upto` (never the one being written, nor one
   * written to within `retainMs`).
   */
  release(upto: number): void {
    const keepAfter = Date.now() - (this.#opts.retainMs ?? 0);
    while (
      this.#segments.length > 1 &&
      this.#segments[1]!.first - 1 <= upto &&
      !(this.#segments[0]!.written > keepAfter && this.#opts.retainMs)
    ) {
      const seg = this.#segments.shift()!;
      try {
        unlinkSync(seg.path);
        this.counters.segments_deleted++;
      } catch {
        // already gone
      }
    }
  }

  /** Writes what is pending and closes the file. */
  async close(): Promise<void> {
    if (this.#timer) {
      clearTimeout(this.#timer as NodeJS.Timeout);
      clearImmediate(this.#timer as NodeJS.Immediate);
      this.#timer = undefined;
    }
    await this.#flushing;
    await this.#flush();
    await this.#fh?.close();
    this.#fh = undefined;
  }

  /** The size of the segment files on disk (what is not released yet, and the rest of their segments). */
  get bytes(): number {
    let n = 0;
    for (const seg of this.#segments) n += seg.bytes;
    return n;
  }

  /** Records written but not yet released, and the files they are in. */
  stats(released: number): { backlog: number; segments: number } {
    return { backlog: this.#durableSeq - released, segments: this.#segments.length };
  }
}

/**
 * Telemetry that ClickHouse refused, on disk until it answers again: each refused insert is one record of the spool
 * (the same segment log accounting uses), with its deduplication token, row count and time; records are replayed
 * oldest first, each alone under its token, so an insert that reached ClickHouse before a crash is not stored twice.
 * The consumer's position is a checkpoint beside the segments. Disk is bounded by `telemetry.spool_mb`.
 */
import { readdirSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { Backoff } from '../lib/backoff.ts';
import type { Logger } from '../lib/log.ts';
import { sampledLog } from '../lib/sampled-log.ts';
import { SpoolCheckpoint } from '../store/spool/checkpoint.ts';
import { Spool } from '../store/spool/index.ts';

export interface SpooledBatch {
  token: string;
  rows: number;
  /** When the rows were taken (epoch ms): the writer's lag counts from it. */
  at: number;
  body: Buffer;
}

/** Segments small enough that what is left of a replayed one costs little of the budget. */
const SEGMENT_BYTES = 8 << 20;
/** A record is one line: the body goes as base64 (TabSeparated rows hold newlines). */
const encode = (b: SpooledBatch) => `${b.token}\t${b.rows}\t${b.at}\t${b.body.toString('base64')}`;

function decode(data: string): SpooledBatch {
  const [token = '', rows = '0', at = '0', body = ''] = data.split('\t');
  return { token, rows: Number(rows), at: Number(at), body: Buffer.from(body, 'base64') };
}

export class TelemetrySpool {
  readonly counters = { spooled_rows: 0, replayed_rows: 0 };
  readonly #dir: string;
  readonly #maxBytes: number;
  readonly #spool: Spool;
  readonly #checkpoint: SpoolCheckpoint<{ acked: number }>;
  readonly #log: Logger;
  readonly #warn: ReturnType<typeof sampledLog>;
  readonly #insert: (b: SpooledBatch) => Promise<void>;
  readonly #onDrained: () => void;
  readonly #backoff = new Backoff(50, 30_000);
  /** The time of the oldest batch waiting, once known (after a restart: once the replay read it). */
  #oldestAt: number | undefined;
  #running = false;
  #replaying: Promise<void> | undefined;
  #wake: (() => void) | undefined;

  /** `insert` sends a batch to ClickHouse; `onDrained` is told each time a replay emptied the spool. */
  constructor(
    dir: string,
    spoolMb: number,
    deps: { log: Logger; insert: (b: SpooledBatch) => Promise<void>; onDrained: () => void },
  ) {
    this.#maxBytes = spoolMb * 1024 * 1024;
    this.#dir = dir;
    this.#spool = new Spool(dir, { name: 'telemetry', groupCommitMs: 2, segmentBytes: SEGMENT_BYTES });
    this.#checkpoint = new SpoolCheckpoint(`${dir}/telemetry.checkpoint`, { acked: 0 });
    this.#log = deps.log;
    this.#warn = sampledLog(deps.log);
    this.#insert = deps.insert;
    this.#onDrained = deps.onDrained;
  }

  get replaying(): boolean {
    return this.#replaying !== undefined;
  }

  /** Batches waiting to be replayed. */
  get backlog(): number {
    return this.#spool.durableSeq - this.#checkpoint.value.acked;
  }

  get bytes(): number {
    return this.#spool.bytes;
  }

  get segments(): number {
    return this.#spool.stats(this.#checkpoint.value.acked).segments;
  }

  get oldestAt(): number | undefined {
    return this.backlog > 0 ? this.#oldestAt : undefined;
  }

  async open(): Promise<void> {
    await this.#spool.open(this.#checkpoint.load().acked);
    await this.#adoptFilePerBatch();
    this.#running = true;
    if (this.backlog > 0) this.#log.info({ batches: this.backlog, bytes: this.bytes }, 'replaying spooled telemetry');
  }

  /**
   * wispd 0.1 spooled each batch as a file of its own (`<seq>.<rows>.<token, base64url>.tsv`); such files left by an
   * upgrade are taken into the segment log, in their order, and removed once they are there.
   */
  async #adoptFilePerBatch(): Promise<void> {
    const files = readdirSync(this.#dir)
      .map((name) => ({ name, m: /^(\d+)\.(\d+)\.([A-Za-z0-9_-]+)\.tsv$/.exec(name) }))
      .filter((f) => f.m)
      .sort((a, b) => Number(a.m![1]) - Number(b.m![1]));
    for (const { name, m } of files) {
      const path = join(this.#dir, name);
      await this.#spool.append(
        encode({
          token: Buffer.from(m![3]!, 'base64url').toString(),
          rows: Number(m![2]),
          at: statSync(path).mtimeMs,
          body: readFileSync(path),
        }),
      );
      unlinkSync(path);
    }
    if (files.length) this.#log.info({ batches: files.length }, 'spooled telemetry of the previous format taken over');
  }

  /** Resolves once the batch is on disk; rejects when the spool is off or full (the message says which). */
  async add(batch: SpooledBatch): Promise<void> {
    if (this.#maxBytes === 0) throw new Error('ClickHouse is unavailable and the spool is off (telemetry.spool_mb)');
    if (this.bytes + Math.ceil(batch.body.length / 3) * 4 > this.#maxBytes) {
      throw new Error(`ClickHouse is unavailable and the spool is full (telemetry.spool_mb = ${this.#maxBytes >> 20})`);
    }
    if (this.backlog === 0) this.#oldestAt = batch.at;
    await this.#spool.append(encode(batch));
    this.counters.spooled_rows += batch.rows;
  }

  /**
   * Replays the waiting batches oldest first, each alone under its token, until none waits; after a failure it waits
   * (backoff: 50 ms doubling to 30 s) and tries again. One replay at a time; `waitFirst` when ClickHouse just failed.
   */
  startReplay(waitFirst: boolean): void {
    if (this.#replaying || !this.#running) return;
    this.#replaying = this.#replayUntilEmpty(waitFirst).finally(() => {
      this.#replaying = undefined;
    });
  }

  /** Cuts the replay's current wait short (a drain, a stop). */
  wakeReplay(): void {
    this.#wake?.();
  }

  async #replayUntilEmpty(waitFirst: boolean): Promise<void> {
    if (waitFirst) await this.#pause(this.#backoff.fail());
    while (this.#running) {
      try {
        if (!(await this.#replayAll())) return;
      } catch (err) {
        this.#warn('warn', { err: (err as Error).message, spooled: this.backlog }, 'telemetry replay failed; retrying');
        await this.#pause(this.#backoff.fail());
        continue;
      }
      this.#backoff.succeed();
      this.#onDrained();
      return;
    }
  }

  /** True once none waits, false when stopped first; a failed insert rejects, its batch first in line still. */
  async #replayAll(): Promise<boolean> {
    while (this.#running) {
      const [record] = await this.#spool.read(this.#checkpoint.value.acked + 1, 1);
      if (!record) return true;
      const batch = decode(record.data);
      this.#oldestAt = batch.at;
      await this.#insert(batch);
      this.counters.replayed_rows += batch.rows;
      await this.#checkpoint.save({ acked: record.seq });
      this.#spool.release(record.seq);
    }
    return false;
  }

  #pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#wake = undefined;
        resolve();
      }, ms);
      this.#wake = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
    });
  }

  /** Stops the replay and closes the spool. */
  async close(): Promise<void> {
    this.#running = false;
    this.#wake?.();
    await this.#replaying;
    await this.#spool.close();
  }
}

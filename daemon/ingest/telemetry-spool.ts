/**
 * Telemetry that ClickHouse refused, on disk until it answers again: each refused insert is one record of the spool
 * (the same segment log accounting uses), with its deduplication token, row count and time; records are replayed
 * oldest first, each alone under its token, so an insert that reached ClickHouse before a crash is not stored twice.
 * The consumer's position is a checkpoint beside the segments. Disk is bounded by `telemetry.spool_mb`.
 */
import type { Logger } from '../lib/log.ts';
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
  readonly #maxBytes: number;
  readonly #spool: Spool;
  readonly #checkpoint: SpoolCheckpoint<{ acked: number }>;
  readonly #log: Logger;
  /** The time of the oldest batch waiting, once known (after a restart: once the replay read it). */
  #oldestAt: number | undefined;

  constructor(dir: string, spoolMb: number, log: Logger) {
    this.#maxBytes = spoolMb * 1024 * 1024;
    this.#spool = new Spool(dir, { name: 'telemetry', groupCommitMs: 2, segmentBytes: SEGMENT_BYTES });
    this.#checkpoint = new SpoolCheckpoint(`${dir}/telemetry.checkpoint`, { acked: 0 });
    this.#log = log;
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
    if (this.backlog > 0) this.#log.info({ batches: this.backlog, bytes: this.bytes }, 'replaying spooled telemetry');
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
   * Inserts the waiting batches oldest first with `insert` while `running()`; resolves to true once none waits. A
   * failed insert rejects, and its batch stays first in line.
   */
  async replay(insert: (b: SpooledBatch) => Promise<void>, running: () => boolean): Promise<boolean> {
    while (running()) {
      const [record] = await this.#spool.read(this.#checkpoint.value.acked + 1, 1);
      if (!record) return true;
      const batch = decode(record.data);
      this.#oldestAt = batch.at;
      await insert(batch);
      this.counters.replayed_rows += batch.rows;
      await this.#checkpoint.save({ acked: record.seq });
      this.#spool.release(record.seq);
    }
    return this.backlog === 0;
  }

  close(): Promise<void> {
    return this.#spool.close();
  }
}

/**
 * Accounting durability: each record is appended to the local spool (fsync-ed in groups) before its NAS is
 * answered, and a writer drains the spool into ClickHouse `radius_accounting` in batches. A batch's range is written
 * to the checkpoint before it is inserted, with an insert_deduplication_token naming that range: after a crash or a
 * ClickHouse outage the same range is sent again with the same token, so every acknowledged record is stored exactly
 * once. ClickHouse being down only makes the spool grow.
 */
import type { AccountingConfig } from '../../../config/schema.ts';
import { Backoff } from '../../lib/backoff.ts';
import type { Component } from '../../lib/component.ts';
import type { Logger } from '../../lib/log.ts';
import { sampledLog } from '../../lib/sampled-log.ts';
import type { ClickhouseStore } from '../../store/clickhouse/index.ts';
import { insertIsolated } from '../../store/clickhouse/isolate.ts';
import type { DataDir } from '../../store/datadir.ts';
import { Quarantine, type QuarantinedRow } from '../../store/quarantine.ts';
import { SpoolCheckpoint } from '../../store/spool/checkpoint.ts';
import { Spool, type SpoolRecord } from '../../store/spool/index.ts';
import {
  ACCOUNTING_COLUMNS,
  type AcctRecord,
  recordTsv,
  type SpooledRequest,
  spooledRequest,
  spooledRow,
} from './record.ts';

export type { AcctRecord } from './record.ts';

export interface Accounting extends Component {
  /** Resolves once the record is on disk: only then may the NAS be answered. */
  record(rec: AcctRecord): Promise<number>;
  /** Sends everything on disk to ClickHouse now (tests, shutdown); resolves when sent or when `timeoutMs` passes. */
  drain(timeoutMs?: number): Promise<boolean>;
  /** The requests whose records were spooled within the duplicate window before this start (handed out once). */
  answeredBeforeStart(): SpooledRequest[];
  /** The records ClickHouse refused (kept in `<data_dir>/quarantine/`), and a way to send them again once fixed. */
  quarantined(): QuarantinedRow[];
  replayQuarantined(): Promise<{ replayed: number; refused: QuarantinedRow[] }>;
}

export interface AccountingDeps {
  log: Logger;
  dataDir: DataDir;
  clickhouse: ClickhouseStore;
  /** The deployment's id (PostgreSQL `instance`), stored with each row. */
  instance: () => string;
  /** How long the listener remembers an answer (radius.duplicate_window): the requests answered that recently before a start are read back from the spool. */
  duplicateWindow: number;
}

interface Checkpoint {
  /** Every record up to this sequence number is in ClickHouse. */
  acked: number;
  /** The batch being inserted, if any: redone as is after a restart. */
  intent?: { from: number; to: number; token: string };
}

export function createAccounting(config: AccountingConfig, deps: AccountingDeps): Accounting {
  const log = deps.log.child({ component: 'accounting' });
  const warn = sampledLog(log);
  const dir = deps.dataDir.sub('spool');
  const checkpoint = new SpoolCheckpoint<Checkpoint>(`${dir}/acct.checkpoint`, { acked: 0 });
  const spool = new Spool(dir, {
    name: 'acct',
    groupCommitMs: config.group_commit,
    segmentBytes: config.segment_mb << 20,
    retainMs: deps.duplicateWindow,
  });
  let answered: SpooledRequest[] = [];
  /** The last record spooled before this start: only those can be of an earlier wispd's format. */
  let spooledBefore = 0;
  const quarantine = new Quarantine(deps.dataDir.sub('quarantine'), 'radius_accounting', ACCOUNTING_COLUMNS);
  const counters = {
    records: 0,
    rows_written: 0,
    batches: 0,
    insert_failures: 0,
    retries_pending: 0,
    rows_quarantined: 0,
  };
  let running = false;
  let loop: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  const backoff = new Backoff(20, 30_000);
  /** Records on disk not yet in ClickHouse. */
  const backlog = () => spool.durableSeq - checkpoint.value.acked;

  const insert = (rows: readonly string[], token: string) =>
    deps.clickhouse.insertTsv('radius_accounting', ACCOUNTING_COLUMNS, rows, { insert_deduplication_token: token });

  /** Sends one batch; false when there was nothing to send. */
  async function sendBatch(): Promise<boolean> {
    let intent = checkpoint.value.intent;
    let records: SpoolRecord[];
    if (intent) {
      records = await spool.read(intent.from, intent.to - intent.from + 1);
    } else {
      records = await spool.read(checkpoint.value.acked + 1, config.batch_rows);
      if (records.length === 0) return false;
      const from = records[0]!.seq;
      const to = records[records.length - 1]!.seq;
      intent = { from, to, token: `${deps.instance()}:acct:${from}-${to}` };
      await checkpoint.save({ acked: checkpoint.value.acked, intent });
    }
    if (records.length > 0) {
      const instance = deps.instance();
      await insertIsolated(
        insert,
        records.map((r) => `${spooledRow(r.data, r.seq <= spooledBefore)}\t${instance}\t${r.seq}\n`),
        intent.token,
        async (row, token, err) => {
          quarantine.add(row.slice(0, -1), token, err);
          counters.rows_quarantined++;
          log.error(
            { err: err.message.split('\n')[0], quarantine: quarantine.path, quarantined: quarantine.count },
            'ClickHouse refused an accounting record: it is kept in quarantine and the others go on (`wispd accounting quarantine`)',
          );
        },
      );
    }
    counters.rows_written += records.length;
    counters.batches++;
    await checkpoint.save({ acked: intent.to });
    spool.release(intent.to);
    return true;
  }

  /** Reads the requests answered within the window back from the spool's tail. */
  async function readAnswered(): Promise<SpooledRequest[]> {
    const since = Date.now() - deps.duplicateWindow;
    const out: SpooledRequest[] = [];
    for (let from = spool.writtenSince(since); from <= spool.durableSeq; ) {
      const records = await spool.read(from, 10_000);
      if (records.length === 0) break;
      for (const r of records) {
        const req = spooledRequest(r.data);
        if (req && req.at >= since) out.push(req);
      }
      from = records[records.length - 1]!.seq + 1;
    }
    return out;
  }

  async function run(): Promise<void> {
    while (running) {
      let sent = false;
      try {
        sent = await sendBatch();
        if (backoff.succeed()) log.info({ backlog: backlog() }, 'ClickHouse writes resumed');
        counters.retries_pending = 0;
      } catch (err) {
        counters.insert_failures++;
        counters.retries_pending = 1;
        const retryMs = backoff.fail();
        warn(
          'warn',
          { err: (err as Error).message, retry_ms: retryMs, backlog: backlog() },
          'writing accounting to ClickHouse failed; records stay in the spool',
        );
      }
      if (!running) break;
      const full = backlog() >= config.batch_rows;
      if (sent && full && !backoff.failing) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, backoff.delay || config.batch_interval);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  }

  return {
    name: 'accounting',
    async start() {
      deps.dataDir.sub('spool', true);
      deps.dataDir.sub('quarantine', true);
      checkpoint.load();
      await spool.open(checkpoint.value.acked);
      spooledBefore = spool.durableSeq;
      answered = await readAnswered();
      spool.onDurable(() => {
        if (!backoff.failing && backlog() >= config.batch_rows) wake?.();
      });
      log.info(
        { spool: dir, backlog: backlog(), acked: checkpoint.value.acked, replaying: checkpoint.value.intent ?? null },
        'accounting spool open',
      );
      running = true;
      loop = run();
    },
    async stop() {
      await spool.close();
      running = false;
      wake?.();
      await loop;
      // One last attempt, bounded: whatever is not sent stays in the spool for the next start.
      await Promise.race([
        (async () => {
          try {
            while (await sendBatch()) {}
          } catch {
            // left in the spool
          }
        })(),
        new Promise((r) => setTimeout(r, 2000).unref()),
      ]);
    },
    counters: () => ({
      ...counters,
      ...spool.counters,
      acked: checkpoint.value.acked,
      backlog: backlog(),
      quarantined: quarantine.count,
      segments: spool.stats(checkpoint.value.acked).segments,
    }),
    describe: () => `spool ${dir} (${backlog()} records waiting for ClickHouse)`,
    record(rec) {
      counters.records++;
      return spool.append(rec.request ? `${rec.request}\t${recordTsv(rec)}` : recordTsv(rec));
    },
    answeredBeforeStart() {
      const out = answered;
      answered = [];
      return out;
    },
    quarantined: () => quarantine.list(),
    replayQuarantined: () => quarantine.replay((r) => insert([`${r.row}\n`], r.token)),
    async drain(timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (checkpoint.value.acked < spool.durableSeq && Date.now() < deadline) {
        wake?.();
        await new Promise((r) => setTimeout(r, 20));
      }
      return checkpoint.value.acked >= spool.durableSeq;
    },
  };
}

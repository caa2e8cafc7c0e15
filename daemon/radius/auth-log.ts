/**
 * The auth log: every Access-Request outcome as a row of ClickHouse `radius_auth_log`, built when the request is
 * decided and inserted in batches off the packet path (losing a batch in a crash loses history, not state).
 */

import { tsvMillis, tsvString } from '../../contracts/tsv.ts';
import type { Logger } from '../lib/log.ts';
import { Batcher, type BatcherOptions } from '../store/clickhouse/batcher.ts';
import type { ClickhouseStore } from '../store/clickhouse/index.ts';
import type { NasEntry } from './cache/index.ts';
import { Attr, type AttrIndex } from './codec/index.ts';
import type { AccessDecision } from './process/access.ts';

/** The columns of ClickHouse `radius_auth_log`, in the order its rows are written. */
export const AUTH_LOG_COLUMNS = [
  'ts',
  'instance',
  'nas',
  'nas_ip',
  'username',
  'result',
  'reason',
  'method',
  'plan',
  'calling_station_id',
  'nas_port_id',
] as const;

export class AuthLog {
  readonly #rows: Batcher;
  readonly #instance: () => string;

  constructor(clickhouse: ClickhouseStore, batching: BatcherOptions, instance: () => string, log: Logger) {
    this.#rows = new Batcher(clickhouse, 'radius_auth_log', AUTH_LOG_COLUMNS, batching, log);
    this.#instance = instance;
  }

  get counters(): Readonly<Record<string, number>> {
    return this.#rows.counters;
  }

  /** One outcome; `ix` still indexes its request. */
  write(ix: AttrIndex, nas: NasEntry, source: string, d: AccessDecision): void {
    this.#rows.push(
      `${tsvMillis(Date.now())}\t${this.#instance()}\t${nas.tsvName}\t${ix.ipaddr(Attr.NasIpAddress) ?? source}\t${tsvString(d.username)}\t${d.result === 'ok' ? 'accept' : 'reject'}\t${d.reason}\t${d.method}\t${tsvString(d.plan)}\t${tsvString(ix.string(Attr.CallingStationId) ?? '')}\t${tsvString(ix.string(Attr.NasPortId) ?? '')}\n`,
    );
  }

  start(): void {
    this.#rows.start();
  }

  stop(): Promise<void> {
    return this.#rows.stop();
  }
}

/**
 * The JetStream stream between remote pollers (`wispd collect --site`) and the daemon. Subjects are
 * `<prefix>.telemetry.<site>.<kind>`: kind `rows` carries TabSeparated telemetry rows (contracts/telemetry/rows.ts), `status`
 * a device going up or down, `polled` poll outcomes (both JSON). A message's Nats-Msg-Id is its batch id: JetStream
 * drops a publisher's retry within the duplicate window, ClickHouse a redelivery to the daemon (the id is the insert's
 * deduplication token).
 */
import { DiscardPolicy, jetstreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { type NatsConnection, nanos } from '@nats-io/transport-node';

export type RemoteKind = 'rows' | 'status' | 'polled';

export const ROWS_HEADER = 'Wispd-Rows';

/** Stream names cannot contain dots; the prefix keeps deployments sharing a NATS apart. */
export const streamName = (prefix: string): string =>
  `${prefix.replace(/[^A-Za-z0-9_-]/g, '_').toUpperCase()}_TELEMETRY`;

export const remoteSubject = (prefix: string, site: string, kind: RemoteKind): string =>
  `${prefix}.telemetry.${siteToken(site)}.${kind}`;

/** A site name as one subject token (site names are letters, digits, ".", "_" and "-"; dots would split it). */
export const siteToken = (site: string): string => site.replace(/\./g, '_');

export interface StreamLimits {
  /** Bytes the stream may keep while the daemon is away; the oldest are discarded beyond. */
  maxBytes: number;
  maxAgeMs: number;
}

/** Creates the stream, or brings an existing one to these limits (both sides call it; the first one creates it). */
export async function ensureTelemetryStream(nc: NatsConnection, prefix: string, limits: StreamLimits): Promise<string> {
  const jsm = await jetstreamManager(nc);
  const name = streamName(prefix);
  const config = {
    name,
    subjects: [`${prefix}.telemetry.>`],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    max_bytes: limits.maxBytes,
    max_age: nanos(limits.maxAgeMs),
    duplicate_window: nanos(2 * 60_000),
  };
  try {
    await jsm.streams.info(name);
    await jsm.streams.update(name, config);
  } catch (err) {
    if (!/not found/i.test((err as Error).message)) throw err;
    await jsm.streams.add(config);
  }
  return name;
}

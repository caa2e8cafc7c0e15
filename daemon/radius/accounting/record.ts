/** An accounting record: what an Accounting-Request says, as the spool keeps it and ClickHouse stores it. */

import { tsvMillis, tsvString } from '../../../contracts/tsv.ts';
import type { NasEntry } from '../cache/index.ts';
import { Attr, type AttrIndex, type Dictionary } from '../codec/index.ts';

export type AcctStatus = 'start' | 'interim' | 'stop' | 'on' | 'off' | 'stale' | 'other';

/** RFC 2866 §5.1 Acct-Status-Type; 'stale' is wispd's own: a session closed because its NAS went silent. */
const STATUS: Record<number, AcctStatus> = { 1: 'start', 2: 'stop', 3: 'interim', 7: 'on', 8: 'off' };

export interface AcctRecord {
  /** When wispd received it (epoch ms). */
  ts: number;
  /** When the event happened by the NAS (epoch s): Event-Timestamp, else receipt minus Acct-Delay-Time. */
  event_time: number;
  nas: string;
  nas_id: number;
  nas_ip: string;
  /** The address the request came from: where CoA and Disconnect go for this session. Not stored in ClickHouse. */
  source: string;
  status: AcctStatus;
  acct_session_id: string;
  username: string;
  subscriber_id: number;
  framed_ip: string;
  calling_station_id: string;
  nas_port_id: string;
  session_time: number;
  input_octets: number;
  output_octets: number;
  input_packets: number;
  output_packets: number;
  terminate_cause: string;
  delay_time: number;
  class: string;
}

const GIGAWORD = 2 ** 32;

/** Reads a record out of an indexed Accounting-Request (RFC 2866 §5, RFC 2869 §5.1–5.2 for Gigawords). */
export function recordOf(
  ix: AttrIndex,
  nas: NasEntry,
  source: string,
  now: number,
  dict: Dictionary,
  subscriberId: (username: string) => number,
): AcctRecord {
  const statusType = ix.integer(Attr.AcctStatusType);
  const delay = ix.integer(Attr.AcctDelayTime) ?? 0;
  const username = ix.string(Attr.UserName) ?? '';
  const cause = ix.integer(Attr.AcctTerminateCause);
  const classValue = ix.value(Attr.Class);
  return {
    ts: now,
    event_time: ix.integer(Attr.EventTimestamp) ?? Math.floor(now / 1000) - delay,
    nas: nas.name,
    nas_id: nas.id,
    nas_ip: ix.ipaddr(Attr.NasIpAddress) ?? source,
    source,
    status: statusType === undefined ? 'other' : (STATUS[statusType] ?? 'other'),
    acct_session_id: ix.string(Attr.AcctSessionId) ?? '',
    username,
    subscriber_id: username ? subscriberId(username) : 0,
    framed_ip: ix.ipaddr(Attr.FramedIpAddress) ?? '0.0.0.0',
    calling_station_id: ix.string(Attr.CallingStationId) ?? '',
    nas_port_id: ix.string(Attr.NasPortId) ?? ix.integer(Attr.NasPort)?.toString() ?? '',
    session_time: ix.integer(Attr.AcctSessionTime) ?? 0,
    input_octets: (ix.integer(Attr.AcctInputGigawords) ?? 0) * GIGAWORD + (ix.integer(Attr.AcctInputOctets) ?? 0),
    output_octets: (ix.integer(Attr.AcctOutputGigawords) ?? 0) * GIGAWORD + (ix.integer(Attr.AcctOutputOctets) ?? 0),
    input_packets: ix.integer(Attr.AcctInputPackets) ?? 0,
    output_packets: ix.integer(Attr.AcctOutputPackets) ?? 0,
    terminate_cause:
      cause === undefined ? '' : (dict.byCode(0, Attr.AcctTerminateCause)?.names.get(cause) ?? String(cause)),
    delay_time: delay,
    class: classValue ? classValue.toString('utf8') : '',
  };
}

/** The columns of radius_accounting a spooled record fills, in the order of `recordTsv`; the writer adds the last two. */
export const ACCOUNTING_COLUMNS = [
  'ts',
  'event_time',
  'nas',
  'nas_ip',
  'status',
  'acct_session_id',
  'username',
  'subscriber_id',
  'framed_ip',
  'calling_station_id',
  'nas_port_id',
  'session_time',
  'input_octets',
  'output_octets',
  'input_packets',
  'output_packets',
  'terminate_cause',
  'delay_time',
  'class',
  'instance',
  'record',
] as const;

/** A record as the spool keeps it: TabSeparated fields, ready to be sent to ClickHouse as they are. */
export function recordTsv(r: AcctRecord): string {
  return `${tsvMillis(r.ts)}\t${r.event_time}\t${tsvString(r.nas)}\t${r.nas_ip}\t${r.status}\t${tsvString(r.acct_session_id)}\t${tsvString(r.username)}\t${r.subscriber_id}\t${r.framed_ip}\t${tsvString(r.calling_station_id)}\t${tsvString(r.nas_port_id)}\t${r.session_time}\t${r.input_octets}\t${r.output_octets}\t${r.input_packets}\t${r.output_packets}\t${tsvString(r.terminate_cause)}\t${r.delay_time}\t${tsvString(r.class)}`;
}

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
  /**
   * The attributes whose values did not fit their column, as the NAS sent them (integers in decimal, strings in hex):
   * the column holds the clamped value, this the evidence. Absent when every value fitted.
   */
  clamped?: Record<string, string>;
  /** The request's identity (`requestKey`), spooled with the record so that a restart remembers it was answered. */
  request?: string;
}

/** `@source,port,` and the identifier and Request Authenticator in hex: what RFC 5080 §2.2.2 compares. */
export function requestKey(source: string, port: number, packet: Buffer): string {
  return `@${source},${port},${packet.toString('hex', 1, 2)}${packet.toString('hex', 4, 20)}`;
}

/** The request a spooled record came from: its header (code, identifier, Request Authenticator) and receipt (epoch ms). */
export interface SpooledRequest {
  source: string;
  port: number;
  header: Buffer;
  at: number;
}

export function spooledRequest(data: string): SpooledRequest | undefined {
  if (data.charCodeAt(0) !== 64 /* @ */) return undefined;
  const tab = data.indexOf('\t');
  const [source, port, hex] = data.slice(1, tab).split(',');
  if (!source || !port || hex?.length !== 34) return undefined;
  const header = Buffer.alloc(20);
  header[0] = 4; // Accounting-Request
  header[1] = Number.parseInt(hex.slice(0, 2), 16);
  header.write(hex.slice(2), 4, 'hex');
  const at = Math.round(Number(data.slice(tab + 1, data.indexOf('\t', tab + 1))) * 1000);
  return { source, port: Number(port), header, at };
}

const GIGAWORD = 2 ** 32;
/** Event times before this (2000-01-01) are a NAS without a clock, not an event: ClickHouse reads small numbers as dates. */
const EARLIEST_EVENT = 946_684_800;
/** How far ahead of wispd's clock a NAS's clock may be. */
const CLOCK_SKEW = 86_400;

/**
 * Text attributes as the columns take them (RFC 2865 §5.1: not NUL-terminated, though some NAS send them so):
 * trailing NULs dropped, other NULs (which PostgreSQL text cannot hold) replaced by U+FFFD.
 */
function text(ix: AttrIndex, type: number, name: string, clamped: Record<string, string>): string | undefined {
  const s = ix.string(type);
  if (s === undefined || !s.includes('\0')) return s;
  const cut = s.replace(/\0+$/, '');
  if (cut.includes('\0')) clamped[name] = ix.value(type)!.toString('hex');
  return cut.replaceAll('\0', '\uFFFD');
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Class is octets (RFC 2865 §5.25), often text: as text when it is UTF-8, else `0x` and its hex, never lossy. */
function classText(b: Buffer): string {
  try {
    const s = utf8.decode(b);
    if (!s.includes('\0')) return s;
  } catch {}
  return `0x${b.toString('hex')}`;
}

/** Gigawords × 2^32 + octets (RFC 2869 §5.1–5.2), at most 2^53 − 1 so that every later sum stays exact. */
function octets(ix: AttrIndex, low: number, high: number, name: string, clamped: Record<string, string>): number {
  const giga = ix.integer(high) ?? 0;
  const total = giga * GIGAWORD + (ix.integer(low) ?? 0);
  if (total <= Number.MAX_SAFE_INTEGER) return total;
  clamped[name] = String(giga);
  return Number.MAX_SAFE_INTEGER;
}

/** Reads a record out of an indexed Accounting-Request (RFC 2866 §5, RFC 2869 §5.1–5.2 for Gigawords). */
export function recordOf(
  ix: AttrIndex,
  nas: NasEntry,
  source: string,
  now: number,
  dict: Dictionary,
  subscriberId: (username: string) => number,
): AcctRecord {
  const clamped: Record<string, string> = {};
  const statusType = ix.integer(Attr.AcctStatusType);
  const delay = ix.integer(Attr.AcctDelayTime) ?? 0;
  const username = text(ix, Attr.UserName, 'User-Name', clamped) ?? '';
  const cause = ix.integer(Attr.AcctTerminateCause);
  const classValue = ix.value(Attr.Class);
  const received = Math.floor(now / 1000);
  let eventTime = ix.integer(Attr.EventTimestamp);
  if (eventTime !== undefined && (eventTime < EARLIEST_EVENT || eventTime > received + CLOCK_SKEW)) {
    clamped['Event-Timestamp'] = String(eventTime);
    eventTime = undefined;
  }
  if (eventTime === undefined) {
    eventTime = received - delay;
    if (eventTime < EARLIEST_EVENT) {
      clamped['Acct-Delay-Time'] = String(delay);
      eventTime = received;
    }
  }
  const rec: AcctRecord = {
    ts: now,
    event_time: eventTime,
    nas: nas.name,
    nas_id: nas.id,
    nas_ip: ix.ipaddr(Attr.NasIpAddress) ?? source,
    source,
    status: statusType === undefined ? 'other' : (STATUS[statusType] ?? 'other'),
    acct_session_id: text(ix, Attr.AcctSessionId, 'Acct-Session-Id', clamped) ?? '',
    username,
    subscriber_id: username ? subscriberId(username) : 0,
    framed_ip: ix.ipaddr(Attr.FramedIpAddress) ?? '0.0.0.0',
    calling_station_id: text(ix, Attr.CallingStationId, 'Calling-Station-Id', clamped) ?? '',
    nas_port_id: text(ix, Attr.NasPortId, 'NAS-Port-Id', clamped) ?? ix.integer(Attr.NasPort)?.toString() ?? '',
    session_time: ix.integer(Attr.AcctSessionTime) ?? 0,
    input_octets: octets(ix, Attr.AcctInputOctets, Attr.AcctInputGigawords, 'Acct-Input-Gigawords', clamped),
    output_octets: octets(ix, Attr.AcctOutputOctets, Attr.AcctOutputGigawords, 'Acct-Output-Gigawords', clamped),
    input_packets: ix.integer(Attr.AcctInputPackets) ?? 0,
    output_packets: ix.integer(Attr.AcctOutputPackets) ?? 0,
    terminate_cause:
      cause === undefined ? '' : (dict.byCode(0, Attr.AcctTerminateCause)?.names.get(cause) ?? String(cause)),
    delay_time: delay,
    class: classValue ? classText(classValue) : '',
  };
  for (const _ in clamped) {
    rec.clamped = clamped;
    break;
  }
  return rec;
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
  'clamped',
  'instance',
  'record',
] as const;

/** A record as the spool keeps it: TabSeparated fields, ready to be sent to ClickHouse as they are. */
export function recordTsv(r: AcctRecord): string {
  return `${tsvMillis(r.ts)}\t${r.event_time}\t${tsvString(r.nas)}\t${r.nas_ip}\t${r.status}\t${tsvString(r.acct_session_id)}\t${tsvString(r.username)}\t${r.subscriber_id}\t${r.framed_ip}\t${tsvString(r.calling_station_id)}\t${tsvString(r.nas_port_id)}\t${r.session_time}\t${r.input_octets}\t${r.output_octets}\t${r.input_packets}\t${r.output_packets}\t${tsvString(r.terminate_cause)}\t${r.delay_time}\t${tsvString(r.class)}\t${r.clamped ? clampedTsv(r.clamped) : '{}'}`;
}

/** A Map(String, String) field; names are attribute names and values decimal or hex, so nothing needs quoting. */
function clampedTsv(c: Record<string, string>): string {
  return `{${Object.entries(c)
    .map(([k, v]) => `'${k}':'${v}'`)
    .join(',')}}`;
}

/**
 * A spooled record as ClickHouse takes it: without the request's identity in front (`@…` up to the first tab, see
 * `requestKey`), and, when it may be from an earlier version (`old`: spooled before this process started), with an
 * empty `clamped` map if it has the 19 fields of before that column.
 */
export function spooledRow(data: string, old: boolean): string {
  const row = data.charCodeAt(0) === 64 /* @ */ ? data.slice(data.indexOf('\t') + 1) : data;
  if (!old) return row;
  let tabs = 0;
  for (let i = row.indexOf('\t'); i !== -1; i = row.indexOf('\t', i + 1)) tabs++;
  return tabs === ACCOUNTING_COLUMNS.length - 4 ? `${row}\t{}` : row;
}

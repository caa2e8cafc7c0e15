/**
 * The live session table in memory, where the simultaneous-use check reads it with no database round trip: sessions
 * by (NAS, Acct-Session-Id) and by username, applied from accounting records, with what changed marked for the store
 * (begun or ended sessions at once, counter updates at the next interim write).
 */
import { macDigits } from '../../lib/mac.ts';
import type { AcctRecord } from '../accounting/record.ts';

export interface Session {
  readonly key: string;
  readonly nasId: number;
  readonly acctSessionId: string;
  username: string;
  subscriberId: number;
  framedIp: string;
  callingStationId: string;
  nasPortId: string;
  startedAt: number;
  updatedAt: number;
  sessionTime: number;
  inputOctets: number;
  outputOctets: number;
  /** Seconds between interim updates expected from the NAS. */
  interimInterval: number;
  /** Where the NAS sent this session's accounting from: where its CoA and Disconnect go. */
  nasAddress: string;
  /** The last CoA or Disconnect sent for this session, for staff. */
  lastCoa?: { at: number; action: string; outcome: string };
}

export const sessionKeyOf = (nasId: number, acctSessionId: string): string => `${nasId}\u0000${acctSessionId}`;

export class SessionTable {
  readonly #sessions = new Map<string, Session>();
  readonly #byUser = new Map<string, Set<Session>>();
  /** Sessions begun or ended: written within a second. */
  readonly dirty = new Set<string>();
  /** Sessions whose counters changed: written every interim write. */
  readonly updated = new Set<string>();
  /** NAS that restarted (Accounting-On/Off): their other rows go. */
  readonly resetNas = new Set<number>();
  readonly counters = { started: 0, stopped: 0, interim: 0, nas_resets: 0 };
  readonly #interval: (subscriberId: number) => number;

  /** `interval`: the interim interval a new session of this subscriber is expected to report at. */
  constructor(interval: (subscriberId: number) => number) {
    this.#interval = interval;
  }

  get size(): number {
    return this.#sessions.size;
  }

  get(key: string): Session | undefined {
    return this.#sessions.get(key);
  }

  values(): IterableIterator<Session> {
    return this.#sessions.values();
  }

  /** A session loaded from the store (not dirty). */
  load(s: Session): void {
    this.#sessions.set(s.key, s);
    this.#index(s);
  }

  /** Applies an accounting record; returns the session it touched (undefined for stop, on, off). */
  apply(rec: AcctRecord): Session | undefined {
    if (rec.status === 'on' || rec.status === 'off') {
      // RFC 2866 §5.1: the NAS restarted (or is going down); every session it had is over.
      this.counters.nas_resets++;
      for (const s of this.#sessions.values()) if (s.nasId === rec.nas_id) this.remove(s);
      this.resetNas.add(rec.nas_id);
      return undefined;
    }
    if (!rec.acct_session_id) return undefined;
    const key = sessionKeyOf(rec.nas_id, rec.acct_session_id);
    const s = this.#sessions.get(key);
    if (rec.status === 'stop') {
      this.counters.stopped++;
      if (s) this.remove(s);
      return undefined;
    }
    if (rec.status !== 'start' && rec.status !== 'interim') return s;
    if (rec.status === 'start') this.counters.started++;
    else this.counters.interim++;
    if (s) {
      this.#update(s, rec);
      return s;
    }
    const fresh: Session = {
      key,
      nasId: rec.nas_id,
      acctSessionId: rec.acct_session_id,
      username: rec.username,
      subscriberId: rec.subscriber_id,
      framedIp: rec.framed_ip,
      callingStationId: rec.calling_station_id,
      nasPortId: rec.nas_port_id,
      startedAt: rec.ts - rec.session_time * 1000,
      updatedAt: rec.ts,
      sessionTime: rec.session_time,
      inputOctets: rec.input_octets,
      outputOctets: rec.output_octets,
      interimInterval: this.#interval(rec.subscriber_id),
      nasAddress: rec.source,
    };
    this.load(fresh);
    this.dirty.add(key);
    return fresh;
  }

  #update(s: Session, rec: AcctRecord): void {
    if (s.username !== rec.username && rec.username) {
      this.#unindex(s);
      s.username = rec.username;
      this.#index(s);
    }
    s.updatedAt = rec.ts;
    s.sessionTime = rec.session_time;
    // Octet counters are totals since the session began (RFC 2866 §5.3); an update never lowers them.
    s.inputOctets = Math.max(s.inputOctets, rec.input_octets);
    s.outputOctets = Math.max(s.outputOctets, rec.output_octets);
    if (rec.framed_ip !== '0.0.0.0') s.framedIp = rec.framed_ip;
    s.nasAddress = rec.source;
    this.updated.add(s.key);
  }

  remove(s: Session): void {
    this.#sessions.delete(s.key);
    this.#unindex(s);
    this.updated.delete(s.key);
    this.dirty.add(s.key);
  }

  /** Marks a session changed outside accounting (its last CoA), to be written with the next flush. */
  touch(s: Session): void {
    if (this.#sessions.get(s.key) === s) this.dirty.add(s.key);
  }

  /** Sessions whose NAS has not reported for `intervals` interim intervals, removed from the table. */
  closeStale(now: number, intervals: number): Session[] {
    const closed: Session[] = [];
    for (const s of this.#sessions.values()) {
      if (now - s.updatedAt > s.interimInterval * 1000 * intervals) {
        this.remove(s);
        closed.push(s);
      }
    }
    return closed;
  }

  /** Active sessions of a username; those from `exceptMac` (a reconnect from the same device) are not counted. */
  countFor(username: string, exceptMac?: string): number {
    const set = this.#byUser.get(username);
    if (!set) return 0;
    if (!exceptMac) return set.size;
    const mac = macDigits(exceptMac);
    let n = 0;
    for (const s of set) if (macDigits(s.callingStationId) !== mac) n++;
    return n;
  }

  forUser(username: string): Session[] {
    return [...(this.#byUser.get(username) ?? [])];
  }

  #index(s: Session): void {
    let set = this.#byUser.get(s.username);
    if (!set) {
      set = new Set();
      this.#byUser.set(s.username, set);
    }
    set.add(s);
  }

  #unindex(s: Session): void {
    const set = this.#byUser.get(s.username);
    set?.delete(s);
    if (set?.size === 0) this.#byUser.delete(s.username);
  }
}

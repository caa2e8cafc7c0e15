/** A session closed because its NAS stopped reporting, as the accounting record that says so ('stale'). */
import type { AcctRecord } from '../accounting/record.ts';
import type { Session } from './table.ts';

export function staleRecord(s: Session, now: number, nasName: string): AcctRecord {
  return {
    ts: now,
    event_time: Math.floor(now / 1000),
    nas: nasName,
    nas_id: s.nasId,
    nas_ip: s.nasAddress,
    source: s.nasAddress,
    status: 'stale',
    acct_session_id: s.acctSessionId,
    username: s.username,
    subscriber_id: s.subscriberId,
    framed_ip: s.framedIp,
    calling_station_id: s.callingStationId,
    nas_port_id: s.nasPortId,
    session_time: s.sessionTime,
    input_octets: s.inputOctets,
    output_octets: s.outputOctets,
    input_packets: 0,
    output_packets: 0,
    terminate_cause: 'Stale-Session',
    delay_time: 0,
    class: '',
  };
}

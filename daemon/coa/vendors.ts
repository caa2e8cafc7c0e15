/**
 * How each NAS vendor takes CoA and Disconnect requests, as data: the attributes that identify a session to it, how a
 * new rate is expressed (the same attributes as in its Access-Accept), and what to do when it cannot change a live
 * session (a NAK, "unsupported"): disconnect it, and the re-authentication gets the new profile.
 */
import type { NasVendor } from '../model/nas.ts';

export type SessionKey = 'User-Name' | 'Acct-Session-Id' | 'Framed-IP-Address' | 'NAS-IP-Address';

export interface CoaVendor {
  /** Attributes naming the session in a CoA or Disconnect (RFC 5176 §3), in this order. */
  identify: readonly SessionKey[];
  /** A rate change: a CoA-Request carrying the rate, or a Disconnect (for NAS that cannot change a live session). */
  rateChange: 'coa' | 'disconnect';
  /** After a CoA-NAK: disconnect instead, or leave the session as it is. */
  onNak: 'disconnect' | 'none';
}

export const COA_VENDORS: Readonly<Record<NasVendor, CoaVendor>> = {
  // RouterOS: "/radius incoming" matches User-Name with Acct-Session-Id or Framed-IP-Address; Mikrotik-Rate-Limit
  // changes the queue of a live PPPoE/hotspot session.
  mikrotik: { identify: ['User-Name', 'Acct-Session-Id', 'Framed-IP-Address'], rateChange: 'coa', onNak: 'disconnect' },
  // IOS/IOS-XE: Acct-Session-Id identifies the session; the rate goes as Cisco-AVPair.
  cisco: { identify: ['User-Name', 'Acct-Session-Id'], rateChange: 'coa', onNak: 'disconnect' },
  // Junos BNG: Acct-Session-Id; the rate as ERX-Service-Activate of the wispd-rate service.
  juniper: { identify: ['Acct-Session-Id'], rateChange: 'coa', onNak: 'disconnect' },
  // Unknown NAS: changing a live session is not assumed; a Disconnect makes the re-authentication take the new rate.
  generic: { identify: ['User-Name', 'Acct-Session-Id', 'Framed-IP-Address'], rateChange: 'disconnect', onNak: 'none' },
};

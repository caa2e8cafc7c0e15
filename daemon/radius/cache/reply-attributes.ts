/**
 * What an Access-Accept says about speed and session limits, compiled once per plan and NAS vendor into wire bytes.
 * Each vendor expresses a rate its own way:
 * - MikroTik: Mikrotik-Rate-Limit "rx/tx [burst-rx/burst-tx threshold-rx/threshold-tx time-rx/time-tx]", where rx is
 *   what the router receives from the subscriber (upload);
 * - Cisco: Cisco-AVPair "lcp:interface-config" rate-limit input (upload) and output (download) commands;
 * - Juniper (MX/ERX BNG): ERX-Service-Activate "wispd-rate(down,up)", a dynamic service profile with two parameters;
 * - any other NAS: WISPr-Bandwidth-Max-Down/-Up.
 */
import { formatRate } from '../../../config/units.ts';
import type { NasVendor } from '../../model/nas.ts';
import type { Plan } from '../../model/plan.ts';
import { type AttrValue, type Dictionary, encodeAttribute } from '../codec/index.ts';

export interface RateProfile {
  rateDown: number;
  rateUp: number;
  burstDown?: number | null;
  burstUp?: number | null;
}

type Pairs = Array<[string, AttrValue, number?]>;

/** The service profile Juniper BNGs must define (with $down and $up parameters, in bits/s). */
export const JUNIPER_RATE_SERVICE = 'wispd-rate';

export function rateAttributes(vendor: NasVendor, r: RateProfile): Pairs {
  switch (vendor) {
    case 'mikrotik': {
      let limit = `${formatRate(r.rateUp)}/${formatRate(r.rateDown)}`;
      if (r.burstDown || r.burstUp) {
        const bu = r.burstUp ?? r.rateUp;
        const bd = r.burstDown ?? r.rateDown;
        // A burst lasts while the average over burst-time stays under the threshold: 3/4 of the rate, 16 s, as the
        // RouterOS queue documentation's examples.
        const threshold = `${formatRate(Math.round((r.rateUp * 3) / 4))}/${formatRate(Math.round((r.rateDown * 3) / 4))}`;
        limit += ` ${formatRate(bu)}/${formatRate(bd)} ${threshold} 16/16`;
      }
      return [['Mikrotik-Rate-Limit', limit]];
    }
    case 'cisco': {
      // Normal burst: 1.5 s of traffic in bytes, excess burst twice that (Cisco's rate-limit sizing guidance).
      const command = (dir: 'input' | 'output', bps: number) => {
        const normal = Math.max(8000, Math.round((bps / 8) * 1.5));
        return `rate-limit ${dir} ${bps} ${normal} ${normal * 2} conform-action transmit exceed-action drop`;
      };
      return [
        ['Cisco-AVPair', `lcp:interface-config#1=${command('input', r.rateUp)}`],
        ['Cisco-AVPair', `lcp:interface-config#2=${command('output', r.rateDown)}`],
      ];
    }
    case 'juniper':
      return [['ERX-Service-Activate', `${JUNIPER_RATE_SERVICE}(${r.rateDown},${r.rateUp})`, 1]];
    default:
      return [
        ['WISPr-Bandwidth-Max-Down', r.rateDown],
        ['WISPr-Bandwidth-Max-Up', r.rateUp],
      ];
  }
}

function encode(dict: Dictionary, pairs: Pairs): Buffer {
  return Buffer.concat(pairs.map(([name, value, tag]) => encodeAttribute(dict, name, value, { tag })));
}

/** The bytes of a plan's Access-Accept for one vendor: rate, timeouts, interim interval, Class. */
export function compilePlan(dict: Dictionary, plan: Plan, vendor: NasVendor): Buffer {
  const pairs: Pairs = rateAttributes(vendor, plan);
  if (plan.sessionTimeout) pairs.push(['Session-Timeout', plan.sessionTimeout]);
  if (plan.idleTimeout) pairs.push(['Idle-Timeout', plan.idleTimeout]);
  pairs.push(['Acct-Interim-Interval', plan.interimInterval]);
  // Class comes back in every accounting record of the session (RFC 2865 §5.25): which plan it was accepted on.
  pairs.push(['Class', `wispd:plan:${plan.id}`]);
  return encode(dict, pairs);
}

export interface WalledGarden {
  rateDown: number;
  rateUp: number;
  addressList: string;
}

export function compileWalledGarden(
  dict: Dictionary,
  wg: WalledGarden,
  vendor: NasVendor,
  interimInterval: number,
): Buffer {
  const pairs: Pairs = rateAttributes(vendor, wg);
  if (vendor === 'mikrotik' && wg.addressList) pairs.push(['Mikrotik-Address-List', wg.addressList]);
  pairs.push(['Acct-Interim-Interval', interimInterval]);
  pairs.push(['Class', 'wispd:walled-garden']);
  return encode(dict, pairs);
}

export const VENDORS: readonly NasVendor[] = ['mikrotik', 'cisco', 'juniper', 'generic'];

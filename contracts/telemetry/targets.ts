/**
 * How collectors learn what to poll: a list of targets and a callback when it changes. In the daemon the list comes
 * from PostgreSQL (daemon/ingest/targets.ts); at a tower site from the daemon over NATS (collectors/remote/targets.ts),
 * so a remote poller needs no database and no instance key.
 */
import type { Component } from '../../daemon/lib/component.ts';

export const DEVICE_ROLES = ['router', 'ap', 'backhaul', 'cpe', 'epc', 'switch', 'other'] as const;
export type DeviceRole = (typeof DEVICE_ROLES)[number];

export type SnmpCredentials =
  | { version: '2c'; community: string }
  | {
      version: '3';
      user: string;
      level: 'noAuthNoPriv' | 'authNoPriv' | 'authPriv';
      authProtocol?: 'md5' | 'sha' | 'sha224' | 'sha256' | 'sha384' | 'sha512';
      authKey?: string;
      privProtocol?: 'des' | 'aes' | 'aes256b' | 'aes256r';
      privKey?: string;
    };

/** What a poller needs of a device: where, how, and with which credentials (opened). */
export interface DeviceTarget {
  id: number;
  name: string;
  site: string;
  address: string;
  port: number;
  role: DeviceRole;
  profile: string | null;
  snmp: SnmpCredentials | null;
  metricsUrl: string | null;
  intervalS: number;
  /** As last recorded: a poller starts a device known to be down in its probe lanes. */
  status: 'up' | 'down' | 'unknown';
}

export interface TargetSource extends Component {
  targets(): readonly DeviceTarget[];
  /** Called with the whole list after each change (and once at start). */
  onChange(fn: (targets: readonly DeviceTarget[]) => void): void;
}

/** A remote poller's question to the daemon (bus request `TARGETS_SUBJECT`), answered with its site's targets. */
export interface TargetsRequest {
  site: string;
  token: string;
}

export const TARGETS_SUBJECT = 'inventory.targets';
/** Announced by the daemon when the inventory changed: remote pollers ask again. */
export const TARGETS_CHANGED_SUBJECT = 'inventory.changed';

/** The list a TargetSource serves and the callbacks told of each new one: what every source keeps the same way. */
export class TargetList {
  #list: readonly DeviceTarget[] = [];
  readonly #listeners: Array<(targets: readonly DeviceTarget[]) => void> = [];

  get targets(): readonly DeviceTarget[] {
    return this.#list;
  }

  set(list: readonly DeviceTarget[]): void {
    this.#list = list;
    for (const fn of this.#listeners) fn(list);
  }

  onChange(fn: (targets: readonly DeviceTarget[]) => void): void {
    this.#listeners.push(fn);
  }
}

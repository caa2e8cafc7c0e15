/**
 * What the CPE collector reports of each CPE, and where it goes: the registry writes one inventory device per CPE and
 * finds its subscriber (daemon/ingest/cpe-registry.ts).
 */

export interface CpeRecord {
  /** GenieACS's device id (`OUI-ProductClass-Serial`). */
  id: string;
  serial: string;
  /** The inventory device its rows are stored under. */
  name: string;
  /** 12 lower-case hex digits, as subscriber.mac holds a Calling-Station-Id. */
  mac: string | null;
  /** The PPPoE user name it dials with. */
  username: string | null;
  firmware: string | null;
  /** Epoch milliseconds. */
  lastInform: number | null;
  status: 'up' | 'down';
}

export interface CpeWritten {
  name: string;
  serial: string;
  subscriberId: number | null;
  matched: 'serial' | 'mac' | 'username' | '';
  /** The live evidence (MAC, user name) names another subscriber than the one kept by serial. */
  conflict: boolean;
  oldStatus: 'up' | 'down' | 'unknown' | null;
  status: 'up' | 'down';
}

export interface CpeWriteResult {
  written: CpeWritten[];
  /** CPEs not written: a second CPE with the same serial or name, or a name another device already has. */
  skipped: number;
}

export interface CpeRegistry {
  /** Serial → name of CPE devices that staff named otherwise than `cpe-<serial>`. */
  names(): Promise<Record<string, string>>;
  /** Writes the CPEs of a cycle, each with the status and subscriber it has now and the status it had before. */
  write(cpes: readonly CpeRecord[]): Promise<CpeWriteResult>;
}

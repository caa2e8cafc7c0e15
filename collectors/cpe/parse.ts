/**
 * One page of the GenieACS NBI (`GET /devices`) → telemetry rows and one record per CPE. A device document holds its
 * parameters as nested objects whose leaves are `{_value, _type, _timestamp}`, under `InternetGatewayDevice.` (TR-098)
 * or `Device.` (TR-181). Values are as fresh as the CPE's last Inform or refresh: each row carries the time the ACS
 * read its value, and a value read no later than what the previous cycle already stored is not stored again.
 *
 * Runs in a parse thread; what rates need of the previous cycle comes in with the task and goes back with the rows.
 */

import { type CpeRecord, RowBuilder, type RowSource, rowSource } from '../../contracts/telemetry/index.ts';
import { normalizeMac } from '../../daemon/lib/mac.ts';

/** [rx bytes, its time, tx bytes, its time, uptime s, newest value time stored]; -1 where unknown. */
export type CpeCounters = [number, number, number, number, number, number];

export interface GenieacsInput {
  body: Uint8Array;
  /** When the page was read (status is judged against it). */
  ts: number;
  prev?: Record<string, CpeCounters>;
  /** Serial → inventory name, for CPEs whose device is not named `cpe-<serial>`. */
  names?: Record<string, string>;
}

export interface GenieacsResult {
  body: Buffer;
  rows: number;
  cpes: CpeRecord[];
  state: Record<string, CpeCounters>;
  /** The `_id` of the page's last document: the next page starts after it. */
  lastId: string | null;
  documents: number;
  /** Documents without an id or a serial number. */
  skipped: number;
}

/** What a 'genieacs' parse task returns in `extra`. */
export type GenieacsExtra = Omit<GenieacsResult, 'body' | 'rows'>;

/** Not informed for twice its interval and five minutes: down. */
const STALE_SLACK_MS = 5 * 60_000;
/** A CPE whose interval the ACS does not know is assumed to inform daily (TR-069's common default). */
const DEFAULT_INFORM_S = 86_400;
const TWO_32 = 2 ** 32;

type Node = Record<string, unknown>;
interface Leaf {
  value: unknown;
  type: string;
  at: number;
}

const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `cpe-<serial>`, made a valid device name (letters, digits, dot, dash, underscore; at most 63). */
export function cpeDeviceName(serial: string): string {
  return `cpe-${serial.replace(/[^A-Za-z0-9._-]/g, '-')}`.slice(0, 63);
}

function child(n: unknown, path: string): Node | undefined {
  let cur: unknown = n;
  for (const part of path.split('.')) {
    if (!isNode(cur)) return undefined;
    cur = cur[part];
  }
  return isNode(cur) ? cur : undefined;
}

function time(v: unknown): number | undefined {
  const ms = typeof v === 'number' ? v : typeof v === 'string' ? Date.parse(v) : Number.NaN;
  return Number.isFinite(ms) ? ms : undefined;
}

function leaf(n: unknown, path: string, fallbackAt: number): Leaf | undefined {
  const node = child(n, path);
  if (!node || !('_value' in node) || node._value === null) return undefined;
  return {
    value: node._value,
    type: typeof node._type === 'string' ? node._type : '',
    at: time(node._timestamp) ?? fallbackAt,
  };
}

function num(l: Leaf | undefined): number | undefined {
  if (!l) return undefined;
  const n = typeof l.value === 'number' ? l.value : typeof l.value === 'string' ? Number(l.value) : Number.NaN;
  return Number.isFinite(n) && !(typeof l.value === 'string' && l.value.trim() === '') ? n : undefined;
}

function str(l: Leaf | undefined): string | undefined {
  if (!l) return undefined;
  const s = typeof l.value === 'string' ? l.value.trim() : typeof l.value === 'number' ? String(l.value) : '';
  return s === '' ? undefined : s;
}

const truthy = (l: Leaf | undefined) => l?.value === true || l?.value === 'true' || l?.value === '1' || l?.value === 1;

/** The numbered instances of a multi-instance object, in number order. */
function instances(n: Node | undefined): Node[] {
  if (!n) return [];
  return Object.keys(n)
    .filter((k) => /^\d+$/.test(k) && isNode(n[k]))
    .sort((a, b) => Number(a) - Number(b))
    .map((k) => n[k] as Node);
}

interface Wan {
  rx?: Leaf;
  tx?: Leaf;
  mac?: string;
  username?: string;
  gauges: Array<{ metric: string; instance: string; leaf: Leaf; scale: number }>;
}

/** TR-098: the WAN device's totals, and the PPP connection that carries the subscriber (else an IP one). */
function tr098(igd: Node, at: number): Wan {
  const wd = child(igd, 'WANDevice.1');
  const conns: Array<{ ppp: boolean; c: Node }> = [];
  for (const cd of instances(child(wd, 'WANConnectionDevice'))) {
    for (const c of instances(child(cd, 'WANPPPConnection'))) conns.push({ ppp: true, c });
    for (const c of instances(child(cd, 'WANIPConnection'))) conns.push({ ppp: false, c });
  }
  const connected = (c: Node) => str(leaf(c, 'ConnectionStatus', at)) === 'Connected';
  const withUser = conns.filter((x) => x.ppp && str(leaf(x.c, 'Username', at)));
  const ppp = (withUser.find((x) => connected(x.c)) ?? withUser[0])?.c;
  const withMac = conns.filter((x) => str(leaf(x.c, 'MACAddress', at)));
  const macConn =
    ppp && str(leaf(ppp, 'MACAddress', at)) ? ppp : (withMac.find((x) => connected(x.c)) ?? withMac[0])?.c;
  const stats = ppp ?? conns.find((x) => connected(x.c))?.c;
  const wan: Wan = {
    rx: leaf(wd, 'WANCommonInterfaceConfig.TotalBytesReceived', at) ?? leaf(stats, 'Stats.EthernetBytesReceived', at),
    tx: leaf(wd, 'WANCommonInterfaceConfig.TotalBytesSent', at) ?? leaf(stats, 'Stats.EthernetBytesSent', at),
    mac: macConn ? normalizeMac(str(leaf(macConn, 'MACAddress', at)) ?? '') : undefined,
    username: ppp ? str(leaf(ppp, 'Username', at)) : undefined,
    gauges: [],
  };
  const snr = leaf(wd, 'WANDSLInterfaceConfig.DownstreamNoiseMargin', at);
  if (snr) wan.gauges.push({ metric: 'cpe_snr_db', instance: 'dsl', leaf: snr, scale: 0.1 });
  return wan;
}

/** TR-181: the PPP interface with a user name, the upstream Ethernet interface, and the radio or line it uses. */
function tr181(dev: Node, at: number): Wan {
  const ppps = instances(child(dev, 'PPP.Interface')).filter((p) => str(leaf(p, 'Username', at)));
  const ppp = ppps.find((p) => str(leaf(p, 'Status', at)) === 'Up') ?? ppps[0];
  const eth = instances(child(dev, 'Ethernet.Interface')).find((e) => truthy(leaf(e, 'Upstream', at)));
  const counters = ppp && leaf(ppp, 'Stats.BytesReceived', at) ? ppp : eth;
  const wan: Wan = {
    rx: leaf(counters, 'Stats.BytesReceived', at),
    tx: leaf(counters, 'Stats.BytesSent', at),
    mac: eth ? normalizeMac(str(leaf(eth, 'MACAddress', at)) ?? '') : undefined,
    username: ppp ? str(leaf(ppp, 'Username', at)) : undefined,
    gauges: [],
  };
  const gauges: Array<[string, string, string, number]> = [
    ['DSL.Line.1.DownstreamNoiseMargin', 'cpe_snr_db', 'dsl', 0.1],
    ['Cellular.Interface.1.RSSI', 'cpe_signal_dbm', 'lte', 1],
    ['WiFi.EndPoint.1.Stats.SignalStrength', 'cpe_signal_dbm', 'wifi', 1],
  ];
  for (const [path, metric, instance, scale] of gauges) {
    const l = leaf(dev, path, at);
    if (l) wan.gauges.push({ metric, instance, leaf: l, scale });
  }
  return wan;
}

/**
 * Bits per second between two byte counter readings, or undefined: the first reading, no newer one, or a counter
 * that went back because the CPE restarted. A 32-bit counter (`xsd:unsignedInt`, TR-098's totals) that went back
 * without a restart wrapped once.
 */
export function wanBps(prev: number, prevAt: number, now: Leaf, rebooted: boolean): number | undefined {
  const v = num(now);
  if (v === undefined || prev < 0 || now.at <= prevAt) return undefined;
  let delta = v - prev;
  if (delta < 0) {
    if (rebooted || now.type !== 'xsd:unsignedInt') return undefined;
    delta += TWO_32;
  }
  return (delta * 8 * 1000) / (now.at - prevAt);
}

export function genieacsPage(input: GenieacsInput): GenieacsResult {
  const text = Buffer.from(input.body.buffer, input.body.byteOffset, input.body.byteLength).toString('utf8');
  const docs: unknown = JSON.parse(text);
  if (!Array.isArray(docs)) throw new Error('the NBI answer is not a JSON array of devices');
  const out = new RowBuilder();
  const cpes: CpeRecord[] = [];
  const state: Record<string, CpeCounters> = {};
  let skipped = 0;
  let lastId: string | null = null;

  for (const doc of docs) {
    if (!isNode(doc) || typeof doc._id !== 'string') {
      skipped++;
      continue;
    }
    lastId = doc._id;
    const ident = isNode(doc._deviceId) ? doc._deviceId : {};
    const serial = typeof ident._SerialNumber === 'string' ? ident._SerialNumber.trim() : '';
    if (serial === '') {
      skipped++;
      continue;
    }
    const lastInform = time(doc._lastInform) ?? null;
    const at = lastInform ?? input.ts;
    const igd = child(doc, 'InternetGatewayDevice');
    const root = igd ?? child(doc, 'Device');
    const wan = igd ? tr098(igd, at) : root ? tr181(root, at) : { gauges: [] };
    const uptime = leaf(root, 'DeviceInfo.UpTime', at);
    const informS = num(leaf(root, 'ManagementServer.PeriodicInformInterval', at)) || DEFAULT_INFORM_S;
    const name = input.names?.[serial] ?? cpeDeviceName(serial);
    const up = lastInform !== null && input.ts - lastInform <= 2 * informS * 1000 + STALE_SLACK_MS;
    cpes.push({
      id: doc._id,
      serial,
      name,
      mac: wan.mac ?? null,
      username: wan.username ?? null,
      firmware: str(leaf(root, 'DeviceInfo.SoftwareVersion', at)) ?? null,
      lastInform,
      status: up ? 'up' : 'down',
    });

    const prev = input.prev?.[doc._id];
    const seen = prev?.[5] ?? -1;
    let newest = seen;
    const source: RowSource = rowSource('', name);
    const gauge = (metric: string, instance: string, l: Leaf | undefined, scale: number) => {
      const v = num(l);
      if (v === undefined || l!.at <= seen) return;
      if (out.add(l!.at, source, metric, instance, v * scale)) newest = Math.max(newest, l!.at);
    };
    const uptimeS = num(uptime);
    const rebooted = prev !== undefined && uptimeS !== undefined && prev[4] >= 0 && uptimeS < prev[4];
    gauge('cpe_uptime_s', '', uptime, 1);
    for (const g of wan.gauges) gauge(g.metric, g.instance, g.leaf, g.scale);
    if (prev && wan.rx) {
      const bps = wanBps(prev[0], prev[1], wan.rx, rebooted);
      if (bps !== undefined && out.add(wan.rx.at, source, 'cpe_wan_rx_bps', '', bps))
        newest = Math.max(newest, wan.rx.at);
    }
    if (prev && wan.tx) {
      const bps = wanBps(prev[2], prev[3], wan.tx, rebooted);
      if (bps !== undefined && out.add(wan.tx.at, source, 'cpe_wan_tx_bps', '', bps))
        newest = Math.max(newest, wan.tx.at);
    }
    const rx = num(wan.rx);
    const tx = num(wan.tx);
    state[doc._id] = [
      rx ?? -1,
      rx === undefined ? -1 : wan.rx!.at,
      tx ?? -1,
      tx === undefined ? -1 : wan.tx!.at,
      uptimeS ?? -1,
      newest,
    ];
  }
  const batch = out.take();
  return {
    body: batch?.body ?? Buffer.alloc(0),
    rows: batch?.rows ?? 0,
    cpes,
    state,
    lastId,
    documents: docs.length,
    skipped,
  };
}

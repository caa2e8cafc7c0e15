/**
 * Simulated tower radios for tests and benches: net-snmp Agents serving the vendor MIB objects wispd's profiles read
 * (Ubiquiti airMAX, MikroTik wireless, Cambium ePMP), IF-MIB interfaces whose counters advance, and a plain 20-object
 * radio for the poll-rate bench. Table indexes are built from integer sub-identifiers, so a MAC address in an index is
 * on the wire exactly as the devices send it (six sub-identifiers, no length).
 */
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import snmp, { type Agent, type Mib } from 'net-snmp';

const T = snmp.ObjectType;
const RO = snmp.MaxAccess['read-only'];
const NA = snmp.MaxAccess['not-accessible'];

export type RadioKind = 'ubiquiti-airmax' | 'mikrotik-wireless' | 'cambium-epmp' | 'interfaces' | 'bench20';

export interface SimOptions {
  kind: RadioKind;
  port?: number;
  community?: string;
  /** IF-MIB interfaces (default 2; the walk bench uses 48). */
  interfaces?: number;
  /** Associated stations on an AP. */
  stations?: number;
  /** Octets added to every interface counter per second (0: counters stay still). */
  bytesPerSecond?: number;
  /** Serve only 32-bit counters (ifTable), as old devices do. */
  only32?: boolean;
  /** Where the first interface's octet counter starts (the others start at multiples). */
  startOctets?: number;
}

export interface SimRadio {
  port: number;
  kind: RadioKind;
  /** MAC addresses of the simulated stations. */
  stations: string[];
  /** Advances the counters to now (also done before each request). */
  advance(): void;
  /** The interface counters' current value (octets in, first interface). */
  octetsIn(ifIndex?: number): number;
  /** Makes sysUpTime restart from zero and the counters from small values (a reboot). */
  reboot(): void;
  close(): Promise<void>;
}

const u64 = (n: number) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(Math.floor(n)));
  return b;
};

function scalar(mib: Mib, name: string, oid: string, type: number, value: unknown, handler?: () => unknown): void {
  mib.registerProvider({
    name,
    type: snmp.MibProviderType.Scalar,
    oid,
    scalarType: type,
    maxAccess: RO,
    ...(handler
      ? {
          handler: (req) => {
            req.instanceNode.value = handler();
            req.done();
          },
        }
      : {}),
  });
  mib.setScalarValue(name, value);
}

interface Col {
  number: number;
  name: string;
  type: number;
  index?: boolean;
}

function table(mib: Mib, name: string, entryOid: string, columns: Col[], foreign?: string): void {
  mib.registerProvider({
    name,
    type: snmp.MibProviderType.Table,
    oid: entryOid,
    maxAccess: NA,
    tableColumns: columns.map((c) => ({ number: c.number, name: c.name, type: c.type, maxAccess: c.index ? NA : RO })),
    tableIndex: foreign
      ? [{ columnName: foreign, foreign: 'ifTable' }]
      : columns.filter((c) => c.index).map((c) => ({ columnName: c.name })),
  });
}

const macs = (n: number, seed: number) =>
  Array.from({ length: n }, (_, i) => [0x02, 0x1a, seed & 0xff, 0x00, (i >> 8) & 0xff, i & 0xff]);
const macText = (m: number[]) => m.map((b) => b.toString(16).padStart(2, '0')).join(':');

export async function startRadio(opts: SimOptions): Promise<SimRadio> {
  const community = opts.community ?? 'public';
  const port = opts.port ?? (await freeUdpPort());
  const agent: Agent = await new Promise((resolve, reject) => {
    let failed = false;
    const a = snmp.createAgent({ port, address: '127.0.0.1' }, (err) => {
      // Bind errors arrive here (asynchronously); request errors too, which are not ours to handle.
      if (err && (err as NodeJS.ErrnoException).code === 'EADDRINUSE' && !failed) {
        failed = true;
        reject(err);
      }
    });
    setTimeout(() => !failed && resolve(a), 20);
  });
  agent.getAuthorizer().addCommunity(community);
  const mib = agent.getMib();

  let bootAt = Date.now();
  let last = Date.now();
  const nIf = opts.interfaces ?? 2;
  const rate = opts.bytesPerSecond ?? 0;
  const octets = Array.from({ length: nIf }, (_, i) => (opts.startOctets ?? 1_000_000) * (i + 1));
  const seed = port;
  const stations = macs(opts.stations ?? 0, seed);

  scalar(mib, 'sysUpTime', '1.3.6.1.2.1.1.3', T.TimeTicks, 0, () => Math.floor((Date.now() - bootAt) / 10));

  const withInterfaces = opts.kind !== 'bench20';
  if (withInterfaces) {
    table(mib, 'ifTable', '1.3.6.1.2.1.2.2.1', [
      { number: 1, name: 'ifIndex', type: T.Integer, index: true },
      { number: 2, name: 'ifDescr', type: T.OctetString },
      { number: 8, name: 'ifOperStatus', type: T.Integer },
      { number: 10, name: 'ifInOctets', type: T.Counter },
      { number: 13, name: 'ifInDiscards', type: T.Counter },
      { number: 14, name: 'ifInErrors', type: T.Counter },
      { number: 16, name: 'ifOutOctets', type: T.Counter },
      { number: 20, name: 'ifOutErrors', type: T.Counter },
    ]);
    if (!opts.only32) {
      table(
        mib,
        'ifXTable',
        '1.3.6.1.2.1.31.1.1.1',
        [
          { number: 1, name: 'ifName', type: T.OctetString },
          { number: 6, name: 'ifHCInOctets', type: T.Counter64 },
          { number: 7, name: 'ifHCInUcastPkts', type: T.Counter64 },
          { number: 10, name: 'ifHCOutOctets', type: T.Counter64 },
          { number: 11, name: 'ifHCOutUcastPkts', type: T.Counter64 },
          { number: 15, name: 'ifHighSpeed', type: T.Gauge },
        ],
        'ifIndex',
      );
    }
    for (let i = 1; i <= nIf; i++) {
      mib.addTableRow('ifTable', [
        i,
        `eth${i - 1}`,
        i === nIf && nIf > 1 ? 2 : 1,
        octets[i - 1]! % 2 ** 32,
        0,
        0,
        0,
        0,
      ]);
      if (!opts.only32)
        mib.addTableRow('ifXTable', [i, `ether${i}`, u64(octets[i - 1]!), u64(0), u64(0), u64(0), 1000]);
    }
  }

  switch (opts.kind) {
    case 'ubiquiti-airmax': {
      table(mib, 'ubntWlStatTable', '1.3.6.1.4.1.41112.1.4.5.1', [
        { number: 1, name: 'ubntWlStatIndex', type: T.Integer, index: true },
        { number: 5, name: 'ubntWlStatSignal', type: T.Integer },
        { number: 6, name: 'ubntWlStatRssi', type: T.Integer },
        { number: 7, name: 'ubntWlStatCcq', type: T.Integer },
        { number: 8, name: 'ubntWlStatNoiseFloor', type: T.Integer },
        { number: 9, name: 'ubntWlStatTxRate', type: T.Integer },
        { number: 10, name: 'ubntWlStatRxRate', type: T.Integer },
        { number: 15, name: 'ubntWlStatStaCount', type: T.Integer },
      ]);
      mib.addTableRow('ubntWlStatTable', [1, -58, 38, 94, -96, 300000, 270000, stations.length]);
      table(mib, 'ubntStaTable', '1.3.6.1.4.1.41112.1.4.7.1', [
        { number: 101, name: 'wl', type: T.Integer, index: true },
        ...[0, 1, 2, 3, 4, 5].map((i) => ({ number: 110 + i, name: `mac${i}`, type: T.Integer, index: true })),
        { number: 3, name: 'ubntStaSignal', type: T.Integer },
        { number: 4, name: 'ubntStaNoiseFloor', type: T.Integer },
        { number: 5, name: 'ubntStaDistance', type: T.Integer },
        { number: 6, name: 'ubntStaCcq', type: T.Integer },
      ]);
      stations.forEach((m, i) => {
        mib.addTableRow('ubntStaTable', [1, ...m, -60 - i, -95, 1200 + i * 100, 90 - i]);
      });
      break;
    }
    case 'mikrotik-wireless': {
      table(mib, 'mtxrWlApTable', '1.3.6.1.4.1.14988.1.1.1.3.1', [
        { number: 1, name: 'mtxrWlApIndex', type: T.Integer, index: true },
        { number: 2, name: 'mtxrWlApTxRate', type: T.Gauge },
        { number: 3, name: 'mtxrWlApRxRate', type: T.Gauge },
        { number: 6, name: 'mtxrWlApClientCount', type: T.Counter },
        { number: 7, name: 'mtxrWlApFreq', type: T.Integer },
        { number: 9, name: 'mtxrWlApNoiseFloor', type: T.Integer },
        { number: 10, name: 'mtxrWlApOverallTxCCQ', type: T.Counter },
      ]);
      mib.addTableRow('mtxrWlApTable', [1, 144_400_000, 130_000_000, stations.length, 5180, -104, 87]);
      table(mib, 'mtxrWlRtabTable', '1.3.6.1.4.1.14988.1.1.1.2.1', [
        ...[0, 1, 2, 3, 4, 5].map((i) => ({ number: 100 + i, name: `mac${i}`, type: T.Integer, index: true })),
        { number: 110, name: 'iface', type: T.Integer, index: true },
        { number: 3, name: 'mtxrWlRtabStrength', type: T.Integer },
        { number: 4, name: 'mtxrWlRtabTxBytes', type: T.Counter },
        { number: 5, name: 'mtxrWlRtabRxBytes', type: T.Counter },
        { number: 12, name: 'mtxrWlRtabSignalToNoise', type: T.Integer },
      ]);
      stations.forEach((m, i) => {
        mib.addTableRow('mtxrWlRtabTable', [...m, 1, -62 - i, 1000, 2000, 40 - i]);
      });
      break;
    }
    case 'cambium-epmp': {
      const base = '1.3.6.1.4.1.17713.21.1.2';
      scalar(mib, 'freq', `${base}.1`, T.Integer, 5745);
      scalar(mib, 'dlrssi', `${base}.3`, T.Integer, -61);
      scalar(mib, 'txpower', `${base}.5`, T.Integer, 20);
      scalar(mib, 'ulmcs', `${base}.6`, T.Integer, 7);
      scalar(mib, 'dlmcs', `${base}.7`, T.Integer, 9);
      scalar(mib, 'stacount', `${base}.10`, T.Integer, stations.length);
      scalar(mib, 'dlsnr', `${base}.18`, T.Integer, 33);
      table(mib, 'staList', `${base}.11.1`, [
        { number: 100, name: 'staIdx', type: T.Integer, index: true },
        { number: 1, name: 'connectedSTAListMAC', type: T.OctetString },
        { number: 4, name: 'ul', type: T.Integer },
        { number: 5, name: 'dl', type: T.Integer },
      ]);
      stations.forEach((m, i) => {
        mib.addTableRow('staList', [i + 1, macText(m).toUpperCase(), -63 - i, -61 - i]);
      });
      break;
    }
    case 'bench20': {
      // A radio read with one GET of 20 objects (+ sysUpTime): signal, noise, rates, CCQ… as scalars.
      for (let i = 1; i <= 20; i++) scalar(mib, `o${i}`, `1.3.6.1.4.1.41112.99.${i}`, T.Integer, -50 - i);
      break;
    }
    default:
      break;
  }

  const advance = () => {
    if (!withInterfaces || rate === 0) return;
    const now = Date.now();
    const add = (rate * (now - last)) / 1000;
    last = now;
    for (let i = 0; i < nIf; i++) {
      octets[i]! += add * (i + 1);
      const idx = [i + 1];
      mib.setTableSingleCell('ifTable', 10, idx, Math.floor(octets[i]!) % 2 ** 32);
      mib.setTableSingleCell('ifTable', 16, idx, Math.floor(octets[i]! / 2) % 2 ** 32);
      if (!opts.only32) {
        mib.setTableSingleCell('ifXTable', 6, idx, u64(octets[i]!));
        mib.setTableSingleCell('ifXTable', 10, idx, u64(octets[i]! / 2));
      }
    }
  };
  const timer = rate > 0 ? setInterval(advance, 100) : undefined;

  return {
    port,
    kind: opts.kind,
    stations: stations.map(macText),
    advance,
    octetsIn: (ifIndex = 1) => Math.floor(octets[ifIndex - 1]!),
    reboot() {
      bootAt = Date.now();
      for (let i = 0; i < nIf; i++) octets[i] = 1000;
      last = Date.now();
      advance();
    },
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(timer);
        agent.close(() => resolve());
      }),
  };
}

/** Writes the profile that reads a `bench20` radio (one GET of 20 objects) into `dir`, as profile `radio20`. */
export function writeRadio20Profile(dir: string): void {
  const scalars = Array.from(
    { length: 20 },
    (_, i) => `  o${i + 1}: { oid: 1.3.6.1.4.1.41112.99.${i + 1}.0, metric: radio.o${i + 1} }`,
  );
  writeFileSync(
    `${dir}/radio20.yaml`,
    ['name: radio20', 'description: 20 scalars', 'scalars:', ...scalars, ''].join('\n'),
  );
}

/** A UDP port nothing listens on now (bound and released by the kernel's choice). */
export async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const { port } = s.address();
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A UDP port that receives SNMP requests and never answers (a dead radio), counting what it got. */
export async function startSilentDevice(): Promise<{
  port: number;
  received: () => number;
  close: () => Promise<void>;
}> {
  const s = createSocket('udp4');
  let n = 0;
  s.on('message', () => n++);
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  return {
    port: s.address().port,
    received: () => n,
    close: () => new Promise<void>((r) => s.close(() => r())),
  };
}

const SNMPD = existsSync('/usr/sbin/snmpd') ? '/usr/sbin/snmpd' : 'snmpd';

/**
 * A real snmpd (Debian's net-snmp agent) on a free loopback port, with community `community` and an SNMPv3 user
 * noc (SHA noc-auth-pass, AES noc-priv-pass); stopped at the test's end. Resolves once it answers.
 */
export async function startSnmpd(
  t: { teardown(fn: () => unknown): void },
  dir: string,
  community = 'wisp-ro',
): Promise<{ port: number; stop(): Promise<void> }> {
  mkdirSync(`${dir}/persist`, { recursive: true });
  const port = await freeUdpPort();
  writeFileSync(
    `${dir}/snmpd.conf`,
    [
      `rocommunity ${community} 127.0.0.1`,
      `persistentDir ${dir}/persist`,
      'createUser noc SHA noc-auth-pass AES noc-priv-pass',
      'rouser noc priv',
      '',
    ].join('\n'),
  );
  const proc = spawn(
    SNMPD,
    ['-f', '-Lo', '-C', '-c', `${dir}/snmpd.conf`, '-p', `${dir}/pid`, `udp:127.0.0.1:${port}`],
    {
      env: { ...process.env, MIBS: '' },
      stdio: 'ignore',
    },
  );
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const stop = async () => {
    if (proc.exitCode === null) proc.kill('SIGTERM');
    await exited;
  };
  t.teardown(stop);
  const session = snmp.createSession('127.0.0.1', community, {
    port,
    version: snmp.Version2c,
    timeout: 200,
    retries: 0,
  });
  session.on('error', () => {});
  try {
    for (let i = 0; ; i++) {
      const ok = await new Promise<boolean>((r) => session.get(['1.3.6.1.2.1.1.3.0'], (err) => r(!err)));
      if (ok) break;
      if (i > 50) throw new Error('snmpd did not start answering');
    }
  } finally {
    session.close();
  }
  return { port, stop };
}

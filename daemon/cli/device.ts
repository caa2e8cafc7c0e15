/** `wispd device …`: devices to watch (radios, routers, switches, LTE cores). */
import type { Command } from 'commander';
import { snmpProfileNames } from '../../collectors/snmp/index.ts';
import type { Config } from '../../config/schema.ts';
import { formatTime } from '../../config/units.ts';
import { DEVICE_ROLES, type SnmpCredentials } from '../../contracts/telemetry/index.ts';
import { control, notRunning } from '../control/client.ts';
import { type LatestValue, latestValues } from '../ingest/latest-samples.ts';
import { formatMac } from '../lib/mac.ts';
import { invalid } from '../model/db.ts';
import { addDevice, type Device, getDevice, listDevices, removeDevice } from '../model/device.ts';
import type { DataDir } from '../store/datadir.ts';
import { printTable, readRecords, withClickhouse, withRecords } from './context.ts';
import { globals, seconds } from './options.ts';

/** "sha:secret" → protocol and key. */
function protocolKey(field: string, text: string | undefined): { protocol?: string; key?: string } {
  if (text === undefined) return {};
  const i = text.indexOf(':');
  if (i < 1) throw invalid(field, '********', 'give the protocol and key as protocol:key, e.g. sha:MyAuthKey1');
  return { protocol: text.slice(0, i).toLowerCase(), key: text.slice(i + 1) };
}

function credentials(o: Record<string, string | undefined>): SnmpCredentials | undefined {
  if (o.v3User) {
    if (o.community) throw invalid('community', '********', 'give either --community (v2c) or --v3-user (v3)');
    const auth = protocolKey('v3-auth', o.v3Auth);
    const priv = protocolKey('v3-priv', o.v3Priv);
    return {
      version: '3',
      user: o.v3User,
      level: 'noAuthNoPriv',
      ...(auth.protocol ? { authProtocol: auth.protocol as never, authKey: auth.key } : {}),
      ...(priv.protocol ? { privProtocol: priv.protocol as never, privKey: priv.key } : {}),
    };
  }
  return o.community === undefined ? undefined : { version: '2c', community: o.community };
}

const ago = (d: Date | null): string | null => {
  if (!d) return null;
  const s = Math.round((Date.now() - new Date(d).getTime()) / 1000);
  return s < 120 ? `${s}s ago` : s < 7200 ? `${Math.round(s / 60)}m ago` : `${Math.round(s / 3600)}h ago`;
};

const deviceRow = (d: Device) => ({
  name: d.name,
  site: d.site,
  role: d.role,
  address: d.address ? `${d.address}${d.port !== 161 ? `:${d.port}` : ''}` : null,
  profile: d.profile ?? (d.metricsUrl ? 'prometheus' : null),
  status: d.status,
  since: ago(d.statusSince),
  last_poll: ago(d.lastPollAt),
  poll_ms: d.lastPollMs,
  error: d.lastError,
});

/**
 * Latest values from ClickHouse: a server is queried directly; the embedded chDB belongs to the running daemon (asked
 * over its control socket) or, when no daemon runs, is opened here.
 */
async function latest(config: Config, dataDir: DataDir, device: string): Promise<LatestValue[]> {
  if (config.clickhouse.url === '') {
    try {
      return await control<LatestValue[]>(dataDir, 'device.latest', { device });
    } catch (err) {
      if (!notRunning(err)) throw err;
    }
  }
  return withClickhouse(config, dataDir, (ch) => latestValues(ch, device));
}

export function registerDeviceCommands(program: Command): void {
  const device = program
    .command('device')
    .description('Devices to watch (radios, routers, switches, LTE cores): add, list, show, remove.');
  device
    .command('add')
    .description('Add a device: polled over SNMP with a profile, or an EPC scraped at its metrics URL.')
    .requiredOption('--name <name>', 'a name for staff, logs and graphs')
    .option('--address <ip[:port]>', 'where its SNMP agent answers (port 161 unless given)')
    .option(
      '--profile <profile>',
      'SNMP profile: if-mib, host-resources, ubiquiti-airmax, mikrotik-wireless, cambium-epmp…',
    )
    .option('--community <community>', 'SNMPv2c community (default public; stored encrypted)')
    .option('--v3-user <user>', 'SNMPv3 user (instead of --community)')
    .option('--v3-auth <protocol:key>', 'SNMPv3 authentication: md5|sha|sha224|sha256|sha384|sha512 and the key')
    .option('--v3-priv <protocol:key>', 'SNMPv3 privacy: des|aes|aes256b|aes256r and the key')
    .option('--interval <seconds>', 'how often it is polled (60, 30s, 5m; at least 5s)', '60')
    .option('--role <role>', DEVICE_ROLES.join(' | '))
    .option('--site <site>', 'the site it stands on')
    .option('--parent <device>', 'the device it reaches the network through (topology: a CPE’s AP, an AP’s backhaul)')
    .option('--metrics-url <url>', 'an EPC: its Prometheus exposition (http://core:9090/metrics)')
    .option('--serial <serial>', 'serial number (a CPE is matched to its ACS record by it)')
    .option('--mac <mac>', 'MAC address')
    .addHelpText(
      'after',
      `
Examples:
  wispd device add --name ap-north-1 --address 10.20.0.11 --profile ubiquiti-airmax --community wisp-ro --site north-tower --role ap
  wispd device add --name core-rtr --address 10.0.0.1 --profile if-mib --v3-user noc --v3-auth sha:authpass1 --v3-priv aes:privpass1
  wispd device add --name lte-core --role epc --metrics-url http://10.0.0.50:9090/metrics --interval 30s`,
    )
    .action((o, cmd: Command) =>
      withRecords(globals(cmd), async ({ write, box, config }) => {
        const profiles = snmpProfileNames(config.snmp.profiles_dir);
        const d = await write({ resource: 'device', action: 'new' }, (tx) =>
          addDevice(
            tx,
            box,
            {
              name: o.name,
              address: o.address,
              profile: o.profile ?? null,
              snmp: credentials(o) ?? null,
              intervalS: seconds('interval', o.interval),
              role: o.role,
              site: o.site,
              parent: o.parent,
              metricsUrl: o.metricsUrl,
              serial: o.serial,
              mac: o.mac,
            },
            { profiles },
          ),
        );
        const how = d.profile ? `SNMP ${d.profile}` : d.metricsUrl ? `scraped at ${d.metricsUrl}` : 'not polled';
        process.stdout.write(`added device ${d.name} (${d.role}, ${how}, every ${d.intervalS}s)\n`);
      }),
    );
  device
    .command('list')
    .description('List the devices: up or down, since when, last poll and its error.')
    .option('--site <site>', 'only the devices of this site')
    .option('--json', 'as JSON')
    .action((o, cmd: Command) =>
      readRecords(globals(cmd), async ({ db }) => {
        const rows = (await listDevices(db, { site: o.site })).map(deviceRow);
        printTable(
          rows,
          ['name', 'site', 'role', 'address', 'profile', 'status', 'since', 'last_poll', 'poll_ms', 'error'],
          o.json,
        );
      }),
    );
  device
    .command('show')
    .description('One device: its record and the latest value of each metric (from ClickHouse, last 24 hours).')
    .argument('<name>', 'the device name')
    .option('--json', 'as JSON')
    .action((name: string, o, cmd: Command) =>
      readRecords(globals(cmd), async ({ db, config, dataDir }) => {
        const d = await getDevice(db, name);
        const values = await latest(config, dataDir, name);
        if (o.json) {
          process.stdout.write(`${JSON.stringify({ device: d, latest: values }, null, 2)}\n`);
          return;
        }
        const facts: Array<[string, unknown]> = [
          ['name', d.name],
          ['site', d.site],
          ['role', d.role],
          ['address', d.address ? `${d.address}:${d.port}` : null],
          ['profile', d.profile],
          ['metrics url', d.metricsUrl],
          ['interval', `${d.intervalS}s`],
          ['parent', d.parent],
          ['subscriber', d.subscriber],
          ['serial', d.serial],
          ['mac', d.mac ? formatMac(d.mac) : null],
          ['firmware', d.firmware],
          ['status', `${d.status}${d.statusSince ? ` since ${formatTime(d.statusSince)}` : ''}`],
          ['last poll', d.lastPollAt ? `${formatTime(d.lastPollAt)} (${d.lastPollMs} ms)` : null],
          ['last error', d.lastError],
        ];
        for (const [k, v] of facts)
          if (v !== null && v !== undefined) process.stdout.write(`${`${k}:`.padEnd(13)}${v}\n`);
        process.stdout.write('\n');
        if (values.length === 0) process.stdout.write('no values in the last 24 hours\n');
        else
          printTable(
            values.map((v) => ({ ...v, value: Number(v.value.toFixed(3)) })),
            ['metric', 'instance', 'value', 'ts'],
          );
      }),
    );
  device
    .command('remove')
    .description('Remove a device; it is no longer polled (its history stays in ClickHouse).')
    .argument('<name>', 'the device name')
    .action((name: string, _o, cmd: Command) =>
      withRecords(globals(cmd), async ({ db, write }) => {
        const before = await getDevice(db, name);
        await write({ resource: 'device', action: 'delete', recordId: before.id, before }, async (tx) => {
          await removeDevice(tx, name);
          return null;
        });
        process.stdout.write(`removed device ${name}\n`);
      }),
    );
}

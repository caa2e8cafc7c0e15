/**
 * wispd's one config schema. Each component declares its section next to its code; this file only assembles them,
 * in the order `dump-config` shows them.
 */

import { adminSection } from '../admin/config.ts';
import { cpeSection } from '../collectors/cpe/config.ts';
import { epcSection } from '../collectors/epc/config.ts';
import { collectSection } from '../collectors/remote/config.ts';
import { snmpSection } from '../collectors/snmp/config.ts';
import { coaSection } from '../daemon/coa/config.ts';
import { daemonSection, logSection } from '../daemon/config.ts';
import { eventsSection } from '../daemon/events/config.ts';
import { ingestSection, telemetrySection } from '../daemon/ingest/config.ts';
import { notifySection } from '../daemon/notify/config.ts';
import { pluginsSection } from '../daemon/plugins/config.ts';
import { fupSection } from '../daemon/policy/fup/config.ts';
import { accountingSection, radiusSection } from '../daemon/radius/config.ts';
import { securitySection } from '../daemon/security/config.ts';
import { busSection } from '../daemon/store/bus/config.ts';
import { clickhouseSection } from '../daemon/store/clickhouse/config.ts';
import { postgresSection } from '../daemon/store/postgres/config.ts';
import { type Infer, section } from './define.ts';

export const schema = section('wispd configuration', {
  log: logSection,
  daemon: daemonSection,
  database: postgresSection,
  clickhouse: clickhouseSection,
  nats: busSection,
  security: securitySection,
  radius: radiusSection,
  accounting: accountingSection,
  coa: coaSection,
  fup: fupSection,
  telemetry: telemetrySection,
  ingest: ingestSection,
  snmp: snmpSection,
  epc: epcSection,
  cpe: cpeSection,
  admin: adminSection,
  collect: collectSection,
  events: eventsSection,
  notify: notifySection,
  plugins: pluginsSection,
});

export type Config = Infer<typeof schema>;
export type LogConfig = Config['log'];
export type DaemonConfig = Config['daemon'];
export type PostgresConfig = Config['database'];
export type ClickhouseConfig = Config['clickhouse'];
export type BusConfig = Config['nats'];
export type SecurityConfig = Config['security'];
export type RadiusConfig = Config['radius'];
export type AccountingConfig = Config['accounting'];
export type CoaConfig = Config['coa'];
export type FupConfig = Config['fup'];
export type TelemetryConfig = Config['telemetry'];
export type IngestConfig = Config['ingest'];
export type SnmpConfig = Config['snmp'];
export type EpcConfig = Config['epc'];
export type CpeConfig = Config['cpe'];
export type AdminConfig = Config['admin'];
export type CollectConfig = Config['collect'];
export type PluginsConfig = Config['plugins'];
export type EventsConfig = Config['events'];
export type NotifyConfig = Config['notify'];

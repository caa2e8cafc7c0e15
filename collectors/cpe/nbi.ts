/**
 * Queries to the GenieACS NBI. Devices are read in pages ordered by `_id`, each page starting after the last id of
 * the one before (`query={"_id":{"$gt":…}}`, `sort={"_id":1}`, `limit`): unlike `skip`, this costs the ACS an index
 * seek per page, and a CPE that registers during a cycle cannot shift the pages and be read twice or missed.
 */

/** The parameters a cycle reads; GenieACS returns only these (and `_id`) of each device document. */
export const PROJECTION: readonly string[] = [
  '_lastInform',
  '_deviceId',
  // TR-098
  'InternetGatewayDevice.DeviceInfo.UpTime',
  'InternetGatewayDevice.DeviceInfo.SoftwareVersion',
  'InternetGatewayDevice.ManagementServer.PeriodicInformInterval',
  'InternetGatewayDevice.WANDevice.1.WANCommonInterfaceConfig.TotalBytesReceived',
  'InternetGatewayDevice.WANDevice.1.WANCommonInterfaceConfig.TotalBytesSent',
  'InternetGatewayDevice.WANDevice.1.WANConnectionDevice',
  'InternetGatewayDevice.WANDevice.1.WANDSLInterfaceConfig.DownstreamNoiseMargin',
  // TR-181
  'Device.DeviceInfo.UpTime',
  'Device.DeviceInfo.SoftwareVersion',
  'Device.ManagementServer.PeriodicInformInterval',
  'Device.PPP.Interface',
  'Device.Ethernet.Interface',
  'Device.DSL.Line.1.DownstreamNoiseMargin',
  'Device.Cellular.Interface.1.RSSI',
  'Device.WiFi.EndPoint.1.Stats.SignalStrength',
];

/** The URL of the page of at most `limit` devices after `after` (the first page when null). */
export function devicesUrl(base: string, after: string | null, limit: number): string {
  const url = new URL('devices', base.endsWith('/') ? base : `${base}/`);
  if (after !== null) url.searchParams.set('query', JSON.stringify({ _id: { $gt: after } }));
  url.searchParams.set('projection', PROJECTION.join(','));
  url.searchParams.set('sort', JSON.stringify({ _id: 1 }));
  url.searchParams.set('limit', String(limit));
  return url.toString();
}

import { boolean, duration, integer, section, string } from '../../config/define.ts';

export const snmpSection = section('The SNMP poller (tower radios, routers, switches).', {
  enabled: boolean({ default: true, doc: 'Poll the devices that have an SNMP profile.' }),
  concurrency: integer({
    default: 256,
    min: 1,
    max: 4096,
    doc: 'Devices polled at once (answering devices; a device that is down is probed in its own lanes).',
  }),
  probe_concurrency: integer({
    default: 16,
    min: 1,
    max: 1024,
    doc: 'Devices that are down probed at once: dead devices waiting for timeouts never hold up the others.',
  }),
  timeout: duration({ default: '2s', min: '100ms', max: '1m', doc: 'Wait for an answer before retrying a request.' }),
  retries: integer({ default: 1, min: 0, max: 10, doc: 'Retries of a request before the poll fails.' }),
  max_repetitions: integer({
    default: 25,
    min: 1,
    max: 200,
    doc: 'Rows asked for per GETBULK request when walking a table (all of its columns at once).',
  }),
  down_after: integer({
    default: 2,
    min: 1,
    max: 100,
    doc: 'Failed polls in a row before a device is down (one answered poll brings it back up).',
  }),
  max_backoff: duration({
    default: '5m',
    min: '1s',
    max: '1h',
    doc: 'A device that is down is probed less and less often (its interval doubled each time), at most this far apart.',
  }),
  profiles_dir: string({
    default: '',
    doc: 'A folder of extra SNMP profiles (YAML, same format as the built-in ones); a file named like a built-in one replaces it.',
  }),
});

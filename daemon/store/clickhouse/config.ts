import { duration, section, string, url } from '../../../config/define.ts';

export const clickhouseSection = section('ClickHouse, for events and time series.', {
  url: url({
    default: '',
    schemes: ['http', 'https'],
    secret: true,
    doc: 'http(s)://host:8123 of a ClickHouse server; empty runs embedded chDB under daemon.data_dir.',
  }),
  database: string({
    default: 'wispd',
    allowEmpty: false,
    pattern: /^[A-Za-z_][A-Za-z0-9_]*$/,
    patternReason: 'must be a plain identifier (letters, digits, underscore)',
    doc: 'Database that holds wispd tables; created when missing.',
  }),
  username: string({ default: 'default', doc: 'User for a ClickHouse server.' }),
  password: string({ default: '', secret: true, doc: 'Password for a ClickHouse server.' }),
  request_timeout: duration({ default: '30s', min: '1s', max: '10m', doc: 'Timeout of one ClickHouse request.' }),
});

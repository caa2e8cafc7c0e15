import { duration, integer, section, string, url } from '../../../config/define.ts';

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
  log_batch_rows: integer({
    default: 10_000,
    min: 1,
    max: 1_000_000,
    doc: 'Rows per insert of the logs kept in memory until written (auth log, CoA ledger, device events), at most.',
  }),
  log_batch_interval: duration({
    default: '1s',
    min: '10ms',
    max: '1m',
    doc: 'Those logs are inserted at least this often when rows wait.',
  }),
  log_buffer_rows: integer({
    default: 200_000,
    min: 1000,
    max: 10_000_000,
    doc: 'Rows of each such log held while ClickHouse is away; past it the oldest are dropped and counted (accounting has its own spool and loses nothing).',
  }),
});

import { duration, integer, port, section, url } from '../../../config/define.ts';

export const postgresSection = section('PostgreSQL, the system of record.', {
  url: url({
    default: '',
    schemes: ['postgres', 'postgresql'],
    hostOptional: true,
    secret: true,
    doc: 'postgres://user:password@host:5432/db of a PostgreSQL 15+ server; empty runs embedded PGlite under daemon.data_dir.',
  }),
  pool_size: integer({ default: 10, min: 1, max: 200, doc: 'Connections in the pool.' }),
  connect_timeout: duration({ default: '10s', min: '100ms', max: '5m', doc: 'How long to wait for a connection.' }),
  embedded_port: port({
    default: 0,
    doc: 'Loopback port on which the embedded PGlite is served to the CLI and the panel; 0 picks a free one (recorded in daemon.data_dir).',
  }),
});

import { boolean, duration, oneOf, section, string } from '../config/define.ts';

export const logSection = section('Logging (JSON lines on standard output, pino).', {
  level: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const, {
    default: 'info',
    doc: 'Lowest level written.',
  }),
});

export const daemonSection = section('The process itself.', {
  data_dir: string({
    default: './data',
    allowEmpty: false,
    doc: 'Where the embedded stores (PGlite, chDB) and the local spools keep their files. Relative to the config file when set there, else to the working directory.',
  }),
  shutdown_timeout: duration({
    default: '8s',
    min: '1s',
    max: '5m',
    doc: 'How long SIGTERM/SIGINT may take to drain and stop every component before the process exits anyway.',
  }),
  test_clock: boolean({
    default: false,
    doc: 'Lets the plugin test kit move the daemon’s clock forward (jobs, fair-usage periods, notification windows) through the control socket. Never in production.',
  }),
});

import { duration, section, string, url } from '../../../config/define.ts';

export const busSection = section('The event bus between components and from remote collectors.', {
  url: url({
    default: '',
    schemes: ['nats', 'tls'],
    list: true,
    secret: true,
    doc: 'nats://host:4222 (a comma-separated list for a cluster) of a NATS server with JetStream; empty uses an in-process bus.',
  }),
  subject_prefix: string({
    default: 'wispd',
    allowEmpty: false,
    pattern: /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/,
    patternReason: 'must be NATS subject tokens (letters, digits, - and _) separated by dots',
    doc: 'Prefix of every subject, so several wispd deployments can share one NATS.',
  }),
  user: string({ default: '', doc: 'NATS user.' }),
  password: string({ default: '', secret: true, doc: 'NATS password.' }),
  token: string({ default: '', secret: true, doc: 'NATS token, instead of a user and password.' }),
  connect_timeout: duration({ default: '5s', min: '100ms', max: '5m', doc: 'How long to wait for NATS at start.' }),
  request_timeout: duration({ default: '5s', min: '10ms', max: '5m', doc: 'Default timeout of a bus request.' }),
});

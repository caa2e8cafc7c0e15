import { duration, list, section } from '../../config/define.ts';

export const pluginsSection = section(
  'Plugins: the business half (billing, CRM, portal…) on the SDK in plugins/sdk/.',
  {
    enabled: list({
      default: [],
      doc: 'Which plugins run, in order: a built-in one by name (plugins/<name>/), or a path to a plugin (relative to the config file), or an npm package.',
      item: /^\S+$/,
      itemReason: 'a plugin name, a path or a package, without spaces',
    }),
    timeout: duration({
      default: '30s',
      min: '1s',
      max: '10m',
      doc: 'How long a plugin may take to register or answer its health check before it is marked failed.',
    }),
    health_interval: duration({
      default: '30s',
      min: '1s',
      max: '1h',
      doc: 'How often each active plugin’s health check runs; a failing one is marked failed (its routes answer 503) until it passes again.',
    }),
  },
);

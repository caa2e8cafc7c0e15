import { duration, section } from '../../../config/define.ts';

export const fupSection = section('The Fair Usage Policy engine (quotas and thresholds are set per plan).', {
  flush_interval: duration({
    default: '1s',
    min: '100ms',
    max: '1m',
    doc: 'How often counters and the octets already counted per session are written to PostgreSQL together; a crash loses at most this much counting, never counts twice.',
  }),
  tick_interval: duration({
    default: '30s',
    min: '1s',
    max: '10m',
    doc: 'How often period changes and expired top-ups are looked for (an accounting update or a usage query notices them sooner).',
  }),
});

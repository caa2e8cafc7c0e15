import { duration, integer, section } from '../../config/define.ts';

export const eventsSection = section('Core events for plugins: a durable log each plugin reads from at its own pace.', {
  flush_interval: duration({
    default: '100ms',
    min: '10ms',
    max: '10s',
    doc: 'How often emitted events are written to the log, in one batch: an event is durable within this long of happening.',
  }),
  poll_interval: duration({
    default: '200ms',
    min: '10ms',
    max: '1m',
    doc: 'How often an idle consumer looks for new events.',
  }),
  batch: integer({ default: 500, min: 1, max: 10_000, doc: 'Events handled per transaction by a consumer.' }),
  retention: duration({
    default: '7d',
    min: '1h',
    max: '365d',
    doc: 'How long events stay in the log (a plugin stopped longer than this misses the older ones).',
  }),
});

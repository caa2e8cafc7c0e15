import { duration, integer, listen, section } from '../../config/define.ts';

export const telemetrySection = section('The telemetry writer: samples from every collector into ClickHouse.', {
  batch_rows: integer({
    default: 100_000,
    min: 100,
    max: 1_000_000,
    doc: 'Rows per ClickHouse insert, at most (batches from pollers and pushers are merged up to this).',
  }),
  batch_interval: duration({
    default: '1s',
    min: '10ms',
    max: '1m',
    doc: 'Rows waiting are inserted at least this often.',
  }),
  max_pending_rows: integer({
    default: 2_000_000,
    min: 1000,
    max: 100_000_000,
    doc: 'Rows held in memory waiting for ClickHouse; beyond this, pushes are refused (HTTP 429, NATS redelivery) and pollers count drops.',
  }),
  spool_mb: integer({
    default: 2048,
    min: 0,
    max: 1_000_000,
    doc: 'Disk kept for batches ClickHouse refused, replayed when it answers again; 0 turns the spool off.',
  }),
});

export const ingestSection = section('The telemetry push endpoint (HTTP and WebSocket, uWebSockets.js).', {
  listen: listen({
    default: '127.0.0.1:8086',
    example: '0.0.0.0:8086',
    doc: 'address:port of POST /v1/telemetry and the /v1/live WebSocket; empty turns them off.',
  }),
  max_body_mb: integer({ default: 32, min: 1, max: 1024, doc: 'Largest POST /v1/telemetry body accepted.' }),
  max_inflight_mb: integer({
    default: 256,
    min: 1,
    max: 16_384,
    doc: 'Bodies being received or parsed at once, in total; beyond this, requests get 503 with Retry-After.',
  }),
  max_inflight_per_collector_mb: integer({
    default: 64,
    min: 1,
    max: 16_384,
    doc: "Bodies of one collector token being received or parsed at once: one collector's slow or large pushes cannot take the whole of max_inflight_mb from the others.",
  }),
  body_timeout: duration({
    default: '30s',
    min: '1s',
    max: '10m',
    doc: 'A body must arrive whole within this time of its request, else 408 and the connection is closed.',
  }),
  min_body_rate: integer({
    default: 16,
    min: 0,
    max: 1_000_000,
    doc: 'KB per second a body must arrive at, averaged from 5 s into it (else 408, connection closed); 0 checks only body_timeout.',
  }),
  parse_threads: integer({
    default: 0,
    min: 0,
    max: 64,
    doc: 'Worker threads parsing pushed bodies, Prometheus expositions and GenieACS answers; 0 is one per core, at most 4.',
  }),
  parse_queue: integer({
    default: 64,
    min: 1,
    max: 100_000,
    doc: 'Bodies waiting for a parse thread; beyond this, pushes get 503 with Retry-After.',
  }),
  stream_max_mb: integer({
    default: 4096,
    min: 16,
    max: 10_000_000,
    doc: 'JetStream disk for remote pollers’ telemetry waiting for the daemon; beyond it the oldest is discarded.',
  }),
  stream_max_age: duration({
    default: '7d',
    min: '1m',
    max: '365d',
    doc: 'Remote pollers’ telemetry the daemon has not taken within this long is discarded from JetStream.',
  }),
  retry_after: duration({
    default: '2s',
    min: '1s',
    max: '5m',
    doc: 'Retry-After given with 429 and 503 answers.',
  }),
});

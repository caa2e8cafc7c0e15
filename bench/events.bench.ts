// Event delivery to a plugin: N session.interim events emitted as accounting emits them, written to the durable log
// in batches, and handled by one consumer (its inbox row and a row of its own per event, in the consumer's
// transaction, as a plugin with an effect does) — a handler called per event (ctx.on, one INSERT each) and one
// called per batch (ctx.onBatch, one INSERT for the batch). The figure is events handled per second, from the first
// emit to the last handled, on the embedded store and, when DATABASE_URL is set, on that PostgreSQL, in the same run.
// Usage: node --import=tsx bench/events.bench.ts [--events 50000] [--batch 500]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { pino } from 'pino';
import { loadConfig } from '../config/load.ts';
import { schema } from '../config/schema.ts';
import { type BatchHandler, createEvents, type EventHandler } from '../daemon/events/index.ts';
import { DataDir } from '../daemon/store/datadir.ts';
import { coreMigrations, createPostgres } from '../daemon/store/postgres/index.ts';
import { report } from './lib.ts';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '50000' },
    batch: { type: 'string', default: '500' },
    help: { type: 'boolean' },
  },
});
if (values.help) {
  console.log(
    'Usage: node --import=tsx bench/events.bench.ts [--events N] [--batch N]\nPrints one JSON line per store.',
  );
  process.exit(0);
}
const total = Number(values.events);
const log = pino({ level: 'warn' });

async function run(store: 'embedded' | 'postgres', url: string, mode: 'each' | 'batch'): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'wispd-bench-events-'));
  const config = loadConfig(schema, {
    text: '',
    env: {
      WISPD_EVENTS_BATCH: String(values.batch),
      WISPD_EVENTS_POLL_INTERVAL: '20ms',
      WISPD_EVENTS_FLUSH_INTERVAL: '50ms',
    },
  });
  const dataDir = new DataDir(dir);
  dataDir.acquireOrThrow();
  const postgres = createPostgres({ ...config.database, url }, { log, dataDir, migrations: coreMigrations() });
  await postgres.start();
  await postgres.query('CREATE TABLE IF NOT EXISTS bench_effect (event_id uuid NOT NULL, bytes bigint NOT NULL)');
  const events = createEvents(config.events, { log, postgres });
  let handled = 0;
  let done: () => void = () => {};
  const finished = new Promise<void>((r) => {
    done = r;
  });
  const each: EventHandler = async (e, tx) => {
    await tx.query('INSERT INTO bench_effect (event_id, bytes) VALUES ($1, $2)', [e.id, e.data.output_octets]);
    if (++handled === total) done();
  };
  const batch: BatchHandler = async (list, tx) => {
    await tx.query('INSERT INTO bench_effect (event_id, bytes) SELECT unnest($1::uuid[]), unnest($2::bigint[])', [
      list.map((e) => e.id),
      list.map((e) => e.data.output_octets),
    ]);
    handled += list.length;
    if (handled === total) done();
  };
  events.consume(`bench-${process.pid}-${mode}`, ['session.interim'], mode === 'each' ? each : batch, {
    batch: mode === 'batch',
  });
  await events.start();
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  // As accounting emits them: in bursts, never waiting.
  for (let i = 0; i < total; i++) {
    events.emit('session.interim', `user${i % 5000}`, {
      username: `user${i % 5000}`,
      subscriber_id: i % 5000,
      nas: 'bench',
      acct_session_id: `s-${i % 5000}`,
      framed_ip: '100.64.0.1',
      session_time: i,
      input_octets: i * 10,
      output_octets: i * 100,
      event_time: Math.floor(Date.now() / 1000),
    });
    if (i % 1000 === 999) await new Promise((r) => setImmediate(r));
  }
  await finished;
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await events.stop();
  const { rows } = await postgres.query<{ n: number }>('SELECT count(DISTINCT event_id)::int AS n FROM bench_effect');
  if (rows[0]!.n !== total) throw new Error(`handled ${rows[0]!.n} distinct events of ${total}`);
  if (store === 'postgres') await postgres.query('DROP TABLE bench_effect');
  await postgres.stop();
  dataDir.release();
  rmSync(dir, { recursive: true, force: true });
  report('events.delivery', {
    store,
    handler: mode,
    events: total,
    batch: Number(values.batch),
    seconds,
    events_per_s: total / seconds,
    // This process: the emitter, the consumer and, embedded, PGlite itself (on PostgreSQL, the server's is elsewhere).
    cpu_us_per_event: (cpu.user + cpu.system) / total,
  });
  return total / seconds;
}

const embedded = await run('embedded', '', 'each');
const embeddedBatch = await run('embedded', '', 'batch');
if (process.env.DATABASE_URL) {
  const name = `wispd_bench_${process.pid}`;
  const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const u = new URL(process.env.DATABASE_URL);
  u.pathname = `/${name}`;
  try {
    const server = await run('postgres', u.toString(), 'each');
    const serverBatch = await run('postgres', u.toString(), 'batch');
    report('events.delivery.ratio', {
      postgres_over_embedded: server / embedded,
      batch_over_each_embedded: embeddedBatch / embedded,
      batch_over_each_postgres: serverBatch / server,
    });
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

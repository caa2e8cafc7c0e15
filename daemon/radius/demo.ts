/**
 * The demo a first `npm start` sets up (radius.demo, on in the example config): a NAS on 127.0.0.1, a plan and a
 * subscriber, so that the README's radclient line gets an Access-Accept at once. Seeded only into an empty embedded
 * database: with `database.url` set this is a deployment, where a known login any NAS could use has no place.
 */
import type { RadiusConfig } from '../../config/schema.ts';
import type { Component } from '../lib/component.ts';
import type { Logger } from '../lib/log.ts';
import { addNas } from '../model/nas.ts';
import { addPlan } from '../model/plan.ts';
import { addSubscriber } from '../model/subscriber.ts';
import type { SecretBox } from '../security/secret-box.ts';
import type { PostgresStore } from '../store/postgres/index.ts';

export const DEMO = {
  nas: { name: 'demo-nas', address: '127.0.0.1', secret: 'wispd-demo-secret', vendor: 'mikrotik' },
  plan: { name: 'demo-20M', rateDown: 20_000_000, rateUp: 5_000_000, interimInterval: 300 },
  subscriber: { username: 'demo', password: 'demo-password', plan: 'demo-20M' },
} as const;

export async function seedDemo(postgres: PostgresStore, box: SecretBox, log: Logger): Promise<void> {
  await postgres.exclusive(0x77697370_03, async (db) => {
    const { rows } = await db.query<{ n: number }>(
      'SELECT (SELECT count(*) FROM nas) + (SELECT count(*) FROM subscriber) AS n',
    );
    if (Number(rows[0]!.n) > 0) return;
    await addNas(db, box, DEMO.nas);
    await addPlan(db, DEMO.plan);
    await addSubscriber(db, box, DEMO.subscriber);
    log.info(
      { nas: DEMO.nas.address, secret: DEMO.nas.secret, username: DEMO.subscriber.username, plan: DEMO.plan.name },
      'demo data seeded (radius.demo): try the radclient line in the README',
    );
  });
}

/** Seeds the demo at start when `radius.demo` is on; before the RADIUS cache loads, so the demo is in it. */
export function createDemo(
  config: RadiusConfig,
  deps: { log: Logger; postgres: PostgresStore; box: () => SecretBox; remoteDatabase: boolean },
): Component {
  const on = config.demo && !deps.remoteDatabase;
  return {
    name: 'demo',
    async start() {
      if (config.demo && deps.remoteDatabase) {
        deps.log.warn(
          { key: 'radius.demo' },
          'radius.demo is ignored: database.url is set, and the demo login has no place in a deployment',
        );
      }
      if (on) await seedDemo(deps.postgres, deps.box(), deps.log);
    },
    async stop() {},
    counters: () => ({}),
    describe: () => (on ? 'seeded into an empty embedded database (radius.demo)' : 'off'),
  };
}

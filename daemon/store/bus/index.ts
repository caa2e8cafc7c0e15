import type { BusConfig } from '../../../config/schema.ts';
import type { Logger } from '../../lib/log.ts';
import type { Bus } from './bus.ts';
import { createMemoryBus } from './memory.ts';
import { createNatsBus } from './nats.ts';

export type { Bus, BusHandler, Subscription } from './bus.ts';

/** NATS when `nats.url` is set, the in-process bus otherwise. */
export function createBus(config: BusConfig, deps: { log: Logger }): Bus {
  const log = deps.log.child({ component: 'bus' });
  return config.url === '' ? createMemoryBus(config, log) : createNatsBus(config, log);
}

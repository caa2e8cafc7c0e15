/**
 * A remote poller's devices, asked of the daemon over the bus (`inventory.targets`, with the collector's token) rather
 * than read from PostgreSQL: a tower site needs NATS and its token, not the database or the instance key. Asked again
 * when the daemon announces a change (`inventory.changed`) and every minute, in case an announcement was missed.
 */
import { isWispdError, WispdError } from '../../daemon/errors.ts';
import type { Logger } from '../../daemon/log.ts';
import type { DeviceTarget } from '../../daemon/model/device.ts';
import type { Bus, Subscription } from '../../daemon/store/bus/index.ts';
import type { Inventory } from '../inventory.ts';

export interface TargetsRequest {
  site: string;
  token: string;
}

const REFRESH_MS = 60_000;
const RETRY_MS = 2000;

export function createRemoteInventory(deps: { log: Logger; bus: Bus; site: string; token: string }): Inventory {
  const log = deps.log.child({ component: 'inventory' });
  let list: DeviceTarget[] = [];
  const listeners: Array<(t: readonly DeviceTarget[]) => void> = [];
  const counters = { reloads: 0, reload_errors: 0 };
  let timer: NodeJS.Timeout | undefined;
  let sub: Subscription | undefined;
  let running = false;

  async function reload(): Promise<void> {
    const request: TargetsRequest = { site: deps.site, token: deps.token };
    list = await deps.bus.request<DeviceTarget[]>('inventory.targets', request, { timeout: 10_000 });
    counters.reloads++;
    for (const fn of listeners) fn(list);
  }

  const refresh = () => {
    if (!running) return;
    clearTimeout(timer);
    reload().then(
      () => {
        timer = setTimeout(refresh, REFRESH_MS);
      },
      (err) => {
        counters.reload_errors++;
        log.warn({ err: (err as Error).message }, 'asking the daemon for this site’s devices failed; retrying');
        timer = setTimeout(refresh, RETRY_MS);
      },
    );
  };

  return {
    name: 'inventory',
    async start() {
      running = true;
      sub = deps.bus.subscribe('inventory.changed', refresh);
      try {
        await reload();
      } catch (err) {
        // A refused token or an unknown site is a configuration error; an absent daemon is waited for.
        if (isWispdError(err, 'WISPD_BUS_HANDLER_FAILED')) {
          throw new WispdError('WISPD_INGEST_UNAUTHORIZED', (err as Error).message, { site: deps.site });
        }
        log.warn({ err: (err as Error).message }, 'the daemon did not answer for this site’s devices; retrying');
      }
      timer = setTimeout(refresh, counters.reloads > 0 ? REFRESH_MS : RETRY_MS);
    },
    async stop() {
      running = false;
      clearTimeout(timer);
      sub?.unsubscribe();
    },
    targets: () => list,
    onChange(fn) {
      listeners.push(fn);
    },
    counters: () => ({ ...counters, devices: list.length }),
    describe: () => `${list.length} devices of site ${deps.site} (from the daemon)`,
  };
}

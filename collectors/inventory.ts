/**
 * The devices a poller is responsible for, loaded from PostgreSQL with their SNMP credentials opened, and reloaded
 * when the inventory changes (change_log): a device added with `wispd device add` is polled within a second or two.
 */
import type { Component } from '../daemon/component.ts';
import type { Logger } from '../daemon/log.ts';
import { type DeviceTarget, loadTargets } from '../daemon/model/device.ts';
import type { SecretBox } from '../daemon/security/secret-box.ts';
import type { Changes } from '../daemon/store/changes.ts';
import type { PostgresStore } from '../daemon/store/postgres/index.ts';

export interface Inventory extends Component {
  targets(): readonly DeviceTarget[];
  /** Called with the whole list after each change (and once at start). */
  onChange(fn: (targets: readonly DeviceTarget[]) => void): void;
}

export interface InventoryDeps {
  log: Logger;
  postgres: PostgresStore;
  changes: Changes;
  box: () => SecretBox;
  /** A remote poller's site; the daemon's scope is every device not on a remote site. */
  site?: string;
}

const DEBOUNCE_MS = 200;

export function createInventory(deps: InventoryDeps): Inventory {
  const log = deps.log.child({ component: 'inventory' });
  let list: DeviceTarget[] = [];
  const listeners: Array<(t: readonly DeviceTarget[]) => void> = [];
  const counters = { reloads: 0, reload_errors: 0 };
  let pending: NodeJS.Timeout | undefined;
  let running = false;

  async function reload(): Promise<void> {
    list = await loadTargets(deps.postgres, deps.box(), { site: deps.site });
    counters.reloads++;
    for (const fn of listeners) fn(list);
  }

  const changed = () => {
    if (!running || pending) return;
    pending = setTimeout(() => {
      pending = undefined;
      reload().catch((err) => {
        counters.reload_errors++;
        log.warn({ err: (err as Error).message }, 'reloading the device inventory failed; keeping the previous list');
      });
    }, DEBOUNCE_MS);
  };
  deps.changes.on('device', changed);
  deps.changes.on('site', changed);

  return {
    name: 'inventory',
    async start() {
      running = true;
      await reload();
    },
    async stop() {
      running = false;
      clearTimeout(pending);
    },
    targets: () => list,
    onChange(fn) {
      listeners.push(fn);
    },
    counters: () => ({ ...counters, devices: list.length }),
    describe: () => `${list.length} devices${deps.site ? ` of site ${deps.site}` : ''}`,
  };
}

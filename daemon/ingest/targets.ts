/**
 * The devices the daemon's own pollers are responsible for (every device not on a site marked remote), loaded from
 * PostgreSQL with their SNMP credentials opened, and reloaded when the inventory changes (change_log): a device added
 * with `wispd device add` is polled within a second or two.
 */
import { TargetList, type TargetSource } from '../../contracts/telemetry/index.ts';
import type { Logger } from '../lib/log.ts';
import { loadTargets } from '../model/device.ts';
import type { SecretBox } from '../security/secret-box.ts';
import type { Changes } from '../store/changes.ts';
import type { PostgresStore } from '../store/postgres/index.ts';

export interface TargetLoaderDeps {
  log: Logger;
  postgres: PostgresStore;
  changes: Changes;
  box: () => SecretBox;
}

const DEBOUNCE_MS = 200;

export function createTargetLoader(deps: TargetLoaderDeps): TargetSource {
  const log = deps.log.child({ component: 'targets' });
  const list = new TargetList();
  const counters = { reloads: 0, reload_errors: 0 };
  let pending: NodeJS.Timeout | undefined;
  let running = false;

  async function reload(): Promise<void> {
    const next = await loadTargets(deps.postgres, deps.box(), {});
    counters.reloads++;
    list.set(next);
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

  return {
    name: 'targets',
    async start() {
      running = true;
      deps.changes.on('device', changed);
      deps.changes.on('site', changed);
      await reload();
    },
    async stop() {
      running = false;
      clearTimeout(pending);
    },
    targets: () => list.targets,
    onChange: (fn) => list.onChange(fn),
    counters: () => ({ ...counters, devices: list.targets.length }),
    describe: () => `${list.targets.length} devices`,
  };
}

/**
 * A remote poller's devices, asked of the daemon (TARGETS_SUBJECT, with the collector's token) rather than read from
 * PostgreSQL: a tower site needs NATS and its token, not the database or the instance key. Asked again when the daemon
 * announces a change (TARGETS_CHANGED_SUBJECT) and every minute, in case an announcement was missed.
 */
import {
  type DeviceTarget,
  TargetList,
  type TargetSource,
  type TargetsRequest,
} from '../../contracts/telemetry/index.ts';
import { isWispdError, WispdError } from '../../daemon/lib/errors.ts';
import type { Logger } from '../../daemon/lib/log.ts';

export interface RemoteTargetsDeps {
  log: Logger;
  site: string;
  token: string;
  /** Asks the daemon (a bus request); rejects with WISPD_BUS_HANDLER_FAILED when the daemon refused. */
  ask(request: TargetsRequest): Promise<DeviceTarget[]>;
  /** Calls `fn` on each change announcement; returns what stops it. */
  onAnnounced(fn: () => void): () => void;
}

const REFRESH_MS = 60_000;
const RETRY_MS = 2000;

export function createRemoteTargets(deps: RemoteTargetsDeps): TargetSource {
  const log = deps.log.child({ component: 'targets' });
  const list = new TargetList();
  const counters = { reloads: 0, reload_errors: 0 };
  let timer: NodeJS.Timeout | undefined;
  let unsubscribe: (() => void) | undefined;
  let running = false;

  async function reload(): Promise<void> {
    const next = await deps.ask({ site: deps.site, token: deps.token });
    counters.reloads++;
    list.set(next);
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
    name: 'targets',
    async start() {
      running = true;
      unsubscribe = deps.onAnnounced(refresh);
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
      unsubscribe?.();
    },
    targets: () => list.targets,
    onChange: (fn) => list.onChange(fn),
    counters: () => ({ ...counters, devices: list.targets.length }),
    describe: () => `${list.targets.length} devices of site ${deps.site} (from the daemon)`,
  };
}

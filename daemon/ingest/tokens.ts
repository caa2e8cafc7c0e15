/**
 * Collector tokens as the ingest endpoint checks them: hashes loaded from PostgreSQL at start and reloaded when
 * `wispd collector add/remove` changes them (change_log), so no request waits on the database.
 */
import type { HttpRequest } from 'uWebSockets.js';
import type { Component } from '../lib/component.ts';
import type { Logger } from '../lib/log.ts';
import { hashToken, loadCollectorTokens } from '../model/device.ts';
import type { Changes } from '../store/changes.ts';
import type { PostgresStore } from '../store/postgres/index.ts';

export interface CollectorIdentity {
  name: string;
  /** Where its samples belong when they name no site ("" for none). */
  site: string;
}

export interface CollectorTokens extends Component {
  lookup(token: string): CollectorIdentity | undefined;
}

export function createCollectorTokens(deps: {
  log: Logger;
  postgres: PostgresStore;
  changes: Changes;
}): CollectorTokens {
  const log = deps.log.child({ component: 'collector-tokens' });
  let byHash = new Map<string, CollectorIdentity>();
  const counters = { reloads: 0 };
  const reload = async () => {
    byHash = await loadCollectorTokens(deps.postgres);
    counters.reloads++;
  };
  return {
    name: 'collector-tokens',
    async start() {
      deps.changes.on('collector', () =>
        reload().catch((err) => log.warn({ err: (err as Error).message }, 'reloading collector tokens failed')),
      );
      await reload();
    },
    async stop() {},
    counters: () => ({ ...counters, collectors: byHash.size }),
    describe: () => `${byHash.size} collector token(s)`,
    lookup: (token) => (token.length > 0 ? byHash.get(hashToken(token)) : undefined),
  };
}

/** The token of `Authorization: Bearer <token>`, or an empty string. */
export function bearer(req: Pick<HttpRequest, 'getHeader'>): string {
  const auth = req.getHeader('authorization');
  return auth.startsWith('Bearer ') ? auth.slice(7).trim() : '';
}

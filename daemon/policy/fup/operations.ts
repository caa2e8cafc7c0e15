/** The FUP operations the control socket offers to the CLI: a subscriber's usage (with or without FUP), a top-up, a counter reset. */
import { parseBytes } from '../../../config/units.ts';
import { auditedOperation } from '../../control/audited.ts';
import type { ControlServer } from '../../control/server.ts';
import { WispdError } from '../../lib/errors.ts';
import type { Transactional } from '../../model/audit.ts';
import { invalid, notFound } from '../../model/db.ts';
import type { RadiusCache } from '../../radius/cache/index.ts';
import type { ClickhouseStore } from '../../store/clickhouse/index.ts';
import type { Fup } from './index.ts';
import { cycleUsage, type UsageReport } from './report.ts';

export function registerFupOperations(
  control: ControlServer,
  fup: Fup,
  cache: RadiusCache,
  db: Transactional,
  clickhouse: Pick<ClickhouseStore, 'query'>,
): void {
  const subscriberId = (args: Record<string, unknown>) => {
    const username = String(args.username ?? '');
    const sub = cache.subscriber(username);
    if (!sub) throw notFound('subscriber', username);
    if (!cache.plan(sub.planId)?.rules) {
      throw new WispdError('WISPD_INVALID_INPUT', `${username}'s plan has no fair usage policy`, { username });
    }
    return sub.id;
  };
  control.handle('usage', async (args): Promise<UsageReport> => {
    const username = String(args.username ?? '');
    const sub = cache.subscriber(username);
    if (!sub) throw notFound('subscriber', username);
    const plan = cache.plan(sub.planId);
    const name = plan?.plan.name ?? '';
    const usage = plan?.rules ? fup.usage(sub.id) : undefined;
    if (usage) return { fup: true, plan: name, source: 'engine', ...usage };
    return cycleUsage(clickhouse, { username, plan: name, cycleDay: sub.cycleDay }, Date.now());
  });
  control.handle(
    'topup',
    auditedOperation(db, { resource: 'fup', action: 'topup' }, async (args) => {
      const bytes = parseBytes(String(args.bytes ?? ''));
      if (!bytes) throw invalid('bytes', args.bytes, 'an amount such as 5G or 500M');
      const kind = args.kind === 'bonus' ? 'bonus' : 'topup';
      const expiresAt = typeof args.expires === 'string' ? new Date(args.expires) : undefined;
      if (expiresAt && Number.isNaN(expiresAt.getTime()))
        throw invalid('expires', args.expires, 'a date such as 2026-12-31');
      return fup.topup(subscriberId(args), bytes, {
        kind,
        actor: String(args.actor ?? 'cli'),
        ...(expiresAt ? { expiresAt } : {}),
      });
    }),
  );
  control.handle(
    'fup-reset',
    auditedOperation(db, { resource: 'fup', action: 'reset-fup' }, async (args) => fup.reset(subscriberId(args))),
  );
}

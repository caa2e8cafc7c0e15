/**
 * The restriction operations the control socket offers to the CLI and the panel: `restrict`, `unrestrict`, the
 * list of a subscriber's `restrictions`, and `suspend`/`resume`, which are the `manual` reason (a walled garden,
 * or a reject when the walled garden is off).
 */

import type { CoaContext } from '../../coa/index.ts';
import { auditedOperation } from '../../control/audited.ts';
import type { ControlServer } from '../../control/server.ts';
import type { Transactional } from '../../model/audit.ts';
import { invalid } from '../../model/db.ts';
import type { Restrictions } from './index.ts';

const text = (args: Record<string, unknown>, key: string): string => {
  const v = args[key];
  if (typeof v !== 'string' || v === '') throw invalid(key, v, 'is required');
  return v;
};

const contextOf = (args: Record<string, unknown>): CoaContext => ({
  actor: typeof args.actor === 'string' ? args.actor : 'cli',
  ...(typeof args.reason === 'string' && args.reason !== '' ? { reason: args.reason } : {}),
});

export function registerRestrictionOperations(
  control: ControlServer,
  restrictions: Restrictions,
  db: Transactional,
): void {
  const audited = (action: string, handler: Parameters<ControlServer['handle']>[1]) =>
    auditedOperation(db, { resource: 'subscriber', action }, handler);

  control.handle('restrictions', async (args) => restrictions.of(text(args, 'username')));
  control.handle(
    'restrict',
    audited('restrict', async (args) =>
      restrictions.restrict(
        text(args, 'username'),
        {
          reason: text(args, 'for'),
          effect: text(args, 'effect'),
          rateDown: args.rateDown as number | undefined,
          rateUp: args.rateUp as number | undefined,
          profile: (args.profile as string | undefined) ?? null,
          note: typeof args.reason === 'string' ? args.reason : '',
        },
        contextOf(args),
      ),
    ),
  );
  control.handle(
    'unrestrict',
    audited('unrestrict', async (args) =>
      restrictions.unrestrict(text(args, 'username'), text(args, 'for'), contextOf(args)),
    ),
  );
  control.handle(
    'suspend',
    audited('suspend', async (args) => {
      const change = await restrictions.restrict(
        text(args, 'username'),
        { reason: 'manual', effect: 'walled_garden', note: typeof args.reason === 'string' ? args.reason : '' },
        contextOf(args),
      );
      return change.coa;
    }),
  );
  control.handle(
    'resume',
    audited(
      'resume',
      async (args) => (await restrictions.unrestrict(text(args, 'username'), 'manual', contextOf(args))).coa,
    ),
  );
}

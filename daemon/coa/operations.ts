/** The CoA operations the control socket offers to the CLI (the panel calls the Coa component directly). */

import { auditedOperation } from '../control/audited.ts';
import type { ControlHandler, ControlServer } from '../control/server.ts';
import { WispdError } from '../lib/errors.ts';
import type { Transactional } from '../model/audit.ts';
import { invalid, notFound } from '../model/db.ts';
import type { Sessions } from '../radius/sessions/index.ts';
import type { Coa, CoaContext } from './index.ts';

const text = (args: Record<string, unknown>, key: string): string => {
  const v = args[key];
  if (typeof v !== 'string' || v === '') throw invalid(key, v, 'is required');
  return v;
};

export function registerCoaOperations(control: ControlServer, coa: Coa, sessions: Sessions, db: Transactional): void {
  const audited = (action: string, handler: ControlHandler) =>
    auditedOperation(db, { resource: 'session', action }, handler);
  const ctx = (args: Record<string, unknown>): CoaContext => ({
    actor: typeof args.actor === 'string' ? args.actor : 'cli',
    ...(typeof args.reason === 'string' ? { reason: args.reason } : {}),
  });
  /** The subscriber's live sessions, or the one named. */
  const targets = async (args: Record<string, unknown>) => {
    const username = text(args, 'username');
    const all = sessions.forUser(username);
    const only = typeof args.session === 'string' ? all.filter((s) => s.acctSessionId === args.session) : all;
    if (all.length === 0) {
      const { rows } = await db.query('SELECT 1 FROM subscriber WHERE username = $1', [username]);
      if (rows.length === 0) throw notFound('subscriber', username);
    }
    if (only.length === 0) {
      throw new WispdError(
        'WISPD_NOT_FOUND',
        `${username} has no live session${args.session ? ` ${args.session}` : ''}`,
        {},
      );
    }
    return only;
  };

  control.handle(
    'disconnect',
    audited('disconnect', async (args) => Promise.all((await targets(args)).map((s) => coa.disconnect(s, ctx(args))))),
  );
  control.handle(
    'coa',
    audited('change-rate', async (args) => {
      const rateDown = Number(args.rateDown);
      const rateUp = Number(args.rateUp);
      if (!(rateDown > 0) || !(rateUp > 0)) throw invalid('rate', args.rate, 'a rate such as 5M/1M (down/up)');
      return Promise.all((await targets(args)).map((s) => coa.changeRate(s, { rateDown, rateUp }, ctx(args))));
    }),
  );
}

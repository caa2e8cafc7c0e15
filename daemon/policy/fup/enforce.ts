/** How FUP acts on a subscriber's live sessions: through the CoA component, with `fup` as the actor in its ledger. */
import type { Coa } from '../../coa/index.ts';
import type { FupActions } from './engine.ts';

export function coaEnforcement(
  coa: Pick<Coa, 'changeSubscriberRate' | 'disconnectSubscriber' | 'restoreSubscriberRate'>,
): FupActions {
  return {
    throttle: (username, rate, reason) =>
      coa.changeSubscriberRate(username, rate, { actor: 'fup', reason }, 'fup-throttle'),
    block: (username, reason) => coa.disconnectSubscriber(username, { actor: 'fup', reason }, 'fup-block'),
    restore: (username, reason) => coa.restoreSubscriberRate(username, { actor: 'fup', reason }, 'fup-restore'),
  };
}

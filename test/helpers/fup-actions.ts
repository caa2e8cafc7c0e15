// What the FUP engine asked of the restriction stack, as lines a test compares: `throttle alice 1000000/512000`,
// `block alice`, `restore alice (new period)`.
import type { FupActions } from '../../daemon/policy/fup/index.ts';

export function recordedFupActions(into: string[]): FupActions {
  return {
    async changed(username, { after, reason }) {
      if (after.action === 'throttle') into.push(`throttle ${username} ${after.rate!.rateDown}/${after.rate!.rateUp}`);
      else if (after.action === 'block') into.push(`block ${username}`);
      else into.push(`restore ${username} (${reason})`);
    },
  };
}

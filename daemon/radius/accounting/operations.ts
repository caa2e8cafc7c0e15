/** The accounting operations the control socket offers to the CLI: the quarantined records, and their replay. */
import type { ControlServer } from '../../control/server.ts';
import type { Accounting } from './index.ts';

export function registerAccountingOperations(control: ControlServer, accounting: Accounting): void {
  control.handle('accounting-quarantine', async () => accounting.quarantined());
  control.handle('accounting-replay', async () => accounting.replayQuarantined());
}

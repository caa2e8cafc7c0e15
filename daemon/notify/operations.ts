/** The hub's operations on the control socket: what `wispd notify …` and the panel call. */
import { auditedOperation } from '../control/audited.ts';
import type { ControlServer } from '../control/server.ts';
import type { Transactional } from '../model/audit.ts';
import { invalid } from '../model/db.ts';
import type { Channel, MessageStatus, Notify } from './index.ts';

export function registerNotifyOperations(control: ControlServer, notify: Notify, db: Transactional): void {
  control.handle(
    'notify.test',
    auditedOperation(db, { resource: 'notify', action: 'test' }, async (args) => {
      const to = String(args.to ?? '');
      const channel = (to.includes('@') ? 'email' : to.startsWith('+') ? 'sms' : 'webhook') as Channel;
      if (channel === 'webhook' && to !== 'webhook')
        throw invalid('to', to, 'an email address, a +phone number, or "webhook"');
      const queued = await notify.notify({
        to: channel === 'email' ? { email: to } : channel === 'sms' ? { phone: to } : {},
        template: 'test',
        category: 'system',
        critical: true,
        data: { sent_by: String(args.actor ?? 'cli') },
        channels: [channel],
      });
      if (queued.length === 0) throw invalid('to', to, `the ${channel} channel is not configured (notify.${channel})`);
      await notify.deliver();
      return (await notify.messages({ limit: 20 })).filter((m) => queued.some((q) => q.id === m.id));
    }),
  );
  control.handle('notify.log', async (args) =>
    notify.messages({
      ...(args.customer !== undefined ? { customerId: Number(args.customer) } : {}),
      ...(typeof args.status === 'string' ? { status: args.status as MessageStatus } : {}),
      limit: Number(args.limit ?? 50),
    }),
  );
}

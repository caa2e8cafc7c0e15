/**
 * Operations that change something, as the CLI asks for them over the control socket, each with its audit row (the
 * panel writes its own when it calls the components directly). The actor is who the CLI says ran it (`cli:<user>`).
 */
import { appendAudit, type Transactional } from '../model/audit.ts';
import type { ControlHandler } from './server.ts';

export function auditedOperation(
  db: Transactional,
  what: { resource: string; action: string },
  handler: ControlHandler,
): ControlHandler {
  return async (args) => {
    const result = await handler(args);
    const actor = typeof args.actor === 'string' && args.actor.startsWith('cli:') ? args.actor : 'cli';
    const { actor: _, ...asked } = args;
    await appendAudit(
      db,
      { staffId: null, name: actor },
      { ...what, recordId: typeof args.username === 'string' ? args.username : null, after: { asked, result } },
    );
    return result;
  };
}

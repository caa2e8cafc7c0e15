/**
 * Operations that change something, as the CLI asks for them over the control socket, each with its audit row (the
 * panel, which calls them too, writes its own row). The actor is who the CLI says ran it (`cli:<user>`).
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
    // The panel calls the same operations and writes its own row, with the staff member's id.
    const actor = typeof args.actor === 'string' ? args.actor : '';
    if (!actor.startsWith('cli:')) return result;
    const { actor: _, ...asked } = args;
    await appendAudit(
      db,
      { staffId: null, name: actor },
      { ...what, recordId: typeof args.username === 'string' ? args.username : null, after: { asked, result } },
    );
    return result;
  };
}

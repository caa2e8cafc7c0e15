// The panel's map from AdminJS resources and actions to the permission table: every mapped action names a grant the
// table knows, the map decides exactly what `can` decides, and whatever it does not name is refused to everyone.
import t from 'tap';
import { accessibleFor, mayRun, PANEL_RESOURCES, permissionOf } from '../../admin/panel/access.ts';
import { can, RESOURCE_ACTIONS } from '../../admin/permissions.ts';
import { STAFF_ROLES } from '../../daemon/model/staff.ts';

const ADMINJS_ACTIONS = [
  'list',
  'search',
  'show',
  'new',
  'edit',
  'delete',
  'bulkDelete',
  'suspend',
  'resume',
  'bulkSuspend',
  'bulkResume',
  'topup',
  'resetFup',
  'disconnect',
  'changeRate',
];

t.test('each mapped action is a grant of the table, decided as the table decides', async (t) => {
  for (const resourceId of Object.keys(PANEL_RESOURCES)) {
    for (const action of ADMINJS_ACTIONS) {
      const p = permissionOf(resourceId, action);
      t.ok(p, `${resourceId}:${action} is mapped`);
      for (const role of STAFF_ROLES) {
        const admin = { id: 1, email: 'x@example.net', role, title: role, address: '127.0.0.1' };
        const known = (RESOURCE_ACTIONS[p!.resource] as readonly string[]).includes(p!.action);
        const expected = known && can(role, p!.resource, p!.action);
        t.equal(mayRun(admin, resourceId, action), expected, `${role} ${resourceId}:${action}`);
        t.equal(accessibleFor(resourceId, action)({ currentAdmin: admin }), expected);
      }
    }
  }
});

t.test('cases named by hand', async (t) => {
  const as = (role: (typeof STAFF_ROLES)[number]) => ({ id: 1, email: 'x', role, title: role, address: '' });
  t.same(permissionOf('subscriber', 'topup'), { resource: 'fup', action: 'topup' }, 'a top-up is an fup grant');
  t.same(permissionOf('fup_counter', 'search'), { resource: 'fup', action: 'list' });
  t.same(permissionOf('radius_session', 'changeRate'), { resource: 'session', action: 'change-rate' });
  t.same(permissionOf('subscriber', 'bulkSuspend'), { resource: 'subscriber', action: 'bulk-suspend' });
  t.ok(mayRun(as('support'), 'radius_session', 'disconnect'));
  t.notOk(mayRun(as('support'), 'radius_session', 'changeRate'));
  t.ok(mayRun(as('billing'), 'subscriber', 'topup'));
  t.notOk(mayRun(as('noc'), 'subscriber', 'topup'));
  t.notOk(mayRun(as('noc'), 'audit_log', 'list'), 'the audit log is for admins');
  t.ok(mayRun(as('admin'), 'audit_log', 'show'));
  t.notOk(mayRun(as('admin'), 'radius_session', 'new'), 'live sessions are read-only, even for admins');
  t.notOk(mayRun(as('admin'), 'staff_session', 'list'), 'a table the panel does not name');
  t.notOk(mayRun(as('admin'), 'subscriber', 'toString'), 'an action the map does not name');
  t.notOk(mayRun(undefined, 'subscriber', 'list'), 'no session');
  t.notOk(mayRun({ ...as('admin'), role: 'root' as never }, 'subscriber', 'list'), 'a role the table does not know');
});

/**
 * Staff accounts and the audit log over the API (admin only, per admin/permissions.ts):
 * `GET|POST /admin/api/staff`, `PATCH /admin/api/staff/:id` (role, disabled, password), `GET /admin/api/audit`.
 */
import type { FastifyInstance } from 'fastify';
import { listAudit } from '../daemon/model/audit.ts';
import type { Queryable } from '../daemon/model/db.ts';
import {
  changeStaff,
  insertStaff,
  listStaff,
  prepareStaff,
  prepareStaffChange,
  STAFF_ROLES,
} from '../daemon/model/staff.ts';
import type { StaffAuth } from './auth.ts';

const role = { type: 'string', enum: STAFF_ROLES } as const;

export function registerStaffRoutes(app: FastifyInstance, auth: StaffAuth, db: Queryable): void {
  app.get('/admin/api/staff', { preHandler: auth.guard('staff', 'list') }, async () => ({
    staff: await listStaff(db),
  }));

  app.post<{ Body: { email: string; password: string; role: string } }>(
    '/admin/api/staff',
    {
      preHandler: auth.guard('staff', 'new'),
      schema: {
        body: {
          type: 'object',
          required: ['email', 'password', 'role'],
          additionalProperties: false,
          properties: { email: { type: 'string' }, password: { type: 'string' }, role },
        },
      },
    },
    async (request, reply) => {
      const prepared = await prepareStaff(request.body);
      const staff = await auth.write(request, { resource: 'staff', action: 'new' }, (tx) => insertStaff(tx, prepared));
      return reply.code(201).send({ staff });
    },
  );

  app.patch<{ Params: { id: number }; Body: { role?: string; disabled?: boolean; password?: string } }>(
    '/admin/api/staff/:id',
    {
      preHandler: auth.guard('staff', 'edit'),
      schema: {
        params: { type: 'object', properties: { id: { type: 'integer', minimum: 1 } } },
        body: {
          type: 'object',
          additionalProperties: false,
          minProperties: 1,
          properties: { role, disabled: { type: 'boolean' }, password: { type: 'string' } },
        },
      },
    },
    async (request) => {
      const change = await prepareStaffChange(request.body);
      const staff = await auth.write(request, { resource: 'staff', action: 'edit' }, (tx) =>
        changeStaff(tx, { id: request.params.id }, change),
      );
      return { staff };
    },
  );

  app.get<{ Querystring: { resource?: string; record?: string; limit?: number } }>(
    '/admin/api/audit',
    {
      preHandler: auth.guard('audit_log', 'list'),
      schema: {
        querystring: {
          type: 'object',
          properties: {
            resource: { type: 'string' },
            record: { type: 'string' },
            limit: { type: 'integer', minimum: 1, maximum: 1000 },
          },
        },
      },
    },
    async (request) => ({
      entries: await listAudit(db, {
        resource: request.query.resource,
        recordId: request.query.record,
        limit: request.query.limit,
      }),
    }),
  );
}

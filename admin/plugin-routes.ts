/**
 * The Plugins page's data and the plugins' panel pages, for the panel:
 * `GET /admin/api/plugins` (admins): each plugin with its status, migrations, masked settings, jobs and latest
 * workflow runs; `POST /admin/api/workflows/:id/retry|abandon`; `GET /admin/api/plugin-pages/:id`: a page's spec.
 * The notification hub's: `GET /admin/api/notify/messages|templates`, `PUT /admin/api/notify/templates/:name`,
 * `POST /admin/api/notify/test`.
 */
import type { FastifyInstance } from 'fastify';
import type { JobRow } from '../daemon/jobs/index.ts';
import type { Transactional } from '../daemon/model/audit.ts';
import { notFound } from '../daemon/model/db.ts';
import type { MessageStatus, Notify } from '../daemon/notify/index.ts';
import type { PluginHost } from '../daemon/plugins/host.ts';
import { listRuns } from '../daemon/workflows/index.ts';
import { actorOf, type StaffAuth } from './auth.ts';
import type { Operations } from './panel/index.ts';

export interface PluginRoutesDeps {
  db: Transactional;
  plugins?: Pick<PluginHost, 'list' | 'pages'>;
  notify?: Pick<Notify, 'messages' | 'templates' | 'saveTemplate' | 'resetTemplate' | 'notify' | 'deliver'>;
  operations?: Operations;
}

export function registerPluginRoutes(app: FastifyInstance, auth: StaffAuth, deps: PluginRoutesDeps): void {
  const { db } = deps;
  app.get('/admin/api/plugins', { preHandler: auth.guard('plugin', 'list') }, async () => {
    const plugins = deps.plugins?.list() ?? [];
    const jobs = (await db.query<JobRow>('SELECT * FROM job ORDER BY name')).rows;
    const runs = await listRuns(db, { limit: 200 });
    return {
      plugins: plugins.map((p) => ({
        ...p,
        jobs: jobs
          .filter((j) => j.name.startsWith(`${p.name}.`))
          .map((j) => ({
            name: j.name,
            schedule: j.schedule,
            lastRun: j.started_at,
            durationMs: j.duration_ms,
            error: j.error,
            nextRun: j.next_at,
            runs: Number(j.runs),
            failures: Number(j.failures),
          })),
        runs: runs.filter((r) => r.workflow.startsWith(`${p.name}.`)).slice(0, 20),
      })),
    };
  });

  for (const op of ['retry', 'abandon'] as const) {
    app.post<{ Params: { id: string } }>(
      `/admin/api/workflows/:id/${op}`,
      { preHandler: auth.guard('plugin', 'retry') },
      async (request) => {
        if (!deps.operations) throw new Error('workflows are run by the daemon');
        const run = await deps.operations.invoke(`workflow.${op}`, { id: request.params.id });
        await auth.write(request, { resource: 'plugin', action: 'retry' }, async () => ({
          result: undefined,
          recordId: request.params.id,
          before: null,
          after: { [op]: request.params.id },
        }));
        return { run };
      },
    );
  }

  app.get<{ Params: { id: string } }>('/admin/api/plugin-pages/:id', { preHandler: auth.loggedIn }, async (request) => {
    const page = deps.plugins?.pages().find((p) => p.id === request.params.id);
    if (!page) throw notFound('plugin page', request.params.id);
    return { page };
  });

  const notify = () => {
    if (!deps.notify) throw new Error('the notification hub runs in the daemon');
    return deps.notify;
  };
  app.get<{ Querystring: { customer?: number; status?: MessageStatus; limit?: number } }>(
    '/admin/api/notify/messages',
    {
      preHandler: auth.guard('notify', 'list'),
      schema: {
        querystring: {
          type: 'object',
          properties: {
            customer: { type: 'integer', minimum: 1 },
            status: { type: 'string', enum: ['queued', 'held', 'sent', 'failed', 'suppressed', 'folded'] },
            limit: { type: 'integer', minimum: 1, maximum: 1000 },
          },
        },
      },
    },
    async (request) => ({
      messages: await notify().messages({
        ...(request.query.customer ? { customerId: request.query.customer } : {}),
        ...(request.query.status ? { status: request.query.status } : {}),
        limit: request.query.limit ?? 100,
      }),
    }),
  );
  app.get('/admin/api/notify/templates', { preHandler: auth.guard('notify', 'list') }, async () => ({
    templates: await notify().templates(),
  }));
  app.put<{ Params: { name: string }; Body: { subject: string; text: string; html?: string; sms?: string } }>(
    '/admin/api/notify/templates/:name',
    {
      preHandler: auth.guard('notify', 'edit'),
      schema: {
        body: {
          type: 'object',
          required: ['subject', 'text'],
          additionalProperties: false,
          properties: {
            subject: { type: 'string' },
            text: { type: 'string' },
            html: { type: 'string' },
            sms: { type: 'string' },
          },
        },
      },
    },
    async (request) => {
      await notify().saveTemplate(request.params.name, request.body, actorOf(request));
      return { templates: await notify().templates() };
    },
  );
  app.delete<{ Params: { name: string } }>(
    '/admin/api/notify/templates/:name',
    { preHandler: auth.guard('notify', 'edit') },
    async (request) => {
      await notify().resetTemplate(request.params.name, actorOf(request));
      return { templates: await notify().templates() };
    },
  );
  app.post<{ Body: { to: string } }>(
    '/admin/api/notify/test',
    {
      preHandler: auth.guard('notify', 'test'),
      schema: {
        body: { type: 'object', required: ['to'], additionalProperties: false, properties: { to: { type: 'string' } } },
      },
    },
    async (request) => {
      if (!deps.operations) throw new Error('the notification hub runs in the daemon');
      const messages = await deps.operations.invoke('notify.test', {
        to: request.body.to,
        actor: actorOf(request).name,
      });
      await auth.write(request, { resource: 'notify', action: 'test' }, async () => ({
        result: undefined,
        recordId: null,
        before: null,
        after: { to: request.body.to },
      }));
      return { messages };
    },
  );
}

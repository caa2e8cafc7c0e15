/**
 * The Plugins page (admins): each plugin's version, status and why it failed, its migrations, its settings with
 * secrets masked, its jobs with their last runs, its latest workflow runs with Retry and Abandon. From
 * /admin/api/plugins (admin/plugin-routes.ts).
 */
import {
  Badge,
  Box,
  Button,
  H2,
  H5,
  MessageBox,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  Text,
} from '@adminjs/design-system';
import React, { useCallback, useEffect, useState } from 'react';
import { cell, json } from './json.ts';

interface Run {
  id: string;
  workflow: string;
  key: string | null;
  status: string;
  error: string | null;
  updatedAt: string;
}
interface Plugin {
  name: string;
  source: string;
  version: string | null;
  status: string;
  reason: string | null;
  since: string;
  migrations: { applied: string[]; total: number };
  config: Record<string, unknown>;
  permissions: Record<string, string[]>;
  jobs: Array<{
    name: string;
    schedule: string;
    lastRun: string | null;
    durationMs: number | null;
    error: string | null;
    nextRun: string | null;
    runs: number;
    failures: number;
  }>;
  runs: Run[];
}

const STATUS_COLOUR: Record<string, 'success' | 'danger' | 'info'> = { active: 'success', failed: 'danger' };

const Rows: React.FC<{ columns: string[]; rows: Array<Array<React.ReactNode>>; empty: string; name: string }> = ({
  columns,
  rows,
  empty,
  name,
}) =>
  rows.length === 0 ? (
    <Text mb="lg" color="grey60">
      {empty}
    </Text>
  ) : (
    <Table mb="lg" data-table={name}>
      <TableHead>
        <TableRow>
          {columns.map((c) => (
            <TableCell key={c}>{c}</TableCell>
          ))}
        </TableRow>
      </TableHead>
      <TableBody>
        {rows.map((r, i) => (
          <TableRow key={i}>
            {r.map((v, j) => (
              <TableCell key={j}>{v}</TableCell>
            ))}
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );

const PluginsPage: React.FC = () => {
  const [plugins, setPlugins] = useState<Plugin[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [notice, setNotice] = useState<string | undefined>();
  const load = useCallback(
    () =>
      json<{ plugins: Plugin[] }>('/admin/api/plugins')
        .then((b) => {
          setPlugins(b.plugins);
          setError(undefined);
        })
        .catch((err: Error) => setError(err.message)),
    [],
  );
  useEffect(() => {
    void load();
  }, [load]);
  const act = (op: 'retry' | 'abandon', run: Run) =>
    json(`/admin/api/workflows/${run.id}/${op}`, { method: 'POST', body: {} })
      .then(() => setNotice(`${run.workflow} ${run.id.slice(0, 8)}: ${op === 'retry' ? 'retried' : 'abandoned'}`))
      .catch((err: Error) => setNotice(err.message))
      .finally(() => void load());

  if (error) return <MessageBox variant="danger" message={error} m="xl" />;
  if (!plugins) return <Text m="xl">Loading…</Text>;
  return (
    <Box p="xl" data-plugins-page>
      <H2>Plugins</H2>
      {notice ? <MessageBox message={notice} mb="lg" data-notice onCloseClick={() => setNotice(undefined)} /> : null}
      {plugins.length === 0 ? <Text>No plugin is enabled (plugins.enabled in the config).</Text> : null}
      {plugins.map((p) => (
        <Box key={p.source} variant="container" mb="xl" data-plugin={p.name}>
          <H5>
            {p.name} {p.version ?? ''}{' '}
            <Badge variant={STATUS_COLOUR[p.status] ?? 'info'} data-status>
              {p.status}
            </Badge>
          </H5>
          {p.reason ? <MessageBox variant="danger" message={p.reason} mb="lg" data-reason /> : null}
          <Text mb="default">
            From {p.source} · since {cell(p.since)} · migrations {p.migrations.total}
            {p.migrations.applied.length ? ` (applied at this start: ${p.migrations.applied.join(', ')})` : ''}
          </Text>
          <Text mb="sm">Settings</Text>
          <Rows
            name="settings"
            columns={['key', 'value']}
            rows={Object.entries(p.config).map(([k, v]) => [`plugins.${p.name}.${k}`, cell(v)])}
            empty="No settings."
          />
          <Text mb="sm">Jobs</Text>
          <Rows
            name="jobs"
            columns={['job', 'schedule', 'last run', 'took', 'error', 'next run', 'runs', 'failures']}
            rows={p.jobs.map((j) => [
              j.name,
              j.schedule,
              cell(j.lastRun),
              j.durationMs === null ? '–' : `${j.durationMs} ms`,
              cell(j.error),
              cell(j.nextRun),
              j.runs,
              j.failures,
            ])}
            empty="No jobs."
          />
          <Text mb="sm">Workflow runs</Text>
          <Rows
            name="runs"
            columns={['workflow', 'run', 'key', 'status', 'error', 'updated', '']}
            rows={p.runs.map((r) => [
              r.workflow,
              r.id.slice(0, 8),
              cell(r.key),
              r.status,
              cell(r.error),
              cell(r.updatedAt),
              r.status === 'failed' || r.status === 'compensated' ? (
                <Box flex data-run={r.id}>
                  <Button size="sm" mr="sm" onClick={() => act('retry', r)} data-action="retry">
                    Retry
                  </Button>
                  {r.status === 'failed' ? (
                    <Button size="sm" variant="outlined" onClick={() => act('abandon', r)} data-action="abandon">
                      Abandon
                    </Button>
                  ) : null}
                </Box>
              ) : (
                ''
              ),
            ])}
            empty="No workflow runs."
          />
        </Box>
      ))}
    </Box>
  );
};

export default PluginsPage;

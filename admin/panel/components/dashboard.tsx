/**
 * The panel's home: online sessions, authentication and accounting per minute, rejects by reason, subscribers
 * throttled or blocked by fair usage, devices down and today's top users. Data from /admin/api/views/dashboard
 * (admin/views/dashboard.ts), refreshed every 5 seconds.
 */
import { Box, H2, H5, Link, MessageBox, Table, TableBody, TableCell, TableRow, Text } from '@adminjs/design-system';
import React, { useEffect, useState } from 'react';
import { formatTime } from '../../../config/units.ts';
import { ago, BarChart, bytes, RankedBars } from './charts.tsx';

interface DashboardData {
  online: { sessions: number };
  /** The daemon's zone: minutes and days are shown in it. */
  timeZone: string;
  rates: {
    auth: Array<{ minute: string; accepts: number; rejects: number }> | null;
    accounting: Array<{ minute: string; start: number; interim: number; stop: number; other: number }> | null;
    authPerMinute: number | null;
    accountingPerMinute: number | null;
    /** The window of the per-minute figures. */
    minutes: number;
  };
  rejects: Array<{ reason: string; count: number }> | null;
  fup: {
    throttled: number;
    blocked: number;
    subscribers: Array<{ username: string; plan: string; state: string; bytes: number }>;
  };
  devicesDown: {
    count: number;
    devices: Array<{ name: string; role: string; site: string | null; since: string | null; lastError: string | null }>;
  };
  topUsers: {
    users: Array<{ username: string; totalOctets: number; outputOctets: number; inputOctets: number }>;
  } | null;
  unavailable: Array<{ section: string; reason: string }>;
}

const Tile: React.FC<{ label: string; value: React.ReactNode; name: string }> = ({ label, value, name }) => (
  <Box variant="container" flex flexDirection="column" mr="lg" mb="lg" style={{ minWidth: 180 }} data-tile={name}>
    <Text variant="sm" color="grey60">
      {label}
    </Text>
    <H2 mb={0} data-value>
      {value}
    </H2>
  </Box>
);

const Panel: React.FC<{ title: string; children: React.ReactNode }> = ({ title, children }) => (
  <Box variant="container" mb="lg" style={{ flex: '1 1 420px' }} mr="lg" data-section={title}>
    <H5 mb="default">{title}</H5>
    {children}
  </Box>
);

const userLink = (username: string) => `/admin/resources/subscriber?filters.username=${encodeURIComponent(username)}`;

const Dashboard: React.FC = () => {
  const [data, setData] = useState<DashboardData | undefined>();
  const [error, setError] = useState<string | undefined>();

  useEffect(() => {
    let live = true;
    const load = () =>
      fetch('/admin/api/views/dashboard', { credentials: 'same-origin' })
        .then(async (r) => {
          const body = (await r.json()) as { message?: string };
          if (!r.ok) throw new Error(body.message ?? r.statusText);
          if (live) {
            setData(body as unknown as DashboardData);
            setError(undefined);
          }
        })
        .catch((err: Error) => live && setError(err.message));
    void load();
    const timer = setInterval(load, 5000);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, []);

  if (error) return <MessageBox variant="danger" message={error} m="xl" />;
  if (!data) return <Text m="xl">Loading…</Text>;
  const { rates, rejects, fup, devicesDown, topUsers } = data;
  return (
    <Box p="xl" data-dashboard>
      <Box flex flexWrap="wrap">
        <Tile name="online" label="Online sessions" value={data.online.sessions.toLocaleString()} />
        <Tile
          name="auth"
          label={`Logins per minute, last ${rates.minutes} min`}
          value={rates.authPerMinute === null ? '—' : Math.round(rates.authPerMinute * 10) / 10}
        />
        <Tile
          name="accounting"
          label={`Accounting per minute, last ${rates.minutes} min`}
          value={rates.accountingPerMinute === null ? '—' : Math.round(rates.accountingPerMinute * 10) / 10}
        />
        <Tile name="fup" label="Throttled / blocked" value={`${fup.throttled} / ${fup.blocked}`} />
        <Tile name="devices-down" label="Devices down" value={devicesDown.count} />
      </Box>
      <Box flex flexWrap="wrap">
        <Panel title="Logins per minute">
          {rates.auth ? (
            <BarChart
              bars={rates.auth.map((m) => ({
                label: formatTime(m.minute, data.timeZone).slice(11, 16),
                values: [m.accepts, m.rejects],
              }))}
              series={['accepted', 'rejected']}
              format={(n) => String(Math.round(n * 10) / 10)}
            />
          ) : (
            <Text>Not available now (ClickHouse).</Text>
          )}
        </Panel>
        <Panel title="Accounting per minute">
          {rates.accounting ? (
            <BarChart
              bars={rates.accounting.map((m) => ({
                label: formatTime(m.minute, data.timeZone).slice(11, 16),
                values: [m.interim, m.start + m.stop + m.other],
              }))}
              series={['interim updates', 'starts, stops and others']}
              format={(n) => String(Math.round(n * 10) / 10)}
            />
          ) : (
            <Text>Not available now (ClickHouse).</Text>
          )}
        </Panel>
        <Panel title="Rejects by reason, 24 hours">
          {rejects && rejects.length > 0 ? (
            <RankedBars items={rejects.map((r) => ({ label: r.reason, value: r.count }))} format={String} />
          ) : (
            <Text>No rejects.</Text>
          )}
        </Panel>
        <Panel title="Top users today">
          {topUsers && topUsers.users.length > 0 ? (
            <Table>
              <TableBody>
                {topUsers.users.map((u) => (
                  <TableRow key={u.username}>
                    <TableCell>
                      <Link href={userLink(u.username)}>{u.username}</Link>
                    </TableCell>
                    <TableCell>{bytes(u.totalOctets)}</TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          ) : (
            <Text>No traffic yet today.</Text>
          )}
        </Panel>
        <Panel title="Fair usage: throttled and blocked">
          {fup.subscribers.length > 0 ? (
            <Table>
              <TableBody>
                {fup.subscribers.map((s) => (
                  <TableRow key={s.username}>
                    <TableCell>
                      <Link href={userLink(s.username)}>{s.username}</Link>
                    </TableCell>
                    <TableCell>{s.plan}</TableCell>
                    <TableCell>{s.state}</TableCell>
                    <TableCell>{bytes(s.bytes)}</TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          ) : (
            <Text>Nobody is throttled.</Text>
          )}
        </Panel>
        <Panel title="Devices down">
          {devicesDown.devices.length > 0 ? (
            <Table>
              <TableBody>
                {devicesDown.devices.map((d) => (
                  <TableRow key={d.name}>
                    <TableCell>{d.name}</TableCell>
                    <TableCell>
                      {d.role}
                      {d.site ? ` at ${d.site}` : ''}
                    </TableCell>
                    <TableCell>down {ago(d.since)}</TableCell>
                    <TableCell>{d.lastError ?? ''}</TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          ) : (
            <Text>Every device answers.</Text>
          )}
        </Panel>
      </Box>
      {data.unavailable.length > 0 ? (
        <MessageBox
          variant="info"
          message={`Not shown now: ${data.unavailable.map((u) => `${u.section} (${u.reason})`).join(', ')}`}
        />
      ) : null}
    </Box>
  );
};

export default Dashboard;

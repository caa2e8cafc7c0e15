/**
 * The subscriber page support reads on a call: status and plan, online now (with Disconnect), the last logins and why
 * they were refused, usage per day for 30 days, fair usage, CoA history. Data from /admin/api/views/subscriber/:name
 * (admin/views/subscriber.ts), refreshed every 10 seconds while the page is open.
 */
import {
  Badge,
  Box,
  H3,
  H5,
  Link,
  MessageBox,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  Text,
} from '@adminjs/design-system';
import type { ActionProps } from 'adminjs';
import React, { useEffect, useState } from 'react';
import { formatTime } from '../../../config/units.ts';
import { noAnswerHint } from '../../../daemon/coa/hints.ts';
import { formatMac } from '../../../daemon/lib/mac.ts';
import { ago, BarChart, bytes, rate } from './charts.tsx';

interface Overview {
  subscriber: {
    username: string;
    status: string;
    effectiveStatus: string;
    expiresAt: string | null;
    staticIp: string | null;
    mac: string | null;
  };
  plan: { name: string; rateDown: number; rateUp: number };
  restrictions: Array<{ reason: string; effect: string; note: string; actor: string; since: string | null }>;
  online: {
    sessions: Array<{
      nas: string;
      nasAddress: string;
      acctSessionId: string;
      framedIp: string | null;
      since: string | null;
      inputOctets: number;
      outputOctets: number;
      lastCoa: { at: string | null; action: string; outcome: string } | null;
      nasId: number;
    }>;
  };
  auth: Array<{ ts: string; result: string; reason: string; nas: string; callingStationId: string }> | null;
  usage: {
    days: Array<{ day: string; inputOctets: number; outputOctets: number }>;
    inputOctets: number;
    outputOctets: number;
  } | null;
  fup: {
    period: string;
    used: number;
    limit: number;
    percent: number;
    state: string;
    throttledTo: { rateDown: number; rateUp: number } | null;
  } | null;
  coa: Array<{
    ts: string;
    nas: string;
    kind: string;
    action: string;
    actor: string;
    outcome: string;
    errorCause: string;
    latencyMs: number;
  }> | null;
  unavailable: Array<{ section: string; reason: string }>;
  /** The daemon's zone: times and days are shown in it. */
  timeZone: string;
}

type Session = Overview['online']['sessions'][number];

/** What the subscriber meets now: the most severe of expiry, its stored restrictions and fair usage. */
function effectiveState(data: Overview): string {
  const st = data.subscriber.effectiveStatus;
  if (st === 'expired') return st;
  if (data.fup?.state === 'block') return 'blocked';
  if (st === 'suspended') return st;
  return data.fup?.state === 'throttle' ? 'throttled' : st;
}

/** Whether the NAS applied the restriction: the last CoA of each live session, acknowledged or not. */
function confirmation(sessions: readonly Session[]): { text: string; confirmed: boolean | null } {
  if (sessions.length === 0) return { text: 'not online: applied at the next login', confirmed: null };
  const failed = sessions.filter((x) => x.lastCoa && x.lastCoa.outcome !== 'ack');
  if (failed.length > 0) {
    const silent = [...new Set(failed.filter((x) => x.lastCoa?.outcome === 'timeout').map((x) => x.nas))];
    const hints = silent.map((nas) => ` ${noAnswerHint(nas)}.`).join('');
    return { text: `not confirmed by the NAS (${failed[0]!.lastCoa!.outcome}).${hints}`, confirmed: false };
  }
  if (sessions.every((x) => x.lastCoa?.outcome === 'ack')) return { text: 'confirmed by the NAS', confirmed: true };
  return { text: 'no CoA sent to the live session yet', confirmed: null };
}

const statusColor = (s: string) =>
  s === 'active'
    ? 'success'
    : s === 'suspended' || s === 'blocked'
      ? 'danger'
      : s === 'throttled'
        ? 'info'
        : 'secondary';

const Section: React.FC<{ title: string; children: React.ReactNode }> = ({ title, children }) => (
  <Box variant="container" mb="lg" data-section={title}>
    <H5 mb="default">{title}</H5>
    {children}
  </Box>
);

const SubscriberOverviewPage: React.FC<ActionProps> = ({ record }) => {
  const username = String(record?.params.username ?? '');
  const [data, setData] = useState<Overview | undefined>();
  const [error, setError] = useState<string | undefined>();

  useEffect(() => {
    let live = true;
    const load = () =>
      fetch(`/admin/api/views/subscriber/${encodeURIComponent(username)}`, { credentials: 'same-origin' })
        .then(async (r) => {
          const body = (await r.json()) as { message?: string };
          if (!r.ok) throw new Error(body.message ?? r.statusText);
          if (live) {
            setData(body as unknown as Overview);
            setError(undefined);
          }
        })
        .catch((err: Error) => live && setError(err.message));
    void load();
    const timer = setInterval(load, 10_000);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [username]);

  if (error) return <MessageBox variant="danger" message={error} />;
  if (!data) return <Text>Loading…</Text>;
  const { subscriber: s, plan, online, auth, usage, fup, coa, timeZone } = data;
  const state = effectiveState(data);
  const restricted = fup?.state === 'throttle' || fup?.state === 'block';
  const applied = restricted ? confirmation(online.sessions) : null;
  return (
    <Box>
      <Box variant="container" mb="lg" data-section="summary">
        <H3>
          {s.username}{' '}
          <Badge variant={statusColor(state)} data-status={s.effectiveStatus} data-state={state}>
            {state}
          </Badge>
        </H3>
        <Text>
          Plan <b>{plan.name}</b>: {rate(plan.rateDown)} down / {rate(plan.rateUp)} up
          {s.staticIp ? ` · static IP ${s.staticIp}` : ''}
          {s.mac ? ` · bound to ${formatMac(s.mac)}` : ''}
          {s.expiresAt ? ` · expires ${formatTime(s.expiresAt, timeZone)}` : ''}
        </Text>
        {data.restrictions.map((r) => (
          <Text key={r.reason} data-restriction={r.reason}>
            Restricted for <b>{r.reason.replace('_', ' ')}</b>: {r.effect}
            {r.note ? ` (${r.note})` : ''}, by {r.actor}
            {r.since ? ` since ${formatTime(r.since, timeZone)}` : ''}
          </Text>
        ))}
      </Box>

      <Section title="Online now">
        {online.sessions.length === 0 ? (
          <Text data-online="0">Not online.</Text>
        ) : (
          <Table data-online={online.sessions.length}>
            <TableHead>
              <TableRow>
                <TableCell>NAS</TableCell>
                <TableCell>IP</TableCell>
                <TableCell>Since</TableCell>
                <TableCell>Down / up</TableCell>
                <TableCell>Last CoA</TableCell>
                <TableCell />
              </TableRow>
            </TableHead>
            <TableBody>
              {online.sessions.map((x) => (
                <TableRow key={x.acctSessionId} data-session={x.acctSessionId}>
                  <TableCell>
                    {x.nas} ({x.nasAddress})
                  </TableCell>
                  <TableCell>{x.framedIp ?? '—'}</TableCell>
                  <TableCell>{ago(x.since)}</TableCell>
                  <TableCell>
                    {bytes(x.outputOctets)} / {bytes(x.inputOctets)}
                  </TableCell>
                  <TableCell>{x.lastCoa ? `${x.lastCoa.action}: ${x.lastCoa.outcome}` : '—'}</TableCell>
                  <TableCell>
                    <Link href={`/admin/session/${x.nasId}/${encodeURIComponent(x.acctSessionId)}/disconnect`}>
                      Disconnect…
                    </Link>
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        )}
      </Section>

      {fup ? (
        <Section title="Fair usage">
          <Text data-fup-state={fup.state}>
            {bytes(fup.used)} of {bytes(fup.limit)} this {fup.period} ({Math.round(fup.percent)} %) — {fup.state}
            {fup.throttledTo
              ? `, throttled to ${rate(fup.throttledTo.rateDown)} / ${rate(fup.throttledTo.rateUp)}`
              : ''}
          </Text>
          {applied ? (
            <Text data-confirmed={String(applied.confirmed)} color={applied.confirmed === false ? 'error' : undefined}>
              {fup.state === 'block' ? 'Block' : 'Throttle'}: {applied.text}
            </Text>
          ) : null}
        </Section>
      ) : null}

      <Section title="Usage, last 30 days">
        {usage ? (
          <>
            <BarChart
              bars={usage.days.map((d, i) => ({
                label: i === usage.days.length - 1 ? 'today' : d.day.slice(5),
                values: [d.outputOctets, d.inputOctets],
              }))}
              series={['download', 'upload']}
              format={bytes}
            />
            <Text>
              {bytes(usage.outputOctets)} down, {bytes(usage.inputOctets)} up in 30 days
            </Text>
          </>
        ) : (
          <Text>Usage is not available now (ClickHouse).</Text>
        )}
      </Section>

      <Section title="Last logins">
        {auth && auth.length > 0 ? (
          <Table>
            <TableBody>
              {auth.map((a) => (
                <TableRow key={`${a.ts}-${a.nas}-${a.result}`}>
                  <TableCell>{formatTime(a.ts, timeZone)}</TableCell>
                  <TableCell>
                    <Badge variant={a.result === 'accept' ? 'success' : 'danger'}>{a.result}</Badge>
                  </TableCell>
                  <TableCell>{a.reason || '—'}</TableCell>
                  <TableCell>
                    {a.nas} {a.callingStationId}
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        ) : (
          <Text>No logins recorded.</Text>
        )}
      </Section>

      <Section title="CoA history">
        {coa && coa.length > 0 ? (
          <Table data-coa={coa.length}>
            <TableBody>
              {coa.map((c) => (
                <TableRow key={`${c.ts}-${c.kind}-${c.action}`}>
                  <TableCell>{formatTime(c.ts, timeZone)}</TableCell>
                  <TableCell>
                    {c.kind} ({c.action}) by {c.actor}
                  </TableCell>
                  <TableCell data-outcome={c.outcome}>
                    {c.outcome}
                    {c.errorCause ? `: ${c.errorCause}` : ''} in {Math.round(c.latencyMs)} ms
                  </TableCell>
                  <TableCell>{c.nas}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        ) : (
          <Text>No CoA or Disconnect sent.</Text>
        )}
      </Section>
    </Box>
  );
};

export default SubscriberOverviewPage;

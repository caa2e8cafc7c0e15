/**
 * The request handlers behind the RADIUS listener: one per packet type (access.ts, accounting.ts, status.ts), each
 * returning a Result that the reply table (replies.ts) alone turns into a reply code or silence. Outcomes are counted
 * here, rejects logged (sampled per reason) and Access-Request outcomes written to the auth log.
 */
import type { RadiusConfig } from '../../../config/schema.ts';
import type { Logger } from '../../lib/log.ts';
import { sampledLog } from '../../lib/sampled-log.ts';
import type { BatcherOptions } from '../../store/clickhouse/batcher.ts';
import type { ClickhouseStore } from '../../store/clickhouse/index.ts';
import type { Accounting } from '../accounting/index.ts';
import { AuthLog } from '../auth-log.ts';
import type { NasEntry, RadiusCache } from '../cache/index.ts';
import { type AttrIndex, Code, PacketCrypto } from '../codec/index.ts';
import type { Reply, RequestHandler } from '../listener/index.ts';
import type { RadiusPolicy } from '../policy.ts';
import type { Sessions } from '../sessions/index.ts';
import {
  type AccessContext,
  type AccessDecision,
  compileRejectMessages,
  decideAccess,
  type RejectReason,
} from './access.ts';
import { type AccountingContext, handleAccountingRequest } from './accounting.ts';
import { bareReplies, replyCode } from './replies.ts';
import { handleStatusServer } from './status.ts';

export interface RadiusProcessDeps {
  log: Logger;
  cache: RadiusCache;
  sessions: Sessions;
  accounting: Accounting;
  policy: RadiusPolicy;
  clickhouse: ClickhouseStore;
  /** How auth log rows are batched (clickhouse.log_*). */
  batching: BatcherOptions;
  /** The deployment's id, stored with each auth log row. */
  instance: () => string;
  /** Core events (session.*) for plugins; none wanted costs nothing. */
  events?: AccountingContext['events'];
}

const ACCOUNTING = bareReplies(Code.AccountingRequest);
const STATUS = bareReplies(Code.StatusServer);

export function createRadiusProcess(config: RadiusConfig, deps: RadiusProcessDeps): RequestHandler {
  const log = deps.log.child({ component: 'radius' });
  const warn = sampledLog(log);
  const rejectLogs = new Map<string, ReturnType<typeof sampledLog>>();
  const authLog = new AuthLog(deps.clickhouse, deps.batching, deps.instance, log);
  const counters = {
    access_requests: 0,
    accounting_requests: 0,
    status_server: 0,
    accepts: 0,
    rejects: 0,
    accounting_responses: 0,
    no_response: 0,
  };
  const rejectsByReason: Partial<Record<RejectReason, number>> = {};
  const access: AccessContext = {
    cache: deps.cache,
    sessions: deps.sessions,
    policy: deps.policy,
    crypto: new PacketCrypto(),
    now: Date.now,
    rejectMessages: compileRejectMessages(config.reject_messages),
  };
  const accounting: AccountingContext = {
    cache: deps.cache,
    sessions: deps.sessions,
    accounting: deps.accounting,
    policy: deps.policy,
    events: deps.events,
    now: Date.now,
    onSpoolError: (err) =>
      warn('error', { err: (err as Error).message }, 'accounting record not spooled; the NAS will retry'),
  };

  function logReject(d: AccessDecision, nas: NasEntry): void {
    let sample = rejectLogs.get(d.reason);
    if (!sample) {
      sample = sampledLog(log);
      rejectLogs.set(d.reason, sample);
    }
    sample('info', { reason: d.reason, username: d.username, nas: nas.name, method: d.method }, 'access rejected');
  }

  function accessRequest(ix: AttrIndex, nas: NasEntry, source: string): Reply {
    counters.access_requests++;
    const d = decideAccess(ix, nas, access);
    const code = replyCode(Code.AccessRequest, d.result);
    if (code === null) {
      counters.no_response++;
      return { code, attrs: d.attrs };
    }
    if (code === Code.AccessAccept) counters.accepts++;
    else {
      counters.rejects++;
      rejectsByReason[d.reason] = (rejectsByReason[d.reason] ?? 0) + 1;
      logReject(d, nas);
    }
    if (config.auth_log) authLog.write(ix, nas, source, d);
    return { code, attrs: d.attrs };
  }

  async function accountingRequest(ix: AttrIndex, nas: NasEntry, source: string, port: number): Promise<Reply> {
    counters.accounting_requests++;
    const reply = ACCOUNTING[await handleAccountingRequest(ix, nas, source, port, accounting)];
    if (reply.code === null) counters.no_response++;
    else counters.accounting_responses++;
    return reply;
  }

  return {
    handle(code, ix, nas, source, port) {
      switch (code) {
        case Code.AccessRequest:
          return accessRequest(ix, nas, source);
        case Code.AccountingRequest:
          return accountingRequest(ix, nas, source, port);
        case Code.StatusServer:
          counters.status_server++;
          return STATUS[handleStatusServer()];
        default:
          throw new RangeError(`no handler for RADIUS code ${code}`);
      }
    },
    answeredBeforeStart: () => deps.accounting.answeredBeforeStart(),
    start: () => authLog.start(),
    stop: () => authLog.stop(),
    counters() {
      const out: Record<string, number> = { ...counters };
      for (const [reason, n] of Object.entries(rejectsByReason)) out[`rejects_${reason}`] = n;
      for (const [k, v] of Object.entries(authLog.counters)) out[`auth_log_${k}`] = v;
      return out;
    },
  };
}

// What the panel tells a person after a core action: each CoA with its NAS, session, outcome (and Error-Cause),
// attempts and time; success only when the NAS acknowledged (or acknowledged the fallback); usage after a top-up.
import t from 'tap';
import { acknowledged, describeCoa, describeUsage, outcomes } from '../../admin/panel/actions/outcome.ts';
import type { CoaResult } from '../../daemon/coa/index.ts';

const result = (over: Partial<CoaResult>): CoaResult => ({
  nas: 'ccr1',
  username: 'alice',
  acctSessionId: 'a-1',
  action: 'disconnect',
  kind: 'disconnect',
  outcome: 'ack',
  attempts: 1,
  latencyMs: 2.5,
  ...over,
});

t.test('CoA outcomes in words', async (t) => {
  t.same(describeCoa('alice suspended', []), {
    message: 'alice suspended; no live session to change.',
    type: 'success',
  });
  t.same(describeCoa('Disconnect of alice', [result({})]), {
    message: 'Disconnect of alice. Disconnect-Request to ccr1 for session a-1: ack, 1 attempt, 2.5 ms.',
    type: 'success',
  });
  const nak = result({ kind: 'coa', outcome: 'nak', errorCause: 'Unsupported-Service', action: 'rate' });
  t.same(describeCoa('Rate', [nak]), {
    message: 'Rate. CoA-Request to ccr1 for session a-1: nak (Unsupported-Service), 1 attempt, 2.5 ms.',
    type: 'error',
  });
  const fallback = { ...nak, fallback: result({ latencyMs: 1 }) };
  t.ok(acknowledged(fallback), 'a NAK whose Disconnect fallback was acknowledged');
  t.match(describeCoa('Rate', [fallback]), {
    message: /nak \(Unsupported-Service\), 1 attempt, 2\.5 ms; then Disconnect-Request to ccr1 for session a-1: ack/,
    type: 'success',
  });
  t.same(describeCoa('x', [result({}), result({ outcome: 'timeout', attempts: 3 })]).type, 'error');
  t.match(describeCoa('x', [result({ outcome: 'timeout', attempts: 3 })]).message, 'timeout, 3 attempts');
  t.match(
    describeCoa('x', [result({ outcome: 'timeout', attempts: 3 })]).message,
    /ccr1 never answered\. .*\/radius incoming set accept=yes/,
    'a NAS that never answered: what to check',
  );
  t.same(outcomes([fallback]), [
    {
      nas: 'ccr1',
      session: 'a-1',
      kind: 'coa',
      outcome: 'nak',
      errorCause: 'Unsupported-Service',
      fallback: { kind: 'disconnect', outcome: 'ack' },
    },
  ]);
});

t.test('usage in words', async (t) => {
  const usage = {
    username: 'tina',
    period: 'month',
    periodStart: '',
    periodEnd: '',
    bytes: 2 ** 29,
    quota: 2 ** 30,
    topups: 0,
    limit: 2 ** 30,
    percent: 50,
    state: 'none' as const,
  };
  t.same(describeUsage('Top-up applied', usage), {
    message: 'Top-up applied: 512M used of 1G this month (50 %, no restriction).',
    type: 'success',
  });
  t.same(describeUsage('Reset', undefined), { message: 'Reset.', type: 'success' });
});

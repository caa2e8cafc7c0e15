/** The parse pool's task: one body in, rows out (see tasks.ts). Never opens chDB: the writer lives on the main thread. */
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { type GenieacsExtra, genieacsPage } from '../cpe/parse.ts';
import { OPEN5GS_RULES } from '../epc/open5gs.ts';
import { type EpcExtra, epcRows } from '../epc/parse/rows.ts';
import { NdjsonError, parseNdjson } from './ndjson.ts';
import { owned, type ParseOutcome, type ParseTask } from './tasks.ts';

function run(task: ParseTask): ParseOutcome {
  switch (task.kind) {
    case 'ndjson': {
      const batch = parseNdjson(task.body, { site: task.site, now: task.now });
      return { ok: true, body: batch.body, rows: batch.rows };
    }
    case 'prometheus': {
      const { body, rows, state, stats } = epcRows(task, OPEN5GS_RULES);
      return { ok: true, body, rows, extra: { state, stats } satisfies EpcExtra };
    }
    case 'genieacs': {
      const { body, rows, ...extra } = genieacsPage(task);
      return { ok: true, body, rows, extra: extra satisfies GenieacsExtra };
    }
    default:
      return { ok: false, error: `no parser for ${(task as ParseTask).kind}` };
  }
}

export default function parse(task: ParseTask) {
  let out: ParseOutcome;
  try {
    out = run(task);
  } catch (err) {
    out = { ok: false, error: (err as Error).message, line: err instanceof NdjsonError ? err.line : undefined };
  }
  if (!out.ok) return out;
  const body = owned(out.body);
  // Transferred, not copied, back to the main thread.
  return move({ [transferableSymbol]: [body.buffer], [valueSymbol]: { ...out, body } } as never);
}

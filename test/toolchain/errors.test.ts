// The error catalogue in the code and the table in docs/errors.md list the same codes with the same meaning.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { errorCodes } from '../../daemon/lib/errors.ts';
import { repoRoot } from '../helpers/env.ts';

t.test('docs/errors.md documents every code, and only those', async (t) => {
  const doc = readFileSync(`${repoRoot}/docs/errors.md`, 'utf8');
  const rows = new Map<string, string>();
  for (const m of doc.matchAll(/^\| `(WISPD_[A-Z_]+)` *\| ([^|]+)\|/gm))
    rows.set(m[1]!, m[2]!.replaceAll('`', '').trim());
  t.same([...rows.keys()].sort(), Object.keys(errorCodes).sort());
  for (const [code, meaning] of Object.entries(errorCodes)) {
    t.equal(rows.get(code), meaning, code);
  }
});

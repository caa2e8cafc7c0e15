// The event catalogue in the code and the table in docs/events.md list the same events, each with the same meaning,
// subject and data fields; and every bus subject the components publish that plugins may see is one of them.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { EVENTS } from '../../daemon/events/catalogue.ts';
import { repoRoot } from '../helpers/env.ts';

t.test('docs/events.md documents every event, and only those', async (t) => {
  const doc = readFileSync(`${repoRoot}/docs/events.md`, 'utf8');
  const rows = new Map<string, { doc: string; subject: string; data: string[] }>();
  for (const m of doc.matchAll(/^\| `([a-z]+\.[a-z_]+)` *\| ([^|]+)\| ([^|]+)\| ([^|]+)\|$/gm)) {
    const fields = [...m[4]!.matchAll(/`([a-z_]+)`:/g)].map((f) => f[1]!);
    rows.set(m[1]!, { doc: m[2]!.trim(), subject: m[3]!.trim(), data: fields });
  }
  t.same([...rows.keys()].sort(), Object.keys(EVENTS).sort());
  for (const [type, spec] of Object.entries(EVENTS)) {
    t.same(rows.get(type), { doc: spec.doc, subject: spec.subject, data: Object.keys(spec.data) }, type);
  }
});

t.test('what the core publishes for plugins is in the catalogue', async (t) => {
  const sources: Record<string, RegExp> = {
    'daemon/policy/fup/engine.ts': /#event\('([a-z.]+)'/g,
    'daemon/policy/restrictions/index.ts': /publish\('([a-z.]+)'/g,
    'daemon/radius/process/accounting.ts': /'(session\.[a-z]+)'/g,
    'daemon/commands/index.ts': /Event\('([a-z_.]+)'/g,
  };
  for (const [file, re] of Object.entries(sources)) {
    const found = [...readFileSync(`${repoRoot}/${file}`, 'utf8').matchAll(re)].map((m) => m[1]!);
    t.ok(found.length > 0, `${file} publishes events`);
    for (const type of found) t.ok(Object.hasOwn(EVENTS, type), `${file}: ${type} is in the catalogue`);
  }
  for (const status of ['up', 'down']) t.ok(Object.hasOwn(EVENTS, `device.${status}`), `device.${status}`);
});

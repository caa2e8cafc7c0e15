// The seams of the code, read from its import statements: collectors depend on the telemetry contract and the core's
// small library, never on daemon internals (a remote poller needs no database code); the daemon reaches collectors
// only through the contract, except where it wires them (daemon.ts, the CLI); radius never imports policy; and no
// module imports itself back through others.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import t from 'tap';
import { repoRoot } from '../helpers/env.ts';

const SOURCES = ['contracts', 'daemon', 'collectors', 'admin', 'plugins', 'config'];
const files: string[] = [];
function walk(dir: string): void {
  for (const name of readdirSync(join(repoRoot, dir))) {
    const path = join(dir, name);
    if (statSync(join(repoRoot, path)).isDirectory()) walk(path);
    else if (/\.tsx?$/.test(name)) files.push(path);
  }
}
for (const s of SOURCES) walk(s);

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'(\.[^']+)'/g;
const graph = new Map<string, string[]>();
for (const f of files) {
  const text = readFileSync(join(repoRoot, f), 'utf8');
  graph.set(
    f,
    [...text.matchAll(IMPORT)].map((m) => relative(repoRoot, resolve(repoRoot, dirname(f), m[1]!))),
  );
}

const under = (path: string, ...dirs: string[]) => dirs.some((d) => path.startsWith(`${d}/`));
function offending(from: (f: string) => boolean, allowed: (target: string) => boolean): string[] {
  const out: string[] = [];
  for (const [f, targets] of graph) {
    if (!from(f)) continue;
    for (const target of targets) if (!allowed(target)) out.push(`${f} → ${target}`);
  }
  return out;
}

t.ok(files.length > 100, 'the sources are read');

t.same(
  offending(
    (f) => under(f, 'collectors'),
    (to) => under(to, 'collectors', 'contracts', 'daemon/lib', 'config'),
  ),
  [],
  'collectors import only collectors/, contracts/, daemon/lib/ and config/',
);

t.same(
  offending(
    (f) => under(f, 'contracts'),
    (to) => under(to, 'contracts', 'daemon/lib'),
  ),
  [],
  'the contracts import only each other and daemon/lib/',
);

t.same(
  offending(
    (f) => under(f, 'daemon') && f !== 'daemon/daemon.ts' && !under(f, 'daemon/cli'),
    (to) => !under(to, 'collectors'),
  ),
  [],
  'the daemon imports collectors only where it wires them (daemon.ts, the CLI)',
);

t.same(
  offending(
    (f) => under(f, 'daemon/lib'),
    (to) => under(to, 'daemon/lib', 'config'),
  ),
  [],
  'daemon/lib/ stands on nothing of the daemon',
);

t.same(
  offending(
    (f) => under(f, 'daemon/radius'),
    (to) => !under(to, 'daemon/policy'),
  ),
  [],
  'radius/ never imports policy/ (policy implements radius/policy.ts)',
);

t.same(
  offending(
    (f) => under(f, 'daemon/radius/codec'),
    (to) => under(to, 'daemon/radius/codec', 'daemon/lib'),
  ),
  [],
  'the codec stands alone',
);

t.test('no import cycles', async (t) => {
  // Tarjan's strongly connected components over the file graph.
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) cycles.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  t.same(cycles, []);
});

t.test(
  'the RADIUS packet path keeps no state in its modules (it is owned by the listener, the handlers, the CoA client)',
  async (t) => {
    const found: string[] = [];
    for (const f of files.filter((f) =>
      under(f, 'daemon/radius/codec', 'daemon/radius/listener', 'daemon/radius/process'),
    )) {
      const text = readFileSync(join(repoRoot, f), 'utf8');
      // Constants are named in capitals (ZERO16); a lower-case name bound to a buffer or a table is state.
      const state =
        /^(?:let |(?:export )?const [a-z]\w* = (?:new (?:Md5|HmacMd5|WeakMap|Map|Uint8Array|Int32Array)\b|Buffer\.alloc))/gm;
      for (const m of text.matchAll(state)) found.push(`${f}: ${m[0]}`);
    }
    t.same(found, []);
  },
);

/** Writes a config back as YAML, secrets masked, optionally with each key's documentation and source. */
import { stringify } from 'yaml';
import type { Section } from './define.ts';
import type { Sources } from './load.ts';

export interface DumpOptions {
  /** Each key's documentation as a comment above it. */
  docs?: boolean;
  /** Where each value that is not a default came from, as a comment after it. */
  sources?: Sources;
}

/** One value on its key's line: lists in flow style (`[a, b]`), since a block list cannot follow `key:` there. */
function scalar(value: unknown): string {
  const flow = Array.isArray(value) ? ({ collectionStyle: 'flow', flowCollectionPadding: false } as const) : {};
  return stringify(value, { lineWidth: 0, ...flow }).trimEnd();
}

export function dumpConfig(schema: Section, config: unknown, opts: DumpOptions = {}): string {
  const lines: string[] = [];
  const walk = (section: Section, values: Record<string, unknown>, path: string[], indent: string) => {
    for (const [key, node] of Object.entries(section.fields)) {
      const keyPath = [...path, key];
      if (opts.docs) {
        if (node.kind === 'section' && path.length === 0 && lines.length > 0) lines.push('');
        const type = node.kind === 'field' ? ` (${node.type})` : '';
        for (const docLine of `${node.doc}${type}`.split('\n')) lines.push(`${indent}# ${docLine}`);
      }
      if (node.kind === 'section') {
        lines.push(`${indent}${key}:`);
        walk(node, values[key] as Record<string, unknown>, keyPath, `${indent}  `);
        continue;
      }
      const source = opts.sources?.get(keyPath.join('.'));
      const note = source && source.from !== 'default' ? `  # from ${source.where}` : '';
      lines.push(`${indent}${key}: ${scalar(node.show(values[key]))}${note}`);
    }
  };
  walk(schema, config as Record<string, unknown>, [], '');
  return `${lines.join('\n')}\n`;
}

/** Reads test/vectors/*.txt: blocks of `key: value` lines separated by blank lines (continuation lines indented). */
import { readFileSync } from 'node:fs';
import { repoRoot } from './env.ts';

export type Vector = Record<string, string>;

export function readVectors(name: string): Vector[] {
  const text = readFileSync(`${repoRoot}/test/vectors/${name}`, 'utf8');
  const out: Vector[] = [];
  for (const block of text.split(/\n\s*\n/)) {
    const v: Vector = {};
    let key: string | undefined;
    for (const line of block.split('\n')) {
      if (line.startsWith('#') || line.trim() === '') continue;
      const m = /^([a-z-]+):\s?(.*)$/.exec(line);
      if (m) {
        key = m[1]!;
        v[key] = m[2]!.trim();
      } else if (key && /^\s/.test(line)) {
        v[key] += ` ${line.trim()}`;
      }
    }
    if (v.name) out.push(v);
  }
  return out;
}

export const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** `Name = "text"; Other = 12; Third = 0x0a0b` → ordered pairs; quoted values are strings, 0x… octets. */
export function parseAttributes(s: string): Array<[string, string | Buffer]> {
  return s
    .split(';')
    .map((p) => p.trim())
    .filter(Boolean)
    .map((p) => {
      const eq = p.indexOf('=');
      const name = p.slice(0, eq).trim();
      const raw = p.slice(eq + 1).trim();
      if (raw.startsWith('"')) return [name, JSON.parse(raw) as string];
      if (raw.startsWith('0x')) return [name, hex(raw.slice(2))];
      return [name, raw];
    });
}

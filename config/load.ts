/**
 * Loads a config: the schema's defaults, then the YAML file, then `WISPD_<SECTION>_<KEY>` environment variables.
 * Unknown keys are rejected with their path, bad values with the key, the value and the reason; every problem is
 * reported at once, and the result is frozen.
 */
import { readFileSync } from 'node:fs';
import { isMap, isScalar, LineCounter, parseDocument, type YAMLMap } from 'yaml';
import { WispdError } from '../daemon/lib/errors.ts';
import { type Field, type Infer, type Section, type Shape, ValueError } from './define.ts';

/** Environment variables with this prefix are config overrides; the ones listed in `reservedEnv` are not. */
export const ENV_PREFIX = 'WISPD_';
/** `WISPD_CONFIG` names the config file when `--config` is not given. */
export const reservedEnv = new Set(['WISPD_CONFIG']);

type ProblemCode = 'WISPD_CONFIG_FILE' | 'WISPD_CONFIG_UNKNOWN_KEY' | 'WISPD_CONFIG_INVALID_VALUE';

export interface Problem {
  code: ProblemCode;
  /** `file.yaml:12`, or the environment variable's name. */
  where: string;
  message: string;
}

export class ConfigError extends WispdError {
  readonly problems: readonly Problem[];
  constructor(source: string, problems: Problem[]) {
    const lines = problems.map((p) => `  ${p.where}: ${p.message}`);
    super(problems[0]!.code, `${source} is not a valid wispd config:\n${lines.join('\n')}`, { source, problems });
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** Where each effective value came from, by dotted path. */
export type Sources = ReadonlyMap<string, { from: 'default' | 'file' | 'env'; where?: string }>;

export interface LoadOptions {
  /** A YAML file; without it (and without `text`) only defaults and the environment apply. */
  file?: string;
  /** YAML text, read instead of `file` (which then only names it in messages). */
  text?: string;
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * Dotted paths of sections whose unknown keys are kept as written, unchecked (and whose unknown environment
   * variables are left alone): a command that does not run plugins reads `plugins` so, without loading them.
   */
  open?: readonly string[];
}

interface Leaf {
  path: string[];
  field: Field<unknown>;
}

export function envName(path: readonly string[]): string {
  return ENV_PREFIX + path.map((p) => p.toUpperCase()).join('_');
}

/** Every field of a schema with its path, in declaration order. */
export function leaves(schema: Section, prefix: string[] = []): Leaf[] {
  const out: Leaf[] = [];
  for (const [key, node] of Object.entries(schema.fields)) {
    const path = [...prefix, key];
    if (node.kind === 'section') out.push(...leaves(node, path));
    else out.push({ path, field: node });
  }
  return out;
}

const envIndexes = new WeakMap<Section, Map<string, Leaf>>();

function envIndex(schema: Section): Map<string, Leaf> {
  let index = envIndexes.get(schema);
  if (index) return index;
  index = new Map();
  for (const leaf of leaves(schema)) {
    const name = envName(leaf.path);
    const clash = index.get(name);
    if (clash) throw new Error(`config schema: ${leaf.path.join('.')} and ${clash.path.join('.')} share ${name}`);
    index.set(name, leaf);
  }
  envIndexes.set(schema, index);
  return index;
}

function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

function suggest(word: string, candidates: Iterable<string>): string {
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(word.length / 3)) + 1;
  for (const c of candidates) {
    const d = levenshtein(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best === undefined ? '' : ` (did you mean ${best}?)`;
}

function showRaw(field: Field<unknown>, raw: unknown): string {
  return JSON.stringify(field.showRaw(raw)) ?? String(raw);
}

/** A section's values when nothing is set. */
export function defaultsOf(schema: Section): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, node] of Object.entries(schema.fields)) {
    out[key] = node.kind === 'section' ? defaultsOf(node) : node.default;
  }
  return out;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
  node[path[path.length - 1]!] = value;
}

/** Loads and validates; returns the frozen config and where each value came from. */
export function loadConfigWithSources<S extends Shape>(
  schema: Section<S>,
  opts: LoadOptions = {},
): { config: Infer<Section<S>>; sources: Sources } {
  const env = opts.env ?? process.env;
  const name = opts.file ?? '<config>';
  const problems: Problem[] = [];
  const open = new Set(opts.open ?? []);
  const openEnv = [...open].map((path) => `${envName(path.split('.'))}_`);
  const result = defaultsOf(schema);
  const sources = new Map<string, { from: 'default' | 'file' | 'env'; where?: string }>();
  for (const leaf of leaves(schema)) sources.set(leaf.path.join('.'), { from: 'default' });

  let text = opts.text;
  if (text === undefined && opts.file !== undefined) {
    try {
      text = readFileSync(opts.file, 'utf8');
    } catch (err) {
      const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
      throw new ConfigError(name, [
        { code: 'WISPD_CONFIG_FILE', where: name, message: `cannot read the file: ${reason}` },
      ]);
    }
  }

  if (text !== undefined) {
    const lineCounter = new LineCounter();
    const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: true });
    if (doc.errors.length > 0) {
      throw new ConfigError(
        name,
        doc.errors.map((e) => ({
          code: 'WISPD_CONFIG_FILE',
          where: `${name}:${e.linePos?.[0].line ?? 1}`,
          message: `not valid YAML: ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`,
        })),
      );
    }
    const at = (offset: number | undefined) => `${name}:${lineCounter.linePos(offset ?? 0).line}`;
    const walk = (section: Section, map: YAMLMap, path: string[]) => {
      for (const pair of map.items) {
        const keyNode = pair.key;
        const key = String(isScalar(keyNode) ? keyNode.value : keyNode);
        const where = at(isScalar(keyNode) ? keyNode.range?.[0] : undefined);
        const node = section.fields[key];
        const keyPath = [...path, key];
        if (node === undefined && open.has(path.join('.'))) {
          setPath(result, keyPath, pair.value === null ? null : (pair.value as { toJSON(): unknown }).toJSON());
          continue;
        }
        if (node === undefined) {
          const siblings = Object.keys(section.fields).map((k) => [...path, k].join('.'));
          problems.push({
            code: 'WISPD_CONFIG_UNKNOWN_KEY',
            where,
            message: `unknown key ${keyPath.join('.')}${suggest(keyPath.join('.'), siblings)}`,
          });
          continue;
        }
        const value = pair.value;
        if (node.kind === 'section') {
          if (value === null || (isScalar(value) && value.value === null)) continue;
          if (!isMap(value)) {
            problems.push({
              code: 'WISPD_CONFIG_INVALID_VALUE',
              where,
              message: `invalid value for ${keyPath.join('.')}: a section, it must be a mapping of keys`,
            });
            continue;
          }
          walk(node, value, keyPath);
          continue;
        }
        const raw = value === null ? null : (value as { toJSON(): unknown }).toJSON();
        if (raw === null) continue;
        try {
          setPath(result, keyPath, node.parse(raw, 'file'));
          sources.set(keyPath.join('.'), { from: 'file', where });
        } catch (err) {
          if (!(err instanceof ValueError)) throw err;
          problems.push({
            code: 'WISPD_CONFIG_INVALID_VALUE',
            where,
            message: `invalid value for ${keyPath.join('.')}: ${showRaw(node, raw)} — ${err.message}`,
          });
        }
      }
    };
    const contents = doc.contents;
    if (contents !== null && !(isScalar(contents) && contents.value === null)) {
      if (!isMap(contents)) {
        throw new ConfigError(name, [
          { code: 'WISPD_CONFIG_FILE', where: `${name}:1`, message: 'the top level must be a mapping of sections' },
        ]);
      }
      walk(schema, contents, []);
    }
  }

  const index = envIndex(schema);
  for (const [variable, raw] of Object.entries(env)) {
    if (!variable.startsWith(ENV_PREFIX) || reservedEnv.has(variable) || raw === undefined) continue;
    const leaf = index.get(variable);
    if (leaf === undefined && openEnv.some((prefix) => variable.startsWith(prefix))) continue;
    if (leaf === undefined) {
      problems.push({
        code: 'WISPD_CONFIG_UNKNOWN_KEY',
        where: variable,
        message: `unknown environment variable${suggest(variable, index.keys())}`,
      });
      continue;
    }
    const keyPath = leaf.path.join('.');
    try {
      setPath(result, leaf.path, leaf.field.parse(raw, 'env'));
      sources.set(keyPath, { from: 'env', where: variable });
    } catch (err) {
      if (!(err instanceof ValueError)) throw err;
      problems.push({
        code: 'WISPD_CONFIG_INVALID_VALUE',
        where: variable,
        message: `invalid value for ${keyPath}: ${showRaw(leaf.field, raw)} — ${err.message}`,
      });
    }
  }

  if (problems.length > 0) throw new ConfigError(opts.file ?? 'the configuration', problems);
  return { config: deepFreeze(result) as Infer<Section<S>>, sources };
}

export function loadConfig<S extends Shape>(schema: Section<S>, opts: LoadOptions = {}): Infer<Section<S>> {
  return loadConfigWithSources(schema, opts).config;
}

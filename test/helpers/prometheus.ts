/** A reader of the Prometheus text exposition (format 0.0.4), written from its description, to check /metrics. */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  help: Map<string, string>;
  type: Map<string, string>;
  samples: Sample[];
}

const unescaped = (s: string, quote: boolean) =>
  s.replace(quote ? /\\(["\\n])/g : /\\([\\n])/g, (_m, c: string) => (c === 'n' ? '\n' : c));

/** Parses text format 0.0.4; throws on any line it does not understand. */
export function parseExposition(text: string): Exposition {
  const out: Exposition = { help: new Map(), type: new Map(), samples: [] };
  if (!text.endsWith('\n')) throw new Error('the exposition must end with a line feed');
  for (const line of text.slice(0, -1).split('\n')) {
    let m = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (m) {
      if (out.help.has(m[1]!)) throw new Error(`second HELP for ${m[1]}`);
      out.help.set(m[1]!, unescaped(m[2]!, false));
      continue;
    }
    m = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (m) {
      if (out.type.has(m[1]!)) throw new Error(`second TYPE for ${m[1]}`);
      out.type.set(m[1]!, m[2]!);
      continue;
    }
    m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`cannot parse ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    if (m[2]) {
      const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/gy;
      let end = 0;
      for (let l = re.exec(m[2]); l; l = re.exec(m[2])) {
        labels[l[1]!] = unescaped(l[2]!, true);
        end = re.lastIndex;
      }
      if (end !== m[2].length) throw new Error(`cannot parse the labels of ${JSON.stringify(line)}`);
    }
    const raw = m[3]!;
    const value = raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : raw === 'NaN' ? Number.NaN : Number(raw);
    if (Number.isNaN(value) && raw !== 'NaN') throw new Error(`not a number: ${raw}`);
    out.samples.push({ name: m[1]!, labels, value });
  }
  return out;
}

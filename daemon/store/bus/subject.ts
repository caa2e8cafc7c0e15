/** NATS subject rules, applied to the in-process bus too so that both behave alike. */

const TOKEN = /^[^\s.*>]+$/;

/** A subject to publish on: dot-separated non-empty tokens without whitespace or wildcards. */
export function isSubject(subject: string): boolean {
  return subject.split('.').every((t) => TOKEN.test(t));
}

/** A subject to subscribe to: `*` stands for one token, a final `>` for one or more. */
export function isPattern(pattern: string): boolean {
  const tokens = pattern.split('.');
  return tokens.every((t, i) => t === '*' || (t === '>' && i === tokens.length - 1) || TOKEN.test(t));
}

export function matches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i;
    if (i >= s.length || (p[i] !== '*' && p[i] !== s[i])) return false;
  }
  return p.length === s.length;
}

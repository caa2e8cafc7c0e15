/**
 * AdminJS writes its page state into an inline script as `JSON.stringify` output, which does not escape `</script>`:
 * a staff email or any other stored text holding it would end the script and run what follows. Every page the panel
 * sends goes through `escapeEmbeddedState`, which finds each embedded JSON value and escapes the characters that can
 * end a script or an HTML comment inside it (`<`, `>`, `&`, U+2028, U+2029), as JSON string escapes that mean the
 * same value to the script.
 */
const MARKERS = ['window.REDUX_STATE = ', 'window.THEME = '];
const UNSAFE = /[<>&\u2028\u2029]/g;
const unicodeEscape = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** The end (exclusive) of the JSON value starting at `start`: strings are skipped, brackets counted. */
function jsonEnd(text: string, start: number): number {
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
    } else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) return i + 1;
    } else if (depth === 0 && (c === ';' || c === '\n')) return i;
  }
  return text.length;
}

export function escapeEmbeddedState(html: string): string {
  let out = html;
  for (const marker of MARKERS) {
    let from = 0;
    for (let at = out.indexOf(marker, from); at !== -1; at = out.indexOf(marker, from)) {
      const start = at + marker.length;
      const end = jsonEnd(out, start);
      const escaped = out.slice(start, end).replace(UNSAFE, unicodeEscape);
      out = out.slice(0, start) + escaped + out.slice(end);
      from = start + escaped.length;
    }
  }
  return out;
}

/** The API's docs page: the OpenAPI document as a readable list of operations, without a script. */
interface Operation {
  summary?: string;
  tags?: string[];
  parameters?: Array<{
    name: string;
    in: string;
    required?: boolean;
    description?: string;
    schema?: { type?: string };
  }>;
  requestBody?: unknown;
}
interface Document {
  info: { title: string; version: string; description?: string };
  paths: Record<string, Record<string, Operation>>;
}

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

export function docsPage(doc: Document): string {
  const byTag = new Map<string, string[]>();
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const params = (op.parameters ?? [])
        .map(
          (p) =>
            `<code>${esc(p.name)}</code> (${p.in}${p.required ? ', required' : ''})${p.description ? `: ${esc(p.description)}` : ''}`,
        )
        .join('; ');
      const row = `<li><b>${method.toUpperCase()}</b> <code>${esc(path)}</code> — ${esc(op.summary ?? '')}${params ? `<br><small>${params}</small>` : ''}${op.requestBody ? '<br><small>a JSON body (see openapi.json)</small>' : ''}</li>`;
      const tag = op.tags?.[0] ?? 'other';
      byTag.set(tag, [...(byTag.get(tag) ?? []), row]);
    }
  }
  const sections = [...byTag].map(([tag, rows]) => `<h2>${esc(tag)}</h2><ul>${rows.join('')}</ul>`).join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(doc.info.title)}</title><style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}code{background:#f3f3f3;padding:0 .2em}li{margin:.4em 0}</style></head>
<body><h1>${esc(doc.info.title)} ${esc(doc.info.version)}</h1><p>${esc(doc.info.description ?? '')}</p><p>The document itself: <a href="openapi.json">openapi.json</a>.</p>${sections}</body></html>`;
}

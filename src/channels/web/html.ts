import { createHash } from 'node:crypto';
import { neutraliseBidi } from '../../core/bidi';

/**
 * Text as data in HTML: the one escape for element content and (quoted) attribute values on
 * every server-rendered page. The five characters that can open a tag, an entity or end an
 * attribute become entities (OWASP's rule for HTML body and quoted attributes); bidi overrides
 * are replaced (src/core/bidi.ts). The playground renders on the client with textContent
 * only (playground.ts), never innerHTML.
 */
export function esc(value: unknown): string {
  return neutraliseBidi(String(value ?? ''))
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const Style = `
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1b1f24;background:#f6f7f9}
header{background:#1f3a5f;color:#fff;padding:10px 20px;display:flex;gap:18px;align-items:center}
header a{color:#fff;text-decoration:none;font-weight:600}
main{max-width:1100px;margin:0 auto;padding:18px}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{border-bottom:1px solid #e3e6ea;padding:6px 8px;text-align:left;vertical-align:top}
.badge{display:inline-block;padding:2px 8px;border-radius:10px;font-size:12px;font-weight:600;white-space:nowrap}
.ok{background:#dcfce7;color:#166534}.bad{background:#fee2e2;color:#991b1b}.open{background:#e0f2fe;color:#075985}
pre{background:#0f172a;color:#e2e8f0;padding:8px;overflow:auto;max-height:320px;font-size:12px;white-space:pre-wrap;word-break:break-all}
td{overflow-wrap:anywhere}
.card{background:#fff;border:1px solid #d5dae1;border-radius:8px;padding:10px 14px;margin:8px 0}
.card h3{margin:0 0 6px}.muted{color:#5b6470;font-size:12px}
.msg{background:#fff;border-radius:6px;padding:6px 10px;margin:6px 0;border-left:3px solid #94a3b8}
button{margin:4px 6px 0 0;padding:5px 12px;border-radius:6px;border:1px solid #94a3b8;background:#fff;cursor:pointer}
button.primary{background:#166534;color:#fff;border-color:#166534}button.danger{color:#991b1b;border-color:#991b1b}
.cols{display:grid;grid-template-columns:1fr 1fr;gap:12px}
form.filters{display:flex;gap:8px;flex-wrap:wrap;margin-bottom:12px}
.legend-wait{color:#f59e0b}.legend-run{color:#1f3a5f}
#chat{min-height:300px}#composer{display:flex;gap:8px;margin-top:12px}#composer input{flex:1;padding:8px}
td.seq{white-space:nowrap;width:1%}td.when,td.who,td.nowrap{white-space:nowrap}
.risk-readOnly{background:#dcfce7;color:#166534}.risk-changesAzure{background:#e0f2fe;color:#075985}
.risk-changesConfig{background:#fef3c7;color:#92400e}.risk-restartsVm{background:#fee2e2;color:#991b1b}
pre#script{max-height:none}
pre.script{white-space:pre;word-break:normal;overflow-wrap:normal;max-height:480px;font-family:ui-monospace,Menlo,Consolas,monospace}
table.evidence td{font-family:ui-monospace,monospace;font-size:12px}tr.changed td{background:#fef9c3}tr.changed td.after{font-weight:700}
.incident{border-left:3px solid #1f3a5f;padding-left:10px;margin:14px 0}
button.confirming{background:#991b1b;color:#fff;border-color:#991b1b}button:disabled{opacity:.5;cursor:default}
.params label{display:block;margin:4px 0}.params input,.params select{margin-left:6px;padding:3px}
.willrun{font-family:ui-monospace,monospace;font-size:12px}.toolbar{display:flex;justify-content:flex-end;gap:8px}
.summary ol{margin:4px 0 4px 18px;padding:0}
`;

/** A CSP source for an inline element's exact text: the browser runs it only if the hash matches. */
export function cspHash(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

export const StyleHash = cspHash(Style);

/**
 * A whole page: no external CDN, everything served by this server. `meta` are extra
 * `<meta name content>` pairs for the page's script to read (it has no inline data).
 */
export function page(title: string, body: string, script = '', meta: Record<string, string> = {}): string {
  const metas = Object.entries(meta)
    .map(([name, content]) => `<meta name="${esc(name)}" content="${esc(content)}">`)
    .join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)} · rdp-fix</title>
<meta name="viewport" content="width=device-width,initial-scale=1">${metas}<style>${Style}</style></head>
<body><header><a href="/">rdp-fix</a><a href="/incidents">Incidents</a><a href="/dashboard">Dashboard</a></header>
<main>${body}</main>${script ? `<script>${script}</script>` : ''}</body></html>`;
}

/** A horizontal bar chart as inline SVG; the label column is as wide as its longest label. */
export function barChart(title: string, rows: { label: string; value: number; unit?: string }[]): string {
  const max = Math.max(1, ...rows.map((r) => r.value));
  const height = 24 * rows.length + 10;
  // About 7 px a character at 12 px: cause names are long, and a bar must not cover one.
  const left = Math.min(460, 20 + 7 * Math.max(0, ...rows.map((r) => r.label.length)));
  const bars = rows
    .map((r, i) => {
      const width = Math.round((r.value / max) * 380);
      return `<text x="0" y="${i * 24 + 17}" font-size="12">${esc(r.label)}</text><rect x="${left}" y="${i * 24 + 5}" width="${width}" height="16" fill="#1f3a5f"><title>${esc(r.label)}: ${r.value}${r.unit ?? ''}</title></rect><text x="${left + 5 + width}" y="${i * 24 + 17}" font-size="12">${r.value}${esc(r.unit ?? '')}</text>`;
    })
    .join('');
  return `<h3>${esc(title)}</h3><svg role="img" aria-label="${esc(title)}" width="${left + 460}" height="${height}">${bars || '<text x="0" y="15">no data</text>'}</svg>`;
}

import { Texts } from '../../texts/catalogue';
import { esc } from './html';

/** Every leaf of a JSON value by its path (`tls/TLS 1.2`); arrays by index. */
export function flatten(value: unknown, path = '', out = new Map<string, string>()): Map<string, string> {
  if (value !== null && typeof value === 'object') {
    const entries = Array.isArray(value)
      ? value.map((v, i) => [String(i), v] as const)
      : Object.entries(value);
    if (entries.length === 0 && path) out.set(path, Array.isArray(value) ? '[]' : '{}');
    for (const [k, v] of entries) flatten(v, path ? `${path}/${k}` : k, out);
    return out;
  }
  if (path) out.set(path, value === undefined ? '' : JSON.stringify(value));
  return out;
}

/**
 * The evidence before and after, one row per field, changed rows highlighted: what the
 * repair changed is the point, and two JSON blobs side by side hide it.
 */
export function evidenceTable(before: unknown, after: unknown): string {
  const a = flatten(before ?? {});
  const b = flatten(after ?? {});
  const paths = [...new Set([...a.keys(), ...b.keys()])];
  const changed = paths.filter((p) => a.get(p) !== b.get(p)).length;
  const rows = paths
    .map((p) => {
      const was = a.get(p) ?? '–';
      const is = b.get(p) ?? '–';
      const cls = was !== is ? ' class="changed"' : '';
      return `<tr${cls}><td>${esc(p)}</td><td class="before">${esc(was)}</td><td class="after">${esc(is)}</td></tr>`;
    })
    .join('');
  const w = Texts.web;
  return `<p class="muted">${changed} ${esc(w.changed.en)}</p><table id="evidence" class="evidence"><thead><tr><th>${esc(w.field.en)}</th><th>${esc(w.before.en)}</th><th>${esc(w.after.en)}</th></tr></thead><tbody>${rows || '<tr><td colspan="3">–</td></tr>'}</tbody></table>`;
}

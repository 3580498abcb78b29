import { cspHash, page } from './html';

/**
 * The local playground: type `/rdp-fix <vm>` and run an incident against the simulator with
 * the same cards and buttons as in chat. A third channel of the engine; the page polls the
 * incident's messages and posts clicks back. All text is inserted with textContent (never
 * innerHTML), bidi overrides replaced as on the server (src/core/bidi.ts): text from a VM or
 * a person is data here too.
 */
export function playgroundPage(csrfToken: string): string {
  return page(
    'Playground',
    `<h1>Playground</h1><p class="muted">Local mode: the Azure SDK talks to the built-in simulator. Try <code>/rdp-fix sim-all-three</code>, <code>/rdp-fix sim-tls-gpo</code> or <code>/rdp-fix help</code>.</p>
<div id="chat"></div><form id="composer"><input id="command" autocomplete="off" value="/rdp-fix sim-all-three" aria-label="command"><button class="primary" type="submit">Send</button></form>`,
    PlaygroundScript,
    { 'rdpfix-csrf': csrfToken },
  );
}

const PlaygroundScript = `
const chat = document.getElementById('chat');
const csrf = document.querySelector('meta[name="rdpfix-csrf"]').content;
let incident = null, after = 0;
function plain(text) { return String(text).replace(/[\\u202A-\\u202E\\u2066-\\u2069]/g, '\\uFFFD'); }
function el(tag, cls, text) { const e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined) e.textContent = plain(text); return e; }
function say(text, cls) { const m = el('div', 'msg ' + (cls || ''), text); chat.appendChild(m); return m; }
async function post(url, body) {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-rdpfix-csrf': csrf }, body: JSON.stringify(body) });
  return r.json();
}
const cards = new Map();
function render(m) {
  if (m.kind === 'stepCard') {
    const c = el('div', 'card'); c.dataset.step = m.stepId; c.appendChild(el('h3', '', m.title.en));
    c.appendChild(el('div', '', m.explain.en));
    for (const r of m.reasons) c.appendChild(el('div', 'muted', 'Because: ' + r.en));
    if (m.warning) c.appendChild(el('div', 'muted', '⚠ ' + m.warning.en));
    if (m.notice) c.appendChild(el('div', 'muted', m.notice.en));
    for (const p of m.params) c.appendChild(el('div', 'muted', p.label.en + ': ' + p.name + '=' + p.value));
    c.appendChild(el('div', 'muted', (m.risk ? 'Risk: ' + m.risk + ' · ' : '') + m.section));
    const buttons = el('div', 'buttons');
    const act = (verb, answer) => async () => {
      if (verb === 'approve' && m.confirm && !confirm('This step ' + m.risk + '. Approve?')) return;
      const r = await post('/api/playground/action', { incidentId: incident, stepId: m.stepId, attempt: m.attempt, verb, answer, scriptSha256: m.scriptSha256 });
      if (r.text) say(r.text, 'muted');
    };
    for (const a of m.answers) { const b = el('button', '', a.label.en); b.onclick = act('answer', a.id); buttons.appendChild(b); }
    if (m.actions.includes('approve')) { const b = el('button', 'primary', 'Approve'); b.onclick = act('approve'); buttons.appendChild(b); }
    if (m.actions.includes('skip')) { const b = el('button', '', 'Skip'); b.onclick = act('skip'); buttons.appendChild(b); }
    if (m.actions.includes('showScript')) { const b = el('button', '', 'Show script'); b.onclick = act('showScript'); buttons.appendChild(b); }
    if (m.actions.includes('abort')) { const b = el('button', 'danger', 'Abort'); b.onclick = act('abort'); buttons.appendChild(b); }
    c.appendChild(buttons); chat.appendChild(c); cards.set(m.key, c); return;
  }
  if (m.kind === 'cardClosed') { const c = cards.get(m.key); if (c) { const b = c.querySelector('.buttons'); if (b) b.remove(); c.appendChild(el('div', 'decided muted', '✔ ' + m.text.en)); } return; }
  if (m.kind === 'progress') { let p = cards.get(m.key); if (!p) { p = say(m.text.en); cards.set(m.key, p); } else p.textContent = plain(m.text.en); if (m.done) p.className = 'msg result'; return; }
  if (m.kind === 'causes') { say(m.text.en + ' ' + m.causes.map(c => c.title.en + ': ' + c.reason.en).join(' · ')); return; }
  if (m.kind === 'summary') {
    const s = say(m.text.en + (m.reason ? ' (' + m.reason + ')' : ''), 'summary');
    const a = el('a', '', ' Review the transcript'); a.href = '/incidents/' + incident; s.appendChild(a); return;
  }
  say(m.text ? m.text.en : JSON.stringify(m));
}
async function poll() {
  if (incident) {
    const r = await fetch('/api/playground/messages?incident=' + encodeURIComponent(incident) + '&after=' + after).then(r => r.json());
    for (const m of r.messages) render(m);
    after = r.next;
  }
  setTimeout(poll, 300);
}
document.getElementById('composer').onsubmit = async (e) => {
  e.preventDefault();
  const text = document.getElementById('command').value;
  say('> ' + text, 'mine');
  const r = await post('/api/playground/command', { text });
  if (r.incidentId) { incident = r.incidentId; after = 0; cards.clear(); }
  if (r.text) say(r.text, 'muted');
};
poll();
`;

/** The playground's script is inline: the CSP names its hash, so no other inline script runs. */
export const PlaygroundScriptHash = cspHash(PlaygroundScript);

/**
 * The playground page's script (its CSP hash is computed from this exact text). Each incident
 * on the page has its own section, its own read position and its own cards; one loop polls
 * them in turn, so a new command never resets a poll still in flight, and a click always
 * names the incident of the card it is on. Parts, joined: state and helpers, cards, the
 * other messages, polling and commands.
 */
const Helpers = `
const chat = document.getElementById('chat');
const meta = (n) => document.querySelector('meta[name="rdpfix-' + n + '"]').content;
const csrf = meta('csrf');
const T = JSON.parse(meta('texts'));
const incidents = new Map();
function plain(text) { return String(text).replace(/[\\u202A-\\u202E\\u2066-\\u2069]/g, '\\uFFFD'); }
function fill(t, vars) { return String(t).replace(/\\{(\\w+)\\}/g, (_, k) => vars[k] === undefined ? '' : String(vars[k])); }
function el(tag, cls, text) { const e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined) e.textContent = plain(text); return e; }
// The engine writes moments as ISO UTC ("…at 2026-12-01T13:27:54.867Z"): said in the reader's zone.
function human(text) {
  return String(text).replace(/\\b\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(?:\\.\\d+)?Z\\b/g, (iso) => {
    const at = new Date(iso);
    const day = at.toDateString() === new Date().toDateString() ? T.web.today : at.toLocaleDateString();
    return day + ' ' + at.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', timeZoneName: 'short' });
  });
}
function say(text, cls, where) { const m = el('div', 'msg ' + (cls || ''), human(text)); (where || chat).appendChild(m); return m; }
async function post(url, body) {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-rdpfix-csrf': csrf }, body: JSON.stringify(body || {}) });
  return r.json();
}
function attach(id) {
  let s = incidents.get(id);
  if (s) return s;
  const box = el('section', 'incident'); box.dataset.incident = id; chat.appendChild(box);
  s = { id, after: 0, box, cards: new Map(), ended: false, idle: 0 };
  incidents.set(id, s);
  return s;
}
function scriptBlock(sc) {
  const wrap = el('div', 'script-view');
  wrap.appendChild(el('div', 'muted', fill(T.web.scriptOf, { name: sc.name, sha: sc.sha256 })));
  wrap.appendChild(el('pre', 'script', sc.text));
  return wrap;
}
`;

const Cards = `
function riskBadge(risk) { return el('span', 'badge risk-' + risk, T.risk[risk] || risk); }
// What asks twice is the playbook's word (the card's confirm, an answer's confirm), as in
// Slack and Teams: restarts, the port change, the offline path.
function needsConfirm(m, verb, answer) {
  if (verb === 'approve') return m.confirm;
  // Choosing the offline path, or saying an offline step was done; stopping needs no second word.
  // The playbook marks them (answers[].confirm), as for Slack's and Teams' cards.
  if (verb === 'answer') return m.answers.some((a) => a.id === answer && a.confirm);
  return false;
}
function paramFields(m, card) {
  if (!m.params.length) return () => undefined;
  const box = el('div', 'params'); const controls = [];
  const willRun = el('div', 'willrun');
  const show = () => { willRun.textContent = plain(T.web.willRun + ': ' + controls.map(([p, c]) => p.name + '=' + c.value).join(', ')); };
  for (const p of m.params) {
    const label = el('label', '', p.label.en + ' (' + p.name + ')');
    let c;
    if (p.type === 'enum' || p.type === 'boolean') {
      c = el('select');
      for (const v of p.type === 'enum' ? p.values : ['true', 'false']) { const o = el('option', '', v); o.value = v; c.appendChild(o); }
    } else { c = el('input'); c.type = p.type === 'integer' ? 'number' : 'text'; }
    c.name = p.name; c.value = p.value === undefined ? '' : String(p.value);
    c.addEventListener('input', show); c.addEventListener('change', show);
    label.appendChild(c); box.appendChild(label); controls.push([p, c]);
  }
  box.appendChild(willRun); card.appendChild(box); show();
  return () => {
    const out = {};
    for (const [p, c] of controls) {
      if (c.value === '') continue;
      out[p.name] = p.type === 'integer' && /^-?\\d+$/.test(c.value) ? Number(c.value) : c.value;
    }
    return out;
  };
}
function renderCard(s, m) {
  if (s.cards.has(m.key)) return;
  const c = el('div', 'card'); c.dataset.step = m.stepId; c.dataset.key = m.key;
  const h = el('h3', '', m.title.en); if (m.risk) { h.appendChild(document.createTextNode(' ')); h.appendChild(riskBadge(m.risk)); }
  c.appendChild(h); c.appendChild(el('div', '', m.explain.en));
  for (const r of m.reasons) c.appendChild(el('div', 'muted', T.card.because + ': ' + r.en));
  if (m.warning) c.appendChild(el('div', 'muted', '⚠ ' + m.warning.en));
  if (m.notice) c.appendChild(el('div', 'muted', m.notice.en));
  const params = paramFields(m, c);
  c.appendChild(el('div', 'muted', m.section));
  const buttons = el('div', 'buttons'); const answerLine = el('div', 'muted reply');
  const all = [];
  const act = (verb, answer, b, label) => async () => {
    if (needsConfirm(m, verb, answer) && !b.classList.contains('confirming')) {
      for (const o of all) { o.classList.remove('confirming'); o.textContent = o.dataset.label; }
      b.classList.add('confirming'); b.textContent = plain(fill(T.web.confirmAgain, { what: m.risk ? fill(T.web.thisStep, { risk: T.risk[m.risk] }) : m.title.en }));
      return;
    }
    b.classList.remove('confirming'); b.textContent = plain(label);
    if (verb === 'showScript') {
      const open = c.querySelector('.script-view');
      if (open) { open.remove(); b.textContent = plain(T.card.showScript); return; }
    }
    // The card's script hash goes back with the click: an approval is bound to the script it showed.
    const body = { incidentId: s.id, stepId: m.stepId, attempt: m.attempt, verb, answer, scriptSha256: m.scriptSha256 };
    if (verb === 'approve') body.params = params();
    if (verb !== 'showScript') for (const o of all) o.disabled = true;
    const r = await post('/api/playground/action', body);
    if (r.script) { c.insertBefore(scriptBlock(r.script), buttons); b.textContent = plain(T.web.hideScript); }
    if (r.text) { answerLine.textContent = plain(r.text); for (const o of all) o.disabled = false; }
  };
  const button = (label, cls, verb, answer) => {
    const b = el('button', cls, label); b.dataset.label = label; b.dataset.verb = verb;
    b.addEventListener('click', act(verb, answer, b, label)); buttons.appendChild(b); all.push(b);
  };
  for (const a of m.answers) button(a.label.en, '', 'answer', a.id);
  if (m.actions.includes('approve')) button(T.card.approve, 'primary', 'approve');
  if (m.actions.includes('skip')) button(T.card.skip, '', 'skip');
  if (m.actions.includes('showScript')) button(T.card.showScript, '', 'showScript');
  if (m.actions.includes('abort')) button(T.card.abort, 'danger', 'abort');
  c.appendChild(buttons); c.appendChild(answerLine); s.box.appendChild(c); s.cards.set(m.key, c);
}
`;

const Messages = `
function render(s, m) {
  if (m.kind === 'stepCard') return renderCard(s, m);
  if (m.kind === 'cardClosed') {
    const c = s.cards.get(m.key);
    if (!c || c.querySelector('.decided')) return;
    const b = c.querySelector('.buttons'); if (b) b.remove();
    for (const i of c.querySelectorAll('.params input, .params select')) i.disabled = true;
    c.appendChild(el('div', 'decided muted', '✔ ' + human(m.text.en))); return;
  }
  if (m.kind === 'progress') {
    let p = s.cards.get(m.key);
    if (!p) { p = say(m.text.en, '', s.box); s.cards.set(m.key, p); } else p.textContent = plain(human(m.text.en));
    // The result goes below what was said while the step ran (a retry notice).
    if (m.done) { p.className = 'msg result'; s.box.appendChild(p); }
    // A change the undo can take back alone: its Undo button, as in Slack and Teams.
    if (m.done && m.undo && !p.querySelector('button')) {
      const b = el('button', 'undo', T.card.undo); b.dataset.verb = 'undo';
      b.addEventListener('click', async () => {
        b.disabled = true;
        const r = await post('/api/playground/action', { incidentId: s.id, stepId: m.stepId, attempt: m.undo.attempt, verb: 'undo' });
        if (r.text) { say(r.text, 'muted', s.box); b.disabled = false; }
      });
      p.appendChild(document.createTextNode(' ')); p.appendChild(b);
    }
    return;
  }
  if (m.kind === 'causes') { say(m.text.en + ' ' + m.causes.map((c) => c.title.en + ': ' + c.reason.en).join(' · '), '', s.box); return; }
  if (m.kind === 'summary') {
    const box = say(m.text.en + (m.reason ? ' (' + m.reason + ')' : ''), 'summary', s.box);
    if (m.steps.length) {
      box.appendChild(el('div', 'muted', T.web.steps + ':'));
      const ol = el('ol');
      for (const st of m.steps) ol.appendChild(el('li', '', st.title.en + ' — ' + st.outcome + (st.approvedBy ? ' (' + st.approvedBy + ')' : '')));
      box.appendChild(ol);
    }
    const a = el('a', '', T.web.review); a.href = '/incidents/' + s.id; box.appendChild(a);
    s.ended = true; return;
  }
  say(m.text ? m.text.en : JSON.stringify(m), '', s.box);
}
`;

const Loop = `
async function poll() {
  for (const s of [...incidents.values()]) {
    // An ended incident is read a few more times (its last card closes after the summary).
    if (s.ended && s.idle > 3) continue;
    try {
      const r = await fetch('/api/playground/messages?incident=' + encodeURIComponent(s.id) + '&after=' + s.after).then((x) => x.json());
      for (const m of r.messages) render(s, m);
      s.after = r.next; s.idle = r.messages.length ? 0 : s.idle + 1;
    } catch (err) { console.warn('poll failed, trying again', err); }
  }
  setTimeout(poll, 300);
}
function showList(list) {
  const box = el('div', 'msg');
  for (const i of list) {
    const line = el('div');
    const a = el('a', '', i.id); a.href = '/incidents/' + i.id; line.appendChild(a);
    line.appendChild(document.createTextNode(plain(' ' + i.vm + ' · ' + (i.outcome || i.status + ' · ' + i.state) + ' ')));
    if (i.playground && i.status === 'open' && !incidents.has(i.id)) {
      const b = el('button', '', T.web.showHere); b.addEventListener('click', () => { attach(i.id); b.remove(); }); line.appendChild(b);
    }
    box.appendChild(line);
  }
  chat.appendChild(box);
}
function answer(r) {
  if (r.incidentId) attach(r.incidentId);
  if (r.text) say(r.text, 'muted');
  if (r.incidents) showList(r.incidents);
  if (r.script) chat.appendChild(scriptBlock(r.script));
  if (r.link) { const a = el('a', '', r.link.text); a.href = r.link.href; const d = say('', 'muted'); d.appendChild(a); }
  if (r.error) say(r.error, 'muted');
}
document.getElementById('composer').addEventListener('submit', async (e) => {
  e.preventDefault();
  const text = document.getElementById('command').value;
  say('> ' + text, 'mine');
  answer(await post('/api/playground/command', { text }));
});
const reset = document.getElementById('reset');
if (reset) reset.addEventListener('click', async () => answer(await post('/api/playground/reset')));
// After a reload: the open incidents come back from the server, with everything they said.
fetch('/api/playground/incidents').then((r) => r.json()).then((r) => {
  if (r.incidents.length) say(fill(T.web.restored, { n: r.incidents.length }), 'muted');
  for (const i of r.incidents) attach(i.id);
}).finally(poll);
`;

export const PlaygroundScript = Helpers + Cards + Messages + Loop;

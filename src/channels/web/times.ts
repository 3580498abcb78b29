import { Texts } from '../../texts/catalogue';
import { cspHash, esc, page } from './html';

/**
 * A moment for people: "today 13:27 UTC", "yesterday 09:02 UTC", "2026-11-28 17:40 UTC".
 * The server says UTC out loud (it cannot know the reader's zone); the pages' script then
 * rewrites each `<time>` in the browser's own zone and locale. `seconds` for timelines.
 */
export function timeTag(iso: string, now: Date, seconds = false): string {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return esc(iso);
  const day = (d: Date) => d.toISOString().slice(0, 10);
  const yesterday = new Date(now.getTime() - 86_400_000);
  const clock = at.toISOString().slice(11, seconds ? 19 : 16);
  const date =
    day(at) === day(now) ? Texts.web.today.en : day(at) === day(yesterday) ? Texts.web.yesterday.en : day(at);
  return `<time datetime="${esc(at.toISOString())}"${seconds ? ' data-seconds' : ''}>${esc(`${date} ${clock} UTC`)}</time>`;
}

/** The words the pages' script needs, read from a `<meta>` (it has no inline data). */
export function timeWords(): Record<string, string> {
  return { 'rdpfix-today': Texts.web.today.en, 'rdpfix-yesterday': Texts.web.yesterday.en };
}

/**
 * The review pages' only script: every `<time>` in the reader's zone, with its name, in the
 * browser's locale. Inline, so the CSP names it by hash like the playground's.
 */
export const PagesScript = `
const word = (n) => document.querySelector('meta[name="rdpfix-' + n + '"]').content;
const dayOf = (d) => d.getFullYear() + '-' + d.getMonth() + '-' + d.getDate();
const now = new Date(), yesterday = new Date(now.getTime() - 86400000);
for (const t of document.querySelectorAll('time[datetime]')) {
  const at = new Date(t.getAttribute('datetime'));
  if (isNaN(at.getTime())) continue;
  const clock = at.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: t.hasAttribute('data-seconds') ? '2-digit' : undefined, timeZoneName: 'short' });
  const day = dayOf(at) === dayOf(now) ? word('today') : dayOf(at) === dayOf(yesterday) ? word('yesterday') : at.toLocaleDateString();
  t.title = t.textContent;
  t.textContent = day + ' ' + clock;
}
`;

export const PagesScriptHash = cspHash(PagesScript);

/** A review page: the time script runs on it, with its words. */
export function reviewPage(title: string, body: string): string {
  return page(title, body, PagesScript, timeWords());
}

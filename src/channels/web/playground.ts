import type { Localized } from '../../core/types';
import { Texts } from '../../texts/catalogue';
import { cspHash, page } from './html';
import { PlaygroundScript } from './playground-script';

/**
 * The local playground: type `/rdp-fix <vm>` and run an incident against the simulator with
 * the same cards and buttons as in chat. A third channel of the engine; the page polls each
 * incident's messages and posts clicks back. All text is inserted with textContent (never
 * innerHTML), bidi overrides replaced as on the server (src/core/bidi.ts): text from a VM or
 * a person is data here too. `reset`: show the button that resets the simulated VMs.
 */
export function playgroundPage(csrfToken: string, reset: boolean): string {
  return page(
    'Playground',
    `<div class="toolbar">${reset ? `<button id="reset" type="button">${Texts.web.reset.en}</button>` : ''}</div>
<h1>Playground</h1><p class="muted">Local mode: the Azure SDK talks to the built-in simulator. Try <code>/rdp-fix sim-all-three</code>, <code>/rdp-fix sim-tls-gpo</code>, <code>/rdp-fix status</code> or <code>/rdp-fix help</code>.</p>
<div id="chat"></div><form id="composer"><input id="command" autocomplete="off" value="/rdp-fix sim-all-three" aria-label="command"><button class="primary" type="submit">Send</button></form>`,
    PlaygroundScript,
    { 'rdpfix-csrf': csrfToken, 'rdpfix-texts': JSON.stringify(pageTexts()) },
  );
}

/** The words the page's script shows, in the playground's language (English, as its person). */
function pageTexts() {
  // Texts only: templates (functions) are filled on the server, not in the page.
  const en = (group: object) =>
    Object.fromEntries(
      Object.entries(group)
        .filter(([, v]) => typeof v !== 'function')
        .map(([k, v]) => [k, (v as Localized).en]),
    );
  return { web: en(Texts.web), card: en(Texts.card), risk: en(Texts.risk) };
}

/** The playground's script is inline: the CSP names its hash, so no other inline script runs. */
export const PlaygroundScriptHash = cspHash(PlaygroundScript);

import { neutraliseBidi } from '../../core/bidi';

/**
 * Text as data in Slack mrkdwn. The one place where a text that is not ours — a VM's output,
 * an Azure message, a person's name or answer — is made safe to show in Slack.
 *
 * How rdp-fix keeps "our text" and "data" apart (README, "Escaping"): every text the engine
 * and the conversation hand to a channel (`Localized`) is plain text — the catalogue's engine
 * and chat sentences carry no markup (test/texts checks it), and data is substituted into them
 * as is. So a channel escapes each such text whole, for its target, and adds its own marks
 * (bold labels, bullets, the transcript link) around the escaped texts. The Slack help text
 * and the "failed" message are the only mrkdwn in the catalogue; they take no data and are
 * used as markup, never through this function.
 *
 * What Slack documents and what this does about it:
 * - `&`, `<` and `>` are Slack's control characters and must be sent as `&amp;`, `&lt;`,
 *   `&gt;` (https://api.slack.com/reference/surfaces/formatting#escaping): this is what keeps
 *   `<!channel>`, `<@U…>` and `<https://…|click>` in data from becoming a mention or a link.
 * - URLs, channel names and `@here`-style mentions typed bare are linked by Slack's server
 *   ("automatic parsing") unless the text object says `verbatim: true`
 *   (https://docs.slack.dev/reference/block-kit/composition-objects/text-object): every mrkdwn
 *   object we build says so (`mrkdwnText`), and every message carries its text as blocks. The
 *   top-level `text` is only the notification fallback, which is not verbatim, so the
 *   function also breaks `://` and `@here`/`@channel`/`@everyone` with an invisible WORD JOINER
 *   (U+2060), which no URL or mention syntax accepts.
 * - Slack has no escape for its formatting characters `*`, `_`, `~` and `` ` `` (its docs list
 *   only the three above), and a zero-width space next to them makes Slack format *more*, not
 *   less (jsx-slack's "exact mode", docs/about-escape-and-exact-mode.md). So in data they are
 *   replaced by look-alikes, as jsx-slack's `<Escape>` does where it cannot do otherwise:
 *   ∗ (U+2217), ˍ (U+02CD), ∼ (U+223C), ˋ (U+02CB). A `*`, `_` or `~` between two letters or
 *   digits is kept (`vm_web_01`, `U_BOB`): Slack formats only marks at a word's edge (the same
 *   jsx-slack page: `Super_cali_fragilistic` shows as typed), so names stay copyable. A `>`
 *   starting a line (a quote, even as `&gt;`) gets a soft hyphen before it. The transcript and
 *   the web page keep the exact text.
 * - Bidi overrides are replaced (src/core/bidi.ts).
 */
const LookAlike: Record<string, string> = { '*': '\u2217', _: '\u02CD', '~': '\u223C' };

export function escapeSlack(text: string): string {
  return neutraliseBidi(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/`/g, '\u02CB')
    .replace(/(?<![A-Za-z0-9])[*_~]|[*_~](?![A-Za-z0-9])/g, (mark) => LookAlike[mark] ?? mark)
    .replace(/^&gt;/gm, '\u00AD&gt;')
    .replace(/:\/\//g, ':\u2060//')
    .replace(/@(here|channel|everyone)\b/gi, '@\u2060$1');
}

/**
 * Our own text inside a code block (a playbook script): only the control characters, so
 * that PowerShell's `$_` stays readable; a backtick run cannot close the block early.
 */
export function escapeSlackCode(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/```/g, '`\u2060``');
}

/** A mrkdwn text object that Slack shows as written: no automatic links or mentions. */
export function mrkdwnText(text: string): { type: 'mrkdwn'; text: string; verbatim: true } {
  return { type: 'mrkdwn', text: clip(text), verbatim: true };
}

/** A whole message's mrkdwn as blocks, so that it is shown verbatim (see above). */
export function textBlocks(text: string): Record<string, unknown>[] {
  return [{ type: 'section', text: mrkdwnText(text) }];
}

/** Slack refuses text fields over 3,000 characters; cut by code point, so no emoji is split. */
export function clip(text: string, max = 2900): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max);
  return `${/[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut}…`;
}

import { neutraliseBidi } from '../../core/bidi';

/**
 * Text as data in Teams. Like Slack (see slack/escape-slack.ts for how "our text" and "data"
 * are kept apart): every `Localized` text a channel receives is plain text, escaped whole for
 * its target here, and the renderer adds its own marks around it.
 *
 * Two targets, two documented behaviours:
 * - Adaptive Cards: Markdown (bold, italic, lists, `[title](url)` links) is processed in
 *   `TextBlock.text`, `Fact.title` and `Fact.value`
 *   (https://learn.microsoft.com/microsoftteams/platform/task-modules-and-cards/cards/cards-format),
 *   while a `TextRun` inside a `RichTextBlock` is "Text to display. Markdown is not supported."
 *   (https://learn.microsoft.com/adaptive-cards/schema-explorer/text-run). So our cards put
 *   every text in TextRuns (`textRun`) and use no TextBlock or FactSet at all: nothing in a card
 *   is Markdown, and a mention needs an `msteams.entities` entry, which we never add.
 * - Text messages: Teams renders a subset of Markdown and of XML/HTML tags (`<at>`, `<a>`…) in
 *   a message whose `textFormat` is `markdown`, the default
 *   (https://learn.microsoft.com/microsoftteams/platform/bots/how-to/format-your-bot-messages).
 *   `escapeTeamsMarkdown` turns `&`, `<`, `>` into entities (so `<at>…</at>` and tags stay
 *   text) and puts a backslash before the Markdown punctuation (CommonMark: any ASCII
 *   punctuation may be backslash-escaped), so `[x](https://…)`, `**x**`, `_x_` stay literal
 *   (`#` is left alone: text messages show no headers, same page);
 *   `://` gets an invisible WORD JOINER (U+2060) so that a bare URL is not linked either.
 * In both, bidi overrides are replaced (src/core/bidi.ts).
 */
export function escapeTeamsMarkdown(text: string): string {
  return neutraliseBidi(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[\\`*_~[\]()|!{}]/g, '\\$&')
    .replace(/^(\s*)([-+])(?=\s)/gm, '$1\\$2')
    .replace(/^(\s*\d+)([.)])(?=\s)/gm, '$1\\$2')
    .replace(/:\/\//g, ':\u2060//');
}

/** Adaptive Cards' own text styles for a TextRun (schema 1.2+). */
export interface RunStyle {
  weight?: 'Bolder' | 'Lighter';
  size?: 'Small' | 'Medium' | 'Large';
  color?: 'Good' | 'Warning' | 'Attention' | 'Accent';
  isSubtle?: boolean;
  fontType?: 'Monospace';
}

/** Teams holds about 28 KB per message: one text is cut well before that. */
const MaxRun = 3000;

/** A text shown exactly as written: a TextRun, where Adaptive Cards process no Markdown. */
export function textRun(text: string, style: RunStyle = {}): Record<string, unknown> {
  const shown = neutraliseBidi(text);
  const cut =
    shown.length > MaxRun
      ? `${shown.slice(0, /[\uD800-\uDBFF]/.test(shown[MaxRun - 1] ?? '') ? MaxRun - 1 : MaxRun)}…`
      : shown;
  return { type: 'TextRun', text: cut, ...style };
}

/** One paragraph of a card: TextRuns side by side. */
export function paragraph(...inlines: Record<string, unknown>[]): Record<string, unknown> {
  return { type: 'RichTextBlock', inlines };
}

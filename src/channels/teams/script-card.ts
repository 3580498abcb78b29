import { ChatTexts } from '../../conversation/chat-texts';
import type { Reply } from '../../conversation/replies';
import type { Locale } from '../../core/types';
import { paragraph, textRun } from './escape-teams';
import type { AdaptiveCard } from './render-cards';

/** Teams takes about 28 KB per message (the whole activity): the card stays under this. */
const MaxCardBytes = 26_000;
/** One TextRun is cut at 3,000 characters (escape-teams.ts): the fallback's runs stay under. */
const RunChars = 2_800;

/**
 * "Show script" in Teams: a card with the script in a `CodeBlock`, Teams' own element for
 * code (monospace, line numbers, PowerShell highlighting;
 * https://learn.microsoft.com/microsoftteams/platform/task-modules-and-cards/cards/cards-format#codeblock-in-adaptive-cards).
 * A client without CodeBlock shows its `fallback`: the same script as monospace TextRuns when
 * both fit in one message, else a sentence saying where the whole script is. A script too
 * long for a message even once gets that sentence as a text: never a silent cut.
 */
export function renderScriptCard(
  reply: Extract<Reply, { kind: 'script' }>,
  locale: Locale,
): { card: AdaptiveCard } | { text: string } {
  const where = ChatTexts.scriptTooLong(reply.name, reply.text.length)[locale];
  // Renderers collapse leading spaces in a TextRun: no-break spaces keep the indentation.
  const indented = reply.text.replace(/^ +/gm, (spaces) => '\u00A0'.repeat(spaces.length));
  const runs = chunks(indented).map((c) => textRun(c, { fontType: 'Monospace' }));
  const card = (fallback: Record<string, unknown>): AdaptiveCard => ({
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: '1.5',
    body: [
      paragraph(
        textRun(reply.name, { weight: 'Bolder' }),
        textRun(` sha256 ${reply.sha256.slice(0, 12)}`, { isSubtle: true, fontType: 'Monospace' }),
      ),
      { type: 'CodeBlock', codeSnippet: reply.text, language: 'PowerShell', fallback },
    ],
  });
  const whole = card(paragraph(...runs));
  if (bytes(whole) <= MaxCardBytes) return { card: whole };
  const pointer = card(paragraph(textRun(where)));
  if (bytes(pointer) <= MaxCardBytes) return { card: pointer };
  return { text: where };
}

/** The script in pieces of at most RunChars, cut at line ends where one is near. */
function chunks(text: string): string[] {
  const out: string[] = [];
  let rest = text;
  while (rest.length > RunChars) {
    const end = rest.lastIndexOf('\n', RunChars);
    const at = end > RunChars / 2 ? end + 1 : RunChars;
    out.push(rest.slice(0, at));
    rest = rest.slice(at);
  }
  out.push(rest);
  return out;
}

function bytes(card: AdaptiveCard): number {
  return Buffer.byteLength(JSON.stringify(card), 'utf8');
}

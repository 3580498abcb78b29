import { ChatTexts, plain } from '../../conversation/chat-texts';
import type { Reply } from '../../conversation/replies';
import type { Locale } from '../../core/types';
import { escapeTeamsMarkdown as md } from './escape-teams';

/** Teams messages hold about 28 KB; the whole transcript stays in the export and on the web page. */
const MaxTranscript = 25_000;

/**
 * A conversation reply as the Teams text that answers it (a message in the reply chain, or
 * an invoke response to the person who clicked); undefined when there is nothing to say.
 * Refusals are always said here: the Teams sink leaves the engine's refusal messages out.
 * Teams reads the text as Markdown: every text in it is escaped (escape-teams.ts), the
 * bullets are ours; the transcript and the script are shown as their literal source.
 */
export function replyText(reply: Reply, locale: Locale): string | undefined {
  switch (reply.kind) {
    case 'opened':
      return undefined;
    case 'done':
      return '✔';
    case 'refusal':
    case 'text':
      return md(reply.text[locale]);
    case 'help':
      return `${reply.problem ? `${md(reply.problem)}\n\n` : ''}${md(plain(ChatTexts.help[locale]))}`;
    case 'incidentList':
      return reply.records.length
        ? reply.records
            .map((r) => `- ${md(`${r.id} ${r.vm.resourceGroup}/${r.vm.name}: ${r.outcome ?? r.state}`)}`)
            .join('\n')
        : md(reply.empty[locale]);
    case 'file': {
      // Escaping makes it longer: cut what is sent, not what was read.
      const text = md(reply.markdown);
      return text.length > MaxTranscript ? `${text.slice(0, MaxTranscript)}\n\n…` : text;
    }
    case 'script':
      // The Teams channel shows scripts as a card (script-card.ts); said here only as text, never cut.
      return reply.text.length <= 20_000
        ? `${md(reply.name)}\n\n${md(reply.text)}`
        : md(ChatTexts.scriptTooLong(reply.name, reply.text.length)[locale]);
  }
}

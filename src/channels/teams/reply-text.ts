import { ChatTexts, plain } from '../../conversation/chat-texts';
import type { Reply } from '../../conversation/replies';
import type { Locale } from '../../core/types';

/** Teams messages hold about 28 KB; the whole transcript stays in the export and on the web page. */
const MaxTranscript = 25_000;

/**
 * A conversation reply as the Teams text that answers it (a message in the reply chain, or
 * an invoke response to the person who clicked); undefined when there is nothing to say.
 * Refusals are always said here: the Teams sink leaves the engine's refusal messages out.
 */
export function replyText(reply: Reply, locale: Locale): string | undefined {
  switch (reply.kind) {
    case 'opened':
      return undefined;
    case 'done':
      return '✔';
    case 'refusal':
    case 'text':
      return reply.text[locale];
    case 'help':
      return `${reply.problem ? `${reply.problem}\n\n` : ''}${plain(ChatTexts.help[locale])}`;
    case 'incidentList':
      return reply.records.length
        ? reply.records
            .map((r) => `- ${r.id} ${r.vm.resourceGroup}/${r.vm.name}: ${r.outcome ?? r.state}`)
            .join('\n')
        : reply.empty[locale];
    case 'file':
      return reply.markdown.length > MaxTranscript
        ? `${reply.markdown.slice(0, MaxTranscript)}\n\n…`
        : reply.markdown;
    case 'script':
      return `${reply.name}\n\n${reply.text.slice(0, 20_000)}`;
  }
}

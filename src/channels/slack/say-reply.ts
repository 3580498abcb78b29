import type { WebClient } from '@slack/web-api';
import { ChatTexts } from '../../conversation/chat-texts';
import type { IncidentRecord } from '../../conversation/ports';
import type { Reply } from '../../conversation/replies';
import type { Locale } from '../../core/types';
import { escapeSlack } from './escape-slack';
import { sendScript } from './send-script';

/** Whom a reply is for: the person who typed or pressed, where they did, in their language. */
export interface ReplyTarget {
  client: WebClient;
  channel: string;
  user: string;
  locale: Locale;
  publicUrl: string | undefined;
  ephemeral(channel: string, user: string, text: string, thread?: string): Promise<unknown>;
}

/** The help, with what was wrong first (Slack shows it in the slash command's ack). */
export function helpText(problem: string | undefined, locale: Locale): string {
  return (problem ? `${escapeSlack(problem)}\n` : '') + ChatTexts.help[locale];
}

/**
 * A conversation reply, said in Slack: privately to the person (ephemeral), or as a file in
 * the channel. Refusals the engine also sends as a message are not said twice.
 */
export async function sayReply(reply: Reply, to: ReplyTarget): Promise<void> {
  const { channel, user, locale } = to;
  const say = (text: string, thread?: string) => to.ephemeral(channel, user, text, thread);
  switch (reply.kind) {
    case 'done':
    case 'opened':
      return;
    case 'refusal':
      if (reply.delivered) return;
      await say(escapeSlack(reply.text[locale]) + (reply.withHelp ? `\n${ChatTexts.help[locale]}` : ''));
      return;
    case 'text':
      await say(escapeSlack(reply.text[locale]), reply.thread);
      return;
    case 'help':
      await say(helpText(reply.problem, locale));
      return;
    case 'incidentList':
      await say(listText(reply.records, reply.empty[locale], to.publicUrl));
      return;
    case 'script':
      await sendScript(reply, to);
      return;
    case 'file': {
      const file = {
        filename: reply.filename,
        title: reply.title,
        content: reply.markdown,
        ...(to.publicUrl ? { initial_comment: `${to.publicUrl}/incidents/${reply.incidentId}` } : {}),
      };
      // The Web API's external upload flow (getUploadURLExternal, upload, completeUploadExternal).
      if (reply.sameThread)
        await to.client.filesUploadV2({ ...file, channel_id: channel, thread_ts: reply.sameThread });
      else await to.client.filesUploadV2({ ...file, channel_id: channel });
      return;
    }
  }
}

function listText(records: IncidentRecord[], empty: string, publicUrl: string | undefined): string {
  if (records.length === 0) return empty;
  return records
    .map((r) => {
      const id = publicUrl ? `<${publicUrl}/incidents/${r.id}|${r.id}>` : `\`${r.id}\``;
      return `• ${id} ${escapeSlack(`${r.vm.resourceGroup}/${r.vm.name}`)} — ${escapeSlack(r.outcome ?? r.state)} (${r.createdAt.slice(0, 16)})`;
    })
    .join('\n');
}

import type { ParsedCommand } from '../core/parse-command';
import type { ChannelRef } from '../core/types';
import { buildExport, renderMarkdown } from '../transcripts/render-transcript';
import { ChatTexts } from './chat-texts';
import type { Asker } from './inputs';
import { listIncidents } from './list-incidents';
import type { ConversationPorts } from './ports';
import type { Reply } from './replies';
import { replyTo } from './reply-to';
import { startIncident } from './start-incident';

/**
 * Answers one `/rdp-fix …` command, said by `who` in `where` (the channel the incident will
 * live in, or whose incidents are listed). The channel has parsed the text already.
 */
export async function handleChat(
  ports: ConversationPorts,
  command: ParsedCommand,
  who: Asker,
  where: ChannelRef,
): Promise<Reply> {
  switch (command.kind) {
    case 'help':
      return { kind: 'help' };
    case 'invalid':
      return { kind: 'help', problem: command.problem };
    case 'start': {
      const result = await startIncident(ports.engine, ports.vms, {
        vmName: command.vmName,
        ...(command.resourceGroup ? { resourceGroup: command.resourceGroup } : {}),
        requester: who.user,
        channel: where,
        locale: who.locale,
        walkAll: command.walkAll,
      });
      return result.ok ? { kind: 'opened', incidentId: result.incidentId } : replyTo(result);
    }
    case 'status':
    case 'history':
      return { kind: 'incidentList', ...(await listIncidents(ports.incidents, command, where.channel)) };
    case 'transcript':
      return exportTranscript(ports, command.incidentId, where);
    case 'cancel':
      return replyTo(
        await ports.engine.handle({
          type: 'abort',
          incidentId: command.incidentId,
          user: who.user,
          reason: `cancelled by ${who.user.name ?? who.user.id}`,
        }),
      );
  }
}

/** The incident's transcript as a Markdown file; in its own thread when asked from its channel. */
async function exportTranscript(
  ports: ConversationPorts,
  incidentId: string,
  where: ChannelRef,
): Promise<Reply> {
  const record = await ports.incidents.get(incidentId);
  if (!record) return { kind: 'text', text: ChatTexts.notFound(incidentId) };
  const sameThread =
    record.channel.platform === where.platform && record.channel.channel === where.channel
      ? record.channel.thread
      : undefined;
  return {
    kind: 'file',
    incidentId: record.id,
    filename: `rdp-fix-${record.id}.md`,
    title: `rdp-fix incident ${record.id}`,
    markdown: renderMarkdown(buildExport(record, await ports.incidents.transcript(record.id))),
    ...(sameThread ? { sameThread } : {}),
  };
}

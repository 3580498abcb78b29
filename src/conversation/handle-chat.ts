import { ErrorCodes } from '../core/errors';
import type { ParsedCommand } from '../core/parse-command';
import type { ChannelRef } from '../core/types';
import { Texts } from '../engine/texts';
import { buildExport, renderMarkdown } from '../transcripts/render-transcript';
import { ChatTexts } from './chat-texts';
import { findWaitingStep } from './find-waiting-step';
import type { Asker } from './inputs';
import { listIncidents } from './list-incidents';
import type { ConversationPorts } from './ports';
import { notFoundReply, readableIncident } from './readable-incident';
import type { Reply } from './replies';
import { replyTo } from './reply-to';
import { startIncident } from './start-incident';

/**
 * Answers one `/rdp-fix …` command, said by `who` in `where` (the channel the incident will
 * live in, or whose incidents are listed). The channel has parsed the text already.
 * `status`, `history`, `transcript` and `cancel` reach only incidents the person may read
 * (`mayRead`); any other is answered exactly as an id that does not exist.
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
        ...(command.offline ? { offline: true } : {}),
      });
      if (result.ok) return { kind: 'opened', incidentId: result.incidentId };
      if (result.code === ErrorCodes.IncidentAlreadyOpen && result.openIncidentId) {
        const id = result.openIncidentId;
        const vm = command.resourceGroup ? `${command.resourceGroup}/${command.vmName}` : command.vmName;
        // Someone who may not read it learns only that it exists elsewhere: no id, no link
        // (issue 17: incidents are scoped to their conversation).
        if (!(await readableIncident(ports, id, who, where)))
          return replyTo({ ...result, message: Texts.refused.alreadyOpenElsewhere(vm) });
        // The id of the open incident, and its page when the server has a public address.
        const link = ports.publicUrl ? ` (${ports.publicUrl}/incidents/${id})` : '';
        return replyTo({ ...result, message: Texts.refused.alreadyOpen(vm, id, link) });
      }
      return replyTo(result);
    }
    case 'status':
    case 'history':
      return {
        kind: 'incidentList',
        ...(await listIncidents(ports.incidents, ports.policy, command, who.user, where)),
      };
    case 'transcript':
      return exportTranscript(ports, command.incidentId, who, where);
    case 'keep-repair':
    case 'swap-back':
      return answerRepairDecision(ports, command.kind, command.incidentId, who, where);
    case 'cancel':
    case 'undo': {
      // Not readable here: the engine's own answer for an id it does not know.
      if (!(await readableIncident(ports, command.incidentId, who, where)))
        return notFoundReply(command.incidentId);
      const asked = {
        incidentId: command.incidentId,
        user: who.user,
        from: { platform: where.platform, channel: where.channel },
      };
      return replyTo(
        await ports.engine.handle(
          command.kind === 'undo'
            ? { type: 'undo', ...asked, ...(command.step ? { step: command.step } : {}) }
            : { type: 'abort', ...asked, reason: `cancelled by ${who.user.name ?? who.user.id}` },
        ),
      );
    }
  }
}

/**
 * `keep-repair <id>` / `swap-back <id>`: the answer of the same name to the step the incident
 * waits on (the offline repair's last question), as if clicked on its card; refused when no
 * step waits for that answer.
 */
async function answerRepairDecision(
  ports: ConversationPorts,
  answer: 'keep-repair' | 'swap-back',
  incidentId: string,
  who: Asker,
  where: ChannelRef,
): Promise<Reply> {
  if (!(await readableIncident(ports, incidentId, who, where))) return notFoundReply(incidentId);
  const waiting = await findWaitingStep(ports, incidentId);
  if (waiting.state !== 'awaiting' || !waiting.answers?.includes(answer))
    return { kind: 'text', text: ChatTexts.noRepairDecision(incidentId, answer) };
  return replyTo(
    await ports.engine.handle({
      type: 'answer',
      incidentId,
      stepId: waiting.stepId,
      attempt: waiting.attempt,
      answer,
      user: who.user,
      from: { platform: where.platform, channel: where.channel },
    }),
  );
}

/** The incident's transcript as a Markdown file; in its own thread when asked from its channel. */
async function exportTranscript(
  ports: ConversationPorts,
  incidentId: string,
  who: Asker,
  where: ChannelRef,
): Promise<Reply> {
  const record = await readableIncident(ports, incidentId, who, where);
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

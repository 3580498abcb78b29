import type { Origin } from '../core/approval-policy';
import { commandForCard, type IncidentCommand } from '../engine/commands';
import { ChatTexts } from './chat-texts';
import type { Asker, Click } from './inputs';
import type { ConversationPorts } from './ports';
import { notFoundReply, readableIncident } from './readable-incident';
import type { Reply } from './replies';
import { replyTo } from './reply-to';

/**
 * Answers a press on a step card: approve, skip, abort or an answer go to the engine, which
 * checks where the press came from, who may decide and whether the card is still the one
 * waiting; "Show script" shows the step's script to the person who pressed it.
 */
export async function handleClick(
  ports: ConversationPorts,
  click: Click,
  who: Asker,
  where: Origin,
): Promise<Reply> {
  if (click.verb === 'forged') return { kind: 'text', text: ChatTexts.badButton };
  if (click.verb === 'showScript') return showScript(ports, click.incidentId, click.stepId, who, where);
  const { verb, incidentId, stepId, attempt } = click;
  const command: IncidentCommand = commandForCard({
    verb,
    incidentId,
    stepId,
    attempt,
    user: who.user,
    from: where,
    ...(click.answer ? { answer: click.answer } : {}),
    ...(click.scriptSha256 ? { scriptSha256: click.scriptSha256 } : {}),
  });
  if (command.type === 'approve' && click.params) command.params = click.params;
  if (command.type === 'abort' && click.reason) command.reason = click.reason;
  const result = await ports.engine.handle(command);
  // A card pressed where its incident may not be read (its data replayed from another
  // conversation): the engine refuses it and records the attempt (WRONG_CONVERSATION); the
  // person hears what an unknown id gets, no hint that the incident exists. Asked after the
  // command and only of a refusal, so that a press that goes through reads the incident once
  // (the engine's read): who may read it depends on its conversation, which never changes.
  if (!result.ok && !(await readableIncident(ports, incidentId, who, where)))
    return notFoundReply(incidentId);
  return replyTo(result);
}

/**
 * The step's script, in the incident's thread; a plain answer for steps that run none, and
 * for incidents the person may not read (as if there were none: no hint that it exists).
 */
async function showScript(
  ports: ConversationPorts,
  incidentId: string,
  stepId: string,
  who: Asker,
  where: Origin,
): Promise<Reply> {
  const record = await readableIncident(ports, incidentId, who, where);
  if (!record) return { kind: 'text', text: ChatTexts.noScript };
  const script = await ports.engine.scriptOf(incidentId, stepId);
  const thread = record.channel.thread;
  const inThread = thread ? { thread } : {};
  if (!script) return { kind: 'text', text: ChatTexts.noScript, ...inThread };
  return { kind: 'script', name: script.name, sha256: script.sha256, text: script.text, ...inThread };
}

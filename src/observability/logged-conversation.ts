import type { Conversation } from '../conversation/conversation';
import type { Asker, Click } from '../conversation/inputs';
import type { Reply } from '../conversation/replies';
import { ErrorCodes, isRdpFixError, messageOf } from '../core/errors';
import type { Logger } from '../core/logger';
import type { ParsedCommand } from '../core/parse-command';
import type { ChannelRef } from '../core/types';

/**
 * The conversation core with a log line for every command and click that was refused or
 * failed: its code, the incident and the person's command as they typed it. Refusals are
 * replies, not exceptions, so without this they reach only the person and a metric.
 */
export function loggedConversation(conversation: Conversation, logger: Logger): Conversation {
  const report = (reply: Reply, fields: Record<string, unknown>) => {
    if (reply.kind === 'refusal')
      logger.warn('command refused', { code: reply.code, reason: reply.text.en, ...fields });
    return reply;
  };
  const failed = (err: unknown, fields: Record<string, unknown>): never => {
    logger.error('command failed', {
      code: isRdpFixError(err) ? err.code : ErrorCodes.Unexpected,
      error: messageOf(err),
      ...fields,
    });
    throw err;
  };
  return {
    ...conversation,
    async handleChat(command, who, where) {
      const fields = chatFields(command, who, where);
      try {
        return report(await conversation.handleChat(command, who, where), fields);
      } catch (err) {
        return failed(err, fields);
      }
    },
    async handleClick(click, who, where) {
      const fields = clickFields(click, who);
      try {
        return report(await conversation.handleClick(click, who, where), fields);
      } catch (err) {
        return failed(err, fields);
      }
    },
  };
}

/** The command as the person would have typed it: `sim-vm --rg rg-sim --all`, `cancel <id>`. */
export function commandText(command: ParsedCommand): string {
  switch (command.kind) {
    case 'start':
      return [
        command.vmName,
        ...(command.resourceGroup ? ['--rg', command.resourceGroup] : []),
        ...(command.walkAll ? ['--all'] : []),
        ...(command.offline ? ['--offline'] : []),
      ].join(' ');
    case 'history':
      return command.vmName ? `history ${command.vmName}` : 'history';
    case 'transcript':
    case 'cancel':
    case 'keep-repair':
    case 'swap-back':
      return `${command.kind} ${command.incidentId}`;
    case 'invalid':
      return `(invalid: ${command.problem})`;
    default:
      return command.kind;
  }
}

function chatFields(command: ParsedCommand, who: Asker, where: ChannelRef): Record<string, unknown> {
  return {
    command: `/rdp-fix ${commandText(command)}`,
    user: who.user.id,
    channel: where.platform,
    ...('incidentId' in command ? { incident: command.incidentId } : {}),
  };
}

function clickFields(click: Click, who: Asker): Record<string, unknown> {
  if (click.verb === 'forged') return { command: 'click (not a card rdp-fix made)', user: who.user.id };
  return {
    command: `${click.verb} ${click.stepId}${click.answer ? ` ${click.answer}` : ''} (attempt ${click.attempt})`,
    user: who.user.id,
    incident: click.incidentId,
  };
}

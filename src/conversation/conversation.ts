import type { Origin } from '../core/approval-policy';
import type { ParsedCommand } from '../core/parse-command';
import type { ChannelRef } from '../core/types';
import { findWaitingStep, type WaitingStep } from './find-waiting-step';
import { handleChat } from './handle-chat';
import { handleClick } from './handle-click';
import type { Asker, Click } from './inputs';
import type { ConversationPorts } from './ports';
import type { Reply } from './replies';

/**
 * The conversation core: every chat command and card click, and every rule about who may
 * see or do what, once for all channels. Channels decode their payloads into its inputs
 * and render its replies.
 */
export interface Conversation {
  /** A `/rdp-fix …` command, parsed by the channel. */
  handleChat(command: ParsedCommand, who: Asker, where: ChannelRef): Promise<Reply>;
  /**
   * A press on a step card, in `where`: the platform and conversation the channel decoded
   * from the verified payload (a decision counts only in the incident's own conversation).
   */
  handleClick(click: Click, who: Asker, where: Origin): Promise<Reply>;
  /** Where the incident's thread lives, once the channel has posted its root message. */
  rememberThread(incidentId: string, thread: string): Promise<void>;
  /** The step an incident waits on a person for (the terminal asks before each prompt). */
  findWaitingStep(incidentId: string): Promise<WaitingStep>;
}

export function createConversation(ports: ConversationPorts): Conversation {
  return {
    handleChat: (command, who, where) => handleChat(ports, command, who, where),
    handleClick: (click, who, where) => handleClick(ports, click, who, where),
    rememberThread: (incidentId, thread) => ports.threads.setThread(incidentId, thread),
    findWaitingStep: (incidentId) => findWaitingStep(ports, incidentId),
  };
}

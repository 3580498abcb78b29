import type { Conversation } from '../conversation/conversation';
import type { MessageRefStore } from './message-refs';

/** What every chat channel is given: the conversation core, and where to keep its message handles. */
export interface ChannelDeps {
  conversation: Conversation;
  refs: MessageRefStore;
}

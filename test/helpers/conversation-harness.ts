import { type Conversation, createConversation } from '../../src/conversation/conversation';
import type { Asker } from '../../src/conversation/inputs';
import type { VmResolver } from '../../src/conversation/ports';
import type { ChannelRef } from '../../src/core/types';
import { alice, bob, type Harness, makeHarness, mallory, twoPersonPolicy } from './engine-harness';

export interface ConversationHarness extends Harness {
  conversation: Conversation;
}

/**
 * The conversation core over a real engine and an in-memory store (engine-harness), with the
 * simulator resolving VM names unless `vms` stands in for it.
 */
export function makeConversation(options: { vms?: VmResolver } = {}): ConversationHarness {
  const h = makeHarness();
  const conversation = createConversation({
    engine: h.engine,
    vms: options.vms ?? h.vm,
    incidents: h.store,
    threads: h.store,
    policy: twoPersonPolicy,
  });
  return { ...h, conversation };
}

export const asAlice: Asker = { user: alice, locale: 'en' };
export const asBob: Asker = { user: bob, locale: 'en' };
export const asMallory: Asker = { user: mallory, locale: 'en' };
export const opsChannel: ChannelRef = { platform: 'slack', channel: 'C_OPS' };
export const otherChannel: ChannelRef = { platform: 'slack', channel: 'C_OTHER' };

/** Starts an incident for `vmName` in `where` through the conversation, and waits for its first card. */
export async function openThrough(
  h: ConversationHarness,
  vmName: string,
  where: ChannelRef = opsChannel,
): Promise<string> {
  const reply = await h.conversation.handleChat({ kind: 'start', vmName, walkAll: false }, asAlice, where);
  if (reply.kind !== 'opened') throw new Error(`not opened: ${JSON.stringify(reply)}`);
  await h.engine.idle();
  return reply.incidentId;
}

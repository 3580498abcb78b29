import type { ChatPostMessageArguments, WebClient } from '@slack/web-api';
import type { Delivery } from '../../engine/messages';

/**
 * The message metadata event type that tags each post with its outbox row. Slack keeps
 * `metadata: {event_type, event_payload}` on the message (payload values: strings, numbers,
 * booleans — @slack/types message-metadata.ts) and returns it from conversations.replies /
 * conversations.history with `include_all_metadata=true` (api.slack.com/methods/conversations.replies).
 */
export const OutboxEventType = 'rdpfix_outbox';

/** How far back a re-send check looks: an incident's thread holds a few dozen messages. */
const LookBack = 200;

/**
 * Posts a delivery's message once. Each post carries its outbox id; when the outbox says
 * another process may already have had it accepted (it died between Slack's answer and the
 * mark), the thread is read first and a message found there is not posted again.
 * Returns the message's ts.
 */
export async function postOnce(
  client: WebClient,
  delivery: Delivery,
  args: ChatPostMessageArguments,
): Promise<string | undefined> {
  const { outboxId } = delivery;
  if (outboxId === undefined) return (await client.chat.postMessage(args)).ts;
  if (delivery.maybeSent) {
    const found = await findPosted(client, args.channel, args.thread_ts, outboxId);
    if (found) return found;
  }
  const tagged = {
    ...args,
    metadata: {
      event_type: OutboxEventType,
      event_payload: { outbox_id: outboxId, incident: delivery.incidentId },
    },
  } as ChatPostMessageArguments;
  return (await client.chat.postMessage(tagged)).ts;
}

async function findPosted(
  client: WebClient,
  channel: string,
  thread: string | undefined,
  outboxId: number,
): Promise<string | undefined> {
  const page = thread
    ? await client.conversations.replies({ channel, ts: thread, include_all_metadata: true, limit: LookBack })
    : await client.conversations.history({ channel, include_all_metadata: true, limit: LookBack });
  return page.messages?.find((m) => {
    const payload = m.metadata?.event_payload as Record<string, unknown> | undefined;
    return m.metadata?.event_type === OutboxEventType && payload?.outbox_id === outboxId;
  })?.ts;
}

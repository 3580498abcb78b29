import type { KnownBlock } from '@slack/types';
import type { WebClient } from '@slack/web-api';
import { ChatTexts } from '../../conversation/chat-texts';
import type { Locale } from '../../core/types';
import type { Delivery } from '../../engine/messages';
import { type MessageRefStore, openPlatformRefs } from '../message-refs';
import { textBlocks } from './escape-slack';
import { postOnce } from './post-once';
import { type Block, renderCard, renderClosedCard, renderProgress, renderText } from './render-blocks';

export interface SlackSinkDeps {
  client: WebClient;
  refs: MessageRefStore;
  /** Records the thread the root message started (the conversation's `rememberThread`). */
  rememberThread(incidentId: string, thread: string): Promise<void>;
  userLocale(userId: string): Promise<Locale>;
  ephemeral(channel: string, user: string, text: string, thread?: string): Promise<unknown>;
  publicUrl: string | undefined;
}

/**
 * Engine messages into Slack: the root message starts the incident's thread, everything
 * else goes into it; cards and progress lines are updated in place. Every message carries
 * its text as verbatim mrkdwn blocks (escape-slack.ts): the top-level `text` is the fallback.
 */
export function createSlackSink(deps: SlackSinkDeps): (d: Delivery) => Promise<void> {
  const { client, ephemeral } = deps;
  const threads = new Map<string, string>();
  const refsThrough = openPlatformRefs<{ ts: string; blocks: Block[] }>('slack');

  return async function sink(d: Delivery): Promise<void> {
    if (d.channel.platform !== 'slack') return;
    const m = d.message;
    const channel = d.channel.channel;
    const thread = threads.get(d.incidentId) ?? d.channel.thread;
    const inThread = thread ? { thread_ts: thread } : {};
    const locale = d.locale;
    const { cards, progress } = refsThrough(d.refs ?? deps.refs);
    switch (m.kind) {
      case 'opened': {
        const text = renderText(m, locale);
        const ts = await postOnce(client, d, { channel, text, blocks: asKnown(textBlocks(text)) });
        if (ts) {
          threads.set(d.incidentId, ts);
          await deps.rememberThread(d.incidentId, ts);
        }
        return;
      }
      case 'stepCard': {
        const blocks = renderCard(m, d.incidentId, locale);
        const ts = await postOnce(client, d, {
          channel,
          ...inThread,
          text: renderText(m, locale),
          blocks: asKnown(blocks),
        });
        if (ts) await cards.set(m.key, { ts, blocks });
        return;
      }
      case 'cardClosed': {
        const card = await cards.get(m.key);
        if (!card) return;
        await client.chat.update({
          channel,
          ts: card.ts,
          text: renderText(m, locale),
          blocks: asKnown(renderClosedCard(card.blocks, m.text[locale])),
        });
        return;
      }
      case 'progress': {
        const text = renderText(m, locale);
        const blocks = asKnown(renderProgress(m, d.incidentId, locale));
        await progress.show(
          m.key,
          m.done,
          () => postOnce(client, d, { channel, ...inThread, text, blocks }),
          (ts) => client.chat.update({ channel, ts, text, blocks }),
          m.unposted,
        );
        return;
      }
      case 'refusal':
        await ephemeral(channel, m.to.id, renderText(m, await deps.userLocale(m.to.id)), thread);
        return;
      case 'summary': {
        const link = deps.publicUrl
          ? `\n<${deps.publicUrl}/incidents/${d.incidentId}|${ChatTexts.transcript[locale]}>`
          : '';
        const text = renderText(m, locale) + link;
        // The summary also shows in the channel, under the thread's root message.
        const blocks = asKnown(textBlocks(text));
        if (thread)
          await postOnce(client, d, { channel, thread_ts: thread, text, blocks, reply_broadcast: true });
        else await postOnce(client, d, { channel, text, blocks });
        return;
      }
      default: {
        const text = renderText(m, locale);
        await postOnce(client, d, { channel, ...inThread, text, blocks: asKnown(textBlocks(text)) });
      }
    }
  };
}

/** Our renderer builds Block Kit JSON by hand; the Web API types want their own union. */
function asKnown(blocks: Block[]): KnownBlock[] {
  return blocks as unknown as KnownBlock[];
}

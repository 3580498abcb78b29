import type { IncomingMessage, ServerResponse } from 'node:http';
import { App, ExpressReceiver, LogLevel, SocketModeReceiver } from '@slack/bolt';
import type { KnownBlock } from '@slack/types';
import type { WebClient } from '@slack/web-api';
import { z } from 'zod';
import { ErrorCodes } from '../../core/errors';
import type { Logger } from '../../core/logger';
import { parseCommand } from '../../core/parse-command';
import { type Locale, toLocale, type User } from '../../core/types';
import { type CardVerb, type CommandResult, commandForCard } from '../../engine/commands';
import type { Delivery } from '../../engine/messages';
import { openIncident } from '../../engine/open-incident';
import type { Runtime } from '../../runtime';
import { ChannelTexts } from '../channel-texts';
import { listIncidents } from '../list-incidents';
import { MessageRefs } from '../message-refs';
import { UpdatableMessages } from '../updatable-messages';
import { postOnce } from './post-once';
import {
  ActionIds,
  type Block,
  escapeSlack,
  renderCard,
  renderClosedCard,
  renderText,
} from './render-blocks';

export interface SlackOptions {
  signingSecret: string;
  botToken: string;
  /** The Web API base URL (tests point it at a local fake). */
  apiUrl: string | undefined;
  /** Socket Mode instead of HTTP when set. */
  appToken: string | undefined;
  defaultLocale: Locale;
  /** Where the transcript pages are served, for links. */
  publicUrl: string | undefined;
  /** Web API retries: Slack's 429 Retry-After is honoured by the client. */
  retries?: number;
}

export interface SlackChannel {
  /** Handles `POST /slack/events` (slash commands and interactivity), signature checked by Bolt. */
  handle(req: IncomingMessage, res: ServerResponse): void;
  sink(delivery: Delivery): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

const buttonValue = z.object({
  i: z.string().max(64),
  s: z.string().max(64),
  a: z.number().int().min(1).max(10_000),
  x: z.string().max(64).optional(),
});

/**
 * The Slack channel: translates Bolt payloads into engine commands and engine messages into
 * Block Kit. It decides nothing about the incident itself.
 */
export function createSlackChannel(runtime: Runtime, options: SlackOptions, logger: Logger): SlackChannel {
  const slackApiUrl = options.apiUrl
    ? { slackApiUrl: options.apiUrl.endsWith('/') ? options.apiUrl : `${options.apiUrl}/` }
    : {};
  const receiver = options.appToken
    ? undefined
    : new ExpressReceiver({
        signingSecret: options.signingSecret,
        endpoints: '/slack/events',
        logLevel: LogLevel.ERROR,
      });
  // Socket Mode: the app connects out to Slack (apps.connections.open, then a WebSocket)
  // instead of serving /slack/events. Built here rather than by Bolt for two reasons:
  // - its client's WebClient, which calls apps.connections.open on every (re)connect, gets the
  //   API URL only. Bolt would hand it the clientOptions below, whose two retries made it stop
  //   reconnecting for good after three failed calls in a row (Slack briefly unreachable during
  //   a connection refresh), leaving the app deaf to Slack while it looked healthy; on its own
  //   it keeps the SDK's reconnect retries (100, factor 1.3);
  // - stop() can wait for the socket to close: Bolt's receiver.stop() does not.
  // Both tested in test/channels/slack/slack-socket-mode.test.ts.
  const socketMode = options.appToken
    ? new SocketModeReceiver({
        appToken: options.appToken,
        logLevel: LogLevel.ERROR,
        installerOptions: { clientOptions: slackApiUrl },
      })
    : undefined;
  const app = new App({
    token: options.botToken,
    receiver: receiver ?? socketMode,
    logLevel: LogLevel.ERROR,
    // The error handler gets the request too: the person is told, not only the log.
    extendedErrorHandler: true,
    // No auth.test at start-up: the server must start even while Slack is unreachable.
    tokenVerificationEnabled: false,
    // Initialised in start(), awaited, so that no request arrives before the routes exist.
    deferInitialization: true,
    clientOptions: {
      ...slackApiUrl,
      // Few retries here: a message that still fails goes back to the outbox, which retries it later in order.
      retryConfig: { retries: options.retries ?? 2, factor: 2, minTimeout: 500, maxTimeout: 10_000 },
    },
  });
  const client: WebClient = app.client;
  const threads = new Map<string, string>();
  const cards = new MessageRefs<{ ts: string; blocks: Block[] }>(runtime.store, 'slack:card');
  const progress = new UpdatableMessages(new MessageRefs(runtime.store, 'slack:progress'));
  const locales = new Map<string, Locale>();

  /** The user's Slack locale (users.info), cached; the configured default when unknown. */
  async function userLocale(userId: string): Promise<Locale> {
    const known = locales.get(userId);
    if (known) return known;
    try {
      const info = await client.users.info({ user: userId, include_locale: true });
      const locale = toLocale(info.user?.locale, options.defaultLocale);
      locales.set(userId, locale);
      return locale;
    } catch (err) {
      logger.warn('slack users.info failed; using the default locale', { error: String(err) });
      return options.defaultLocale;
    }
  }

  const ephemeral = (channel: string, user: string, text: string, thread?: string) =>
    client.chat.postEphemeral({ channel, user, text, ...(thread ? { thread_ts: thread } : {}) });

  // A command or click that failed after its ack (database unreachable, an unexpected
  // error): logged, and said to the person who sent it.
  app.error(async ({ error, body }: { error: Error; body: unknown }) => {
    logger.error('slack request failed', { error: error instanceof Error ? error.message : String(error) });
    const b = body as {
      user_id?: string;
      channel_id?: string;
      user?: { id?: string };
      channel?: { id?: string };
    };
    const user = b.user_id ?? b.user?.id;
    const channel = b.channel_id ?? b.channel?.id;
    if (!user || !channel) return;
    const locale = await userLocale(user);
    await ephemeral(channel, user, ChannelTexts.failed[locale]).catch(() => undefined);
  });

  app.command('/rdp-fix', async ({ command, ack }) => {
    const parsed = parseCommand(command.text ?? '');
    if (parsed.kind === 'help' || parsed.kind === 'invalid') {
      // The answer goes in the ack itself, in the person's language (one users.info, then cached).
      const locale = await userLocale(command.user_id);
      const problem = parsed.kind === 'invalid' ? `${escapeSlack(parsed.problem)}\n` : '';
      return ack({ response_type: 'ephemeral', text: problem + ChannelTexts.help[locale] });
    }
    await ackFirst(ack);
    const locale = await userLocale(command.user_id);
    const user: User = { id: command.user_id, name: command.user_name };
    const channel = command.channel_id;
    switch (parsed.kind) {
      case 'start': {
        const result = await openIncident(runtime.engine, runtime.vm, {
          vmName: parsed.vmName,
          ...(parsed.resourceGroup ? { resourceGroup: parsed.resourceGroup } : {}),
          requester: user,
          channel: { platform: 'slack', channel },
          locale,
          walkAll: parsed.walkAll,
        });
        if (!result.ok) {
          // A word that is no VM may be a mistyped subcommand: show the help with it.
          const help = result.code === ErrorCodes.VmNotFound ? `\n${ChannelTexts.help[locale]}` : '';
          await ephemeral(channel, user.id, escapeSlack(result.message[locale]) + help);
        }
        return;
      }
      case 'status':
      case 'history': {
        const { records, empty } = await listIncidents(runtime.store, parsed, channel);
        await ephemeral(channel, user.id, listText(records, empty[locale], options.publicUrl));
        return;
      }
      case 'transcript': {
        const record = await runtime.store.get(parsed.incidentId);
        if (!record)
          return void (await ephemeral(channel, user.id, ChannelTexts.notFound(parsed.incidentId)[locale]));
        const { buildExport, renderMarkdown } = await import('../../transcripts/render-transcript');
        const file = {
          filename: `rdp-fix-${record.id}.md`,
          title: `rdp-fix incident ${record.id}`,
          content: renderMarkdown(buildExport(record, await runtime.store.transcript(record.id))),
          ...(options.publicUrl ? { initial_comment: `${options.publicUrl}/incidents/${record.id}` } : {}),
        };
        // The Web API's external upload flow (getUploadURLExternal, upload, completeUploadExternal).
        const sameThread =
          record.channel.platform === 'slack' && record.channel.channel === channel
            ? record.channel.thread
            : undefined;
        if (sameThread) await client.filesUploadV2({ ...file, channel_id: channel, thread_ts: sameThread });
        else await client.filesUploadV2({ ...file, channel_id: channel });
        return;
      }
      case 'cancel': {
        const result = await runtime.engine.handle({
          type: 'abort',
          incidentId: parsed.incidentId,
          user,
          reason: `cancelled by ${user.name ?? user.id}`,
        });
        await reportIfUnseen(result, channel, user.id, locale);
        return;
      }
    }
  });

  app.action(/^rdpfix_/, async ({ ack, body, action }) => {
    await ackFirst(ack);
    if (body.type !== 'block_actions' || action.type !== 'button') return;
    const channel = body.channel?.id ?? body.container?.channel_id;
    if (!channel) return;
    const user: User = { id: body.user.id, name: body.user.username ?? body.user.name ?? body.user.id };
    const locale = await userLocale(user.id);
    let value: z.infer<typeof buttonValue>;
    try {
      value = buttonValue.parse(JSON.parse(action.value ?? ''));
    } catch {
      // A forged or stale button value: say so, change nothing.
      await ephemeral(channel, user.id, ChannelTexts.badButton[locale]);
      return;
    }
    const id = 'action_id' in action ? action.action_id : '';
    if (id === ActionIds.showScript) {
      await showScript(channel, user.id, value, locale);
      return;
    }
    const verb: CardVerb | undefined =
      id === ActionIds.approve
        ? 'approve'
        : id === ActionIds.skip
          ? 'skip'
          : id === ActionIds.abort
            ? 'abort'
            : id.startsWith(ActionIds.answer) && value.x
              ? 'answer'
              : undefined;
    if (!verb) return;
    const click = {
      verb,
      incidentId: value.i,
      stepId: value.s,
      attempt: value.a,
      user,
      ...(value.x ? { answer: value.x } : {}),
    };
    const result = await runtime.engine.handle(commandForCard(click));
    await reportIfUnseen(result, channel, user.id, locale);
  });

  /**
   * Acks, then yields to the event loop so that the ack leaves before any work: otherwise
   * the engine's transition, all microtasks, would run before the response is written.
   */
  async function ackFirst(ack: () => Promise<void>): Promise<void> {
    await ack();
    await new Promise((resolve) => setImmediate(resolve));
  }

  /** Refusals about an existing incident come back through the sink; the rest are said here. */
  async function reportIfUnseen(result: CommandResult, channel: string, user: string, locale: Locale) {
    if (result.ok) return;
    if (result.code === ErrorCodes.IncidentNotFound || result.code === ErrorCodes.IncidentClosed) {
      await ephemeral(channel, user, escapeSlack(result.message[locale]));
    }
  }

  async function showScript(
    channel: string,
    user: string,
    value: z.infer<typeof buttonValue>,
    locale: Locale,
  ) {
    const script = await runtime.engine.scriptOf(value.i, value.s);
    const thread = (await runtime.store.get(value.i))?.channel.thread;
    const text = script
      ? `*${escapeSlack(script.name)}* (sha256 ${script.sha256.slice(0, 12)})\n\`\`\`${escapeSlack(script.text.slice(0, 2800))}\`\`\``
      : ChannelTexts.noScript[locale];
    await ephemeral(channel, user, text, thread);
  }

  async function sink(d: Delivery): Promise<void> {
    if (d.channel.platform !== 'slack') return;
    const m = d.message;
    const channel = d.channel.channel;
    const thread = threads.get(d.incidentId) ?? d.channel.thread;
    const inThread = thread ? { thread_ts: thread } : {};
    const locale = d.locale;
    switch (m.kind) {
      case 'opened': {
        const ts = await postOnce(client, d, { channel, text: renderText(m, locale) });
        if (ts) {
          threads.set(d.incidentId, ts);
          await runtime.store.setThread(d.incidentId, ts);
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
        await progress.show(
          m.key,
          m.done,
          () => postOnce(client, d, { channel, ...inThread, text }),
          (ts) => client.chat.update({ channel, ts, text }),
        );
        return;
      }
      case 'refusal':
        await ephemeral(channel, m.to.id, renderText(m, await userLocale(m.to.id)), thread);
        return;
      case 'summary': {
        const link = options.publicUrl
          ? `\n<${options.publicUrl}/incidents/${d.incidentId}|${ChannelTexts.transcript[locale]}>`
          : '';
        const text = renderText(m, locale) + link;
        // The summary also shows in the channel, under the thread's root message.
        if (thread) await postOnce(client, d, { channel, thread_ts: thread, text, reply_broadcast: true });
        else await postOnce(client, d, { channel, text });
        return;
      }
      default:
        await postOnce(client, d, { channel, ...inThread, text: renderText(m, locale) });
    }
  }

  return {
    handle(req, res) {
      if (!receiver) {
        res.writeHead(404).end();
        return;
      }
      // Express needs the raw request; Bolt verifies the signature and acks within 3 s.
      (receiver.app as unknown as (q: IncomingMessage, s: ServerResponse) => void)(req, res);
    },
    sink,
    async start() {
      await app.init();
      // Resolves once Slack's `hello` arrived on the socket.
      if (socketMode) await app.start();
    },
    async stop() {
      // Ends the session (no reconnect after this) and waits for the close handshake.
      if (socketMode) await socketMode.client.disconnect();
    },
  };
}

/** Our renderer builds Block Kit JSON by hand; the Web API types want their own union. */
function asKnown(blocks: Block[]): KnownBlock[] {
  return blocks as unknown as KnownBlock[];
}

function listText(
  records: {
    id: string;
    vm: { resourceGroup: string; name: string };
    status: string;
    outcome: string | null;
    state: string;
    createdAt: string;
  }[],
  empty: string,
  publicUrl: string | undefined,
): string {
  if (records.length === 0) return empty;
  return records
    .map((r) => {
      const id = publicUrl ? `<${publicUrl}/incidents/${r.id}|${r.id}>` : `\`${r.id}\``;
      return `• ${id} ${escapeSlack(`${r.vm.resourceGroup}/${r.vm.name}`)} — ${r.outcome ?? r.state} (${r.createdAt.slice(0, 16)})`;
    })
    .join('\n');
}

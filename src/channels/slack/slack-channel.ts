import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { App, ExpressReceiver, LogLevel, SocketModeReceiver } from '@slack/bolt';
import { WebClient } from '@slack/web-api';
import { ChatTexts } from '../../conversation/chat-texts';
import { messageOf } from '../../core/errors';
import type { Logger } from '../../core/logger';
import { type Locale, toLocale } from '../../core/types';
import { BackgroundWork } from '../../engine/background-work';
import type { Delivery } from '../../engine/messages';
import type { ChannelDeps } from '../channel-deps';
import { decodeBlockAction, decodeSlashCommand } from './decode-slack';
import { textBlocks } from './escape-slack';
import { helpText, type ReplyTarget, sayReply } from './say-reply';
import { createSlackSink } from './slack-sink';
import { isFutureSlackTimestamp } from './slack-timestamp';

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
  /**
   * Stops taking Socket Mode events and waits, up to `graceMs`, for the work that follows the
   * acks already sent (the command's answer, the reply to the person): a reply in flight is
   * delivered, not cut off mid-retry by the process ending.
   */
  stop(graceMs?: number): Promise<void>;
}

/**
 * The Slack channel: decodes Bolt payloads into the conversation's inputs and renders its
 * replies and the engine's messages as Block Kit. It decides nothing about the incident itself.
 */
export function createSlackChannel(deps: ChannelDeps, options: SlackOptions, logger: Logger): SlackChannel {
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
  const clientOptions = {
    ...slackApiUrl,
    // Few retries here: a message that still fails goes back to the outbox, which retries it later in order.
    retryConfig: { retries: options.retries ?? 2, factor: 2, minTimeout: 500, maxTimeout: 10_000 },
  };
  const app = new App({
    receiver: receiver ?? socketMode,
    logLevel: LogLevel.ERROR,
    // The error handler gets the request too: the person is told, not only the log.
    extendedErrorHandler: true,
    // The bot token, with nothing to look up before a request's listener runs. Given as
    // `token` without `botId`/`botUserId` and without token verification (the server must
    // start while Slack is unreachable), Bolt 5.1 calls auth.test on every request before
    // the listener, so before the ack (App.js singleAuthorization re-runs it on each call):
    // a Web API round trip in front of each ack (issue 20). This app reads neither id.
    authorize: async () => ({ botToken: options.botToken }),
    // No conversation state is kept in Bolt: one middleware less in front of the ack.
    convoStore: false,
    // Initialised in start(), awaited, so that no request arrives before the routes exist.
    deferInitialization: true,
    clientOptions,
  });
  // The app's own Web API client with the bot token (Bolt's `app.client` has none with `authorize`).
  const client = new WebClient(options.botToken, { ...clientOptions, logLevel: LogLevel.ERROR });
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
      logger.warn('slack users.info failed; using the default locale', { error: messageOf(err) });
      return options.defaultLocale;
    }
  }

  const ephemeral = (channel: string, user: string, text: string, thread?: string) =>
    client.chat.postEphemeral({
      channel,
      user,
      text,
      blocks: textBlocks(text) as never, // verbatim mrkdwn (escape-slack.ts); hand-built Block Kit JSON
      ...(thread ? { thread_ts: thread } : {}),
    });
  const replyTarget = async (channel: string, user: string): Promise<ReplyTarget> => ({
    client,
    channel,
    user,
    locale: await userLocale(user),
    publicUrl: options.publicUrl,
    ephemeral,
  });

  // A command or click that failed after its ack (database unreachable, an unexpected
  // error): logged, and said to the person who sent it.
  app.error(({ error, body }: { error: Error; body: unknown }) => kept(() => sayFailed(error, body)));

  async function sayFailed(error: Error, body: unknown): Promise<void> {
    logger.error('slack request failed', { error: messageOf(error) });
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
    await ephemeral(channel, user, ChatTexts.failed[locale]).catch(() => undefined);
  }

  // Each listener is kept from its start (the request still open), so that it is in `listening`
  // before the HTTP server can finish closing, and stop() waits for it.
  app.command('/rdp-fix', ({ command: body, ack }) =>
    kept(async () => {
      const { command, user, where } = decodeSlashCommand(body);
      if (command.kind === 'help' || command.kind === 'invalid') {
        // The answer goes in the ack itself, in the person's language (one users.info, then cached).
        const locale = await userLocale(user.id);
        const problem = command.kind === 'invalid' ? command.problem : undefined;
        const text = helpText(problem, locale);
        return ack({ response_type: 'ephemeral', text, blocks: textBlocks(text) as never });
      }
      await ackFirst(ack);
      const to = await replyTarget(where.channel, user.id);
      await sayReply(await deps.conversation.handleChat(command, { user, locale: to.locale }, where), to);
    }),
  );

  app.action(/^rdpfix_/, ({ ack, body, action }) =>
    kept(async () => {
      await ackFirst(ack);
      const decoded = decodeBlockAction(body, action);
      if (!decoded) return;
      const to = await replyTarget(decoded.channel, decoded.user.id);
      await sayReply(
        // The signed payload's channel: a decision counts only in the incident's own channel.
        await deps.conversation.handleClick(
          decoded.click,
          { user: decoded.user, locale: to.locale },
          { platform: 'slack', channel: decoded.channel },
        ),
        to,
      );
    }),
  );

  /**
   * Acks, then yields to the event loop so that the ack leaves before any work: otherwise
   * the engine's transition, all microtasks, would run before the response is written.
   */
  async function ackFirst(ack: () => Promise<void>): Promise<void> {
    await ack();
    await new Promise((resolve) => setImmediate(resolve));
  }

  /**
   * A listener's work, kept until it ends so that stop() can wait for what follows the ack:
   * Slack has its answer already and will not send the request again. Its failure still
   * reaches Bolt (app.error), whose reply is kept the same way; the kept copy reports nothing.
   */
  const listening = new BackgroundWork(() => {});
  function kept(work: () => Promise<void>): Promise<void> {
    const running = work();
    listening.track(running);
    return running;
  }

  const sink = createSlackSink({
    client,
    refs: deps.refs,
    rememberThread: (incidentId, thread) => deps.conversation.rememberThread(incidentId, thread),
    userLocale,
    ephemeral,
    publicUrl: options.publicUrl,
  });

  return {
    handle(req, res) {
      if (!receiver) {
        res.writeHead(404).end();
        return;
      }
      if (isFutureSlackTimestamp(req.headers['x-slack-request-timestamp'], Date.now())) {
        res.writeHead(401).end();
        req.resume();
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
    async stop(graceMs = 0) {
      // Ends the session (no reconnect after this) and waits for the close handshake.
      if (socketMode) await socketMode.client.disconnect();
      // Again while work remains: a failed reply starts its own ("something failed") when it ends.
      const deadline = Date.now() + graceMs;
      while (listening.size > 0 && Date.now() < deadline) {
        // An unref'd timer: it never keeps a stopped process alive.
        await Promise.race([listening.settled(), sleep(deadline - Date.now(), undefined, { ref: false })]);
        // Bolt calls app.error some microtasks after a listener failed: let it start its reply.
        await new Promise((resolve) => setImmediate(resolve));
      }
      if (listening.size > 0)
        logger.warn('slack: stopping with replies still being sent', { replies: listening.size });
    },
  };
}

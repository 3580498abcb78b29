import type { IncomingMessage, ServerResponse } from 'node:http';
import { Activity } from '@microsoft/agents-activity';
import {
  type AuthConfiguration,
  authorizeJWT,
  CloudAdapter,
  getAuthConfigWithDefaults,
  type TurnContext,
} from '@microsoft/agents-hosting';
import type { Logger } from '../../core/logger';
import { isLoopbackHost } from '../../core/loopback';
import type { Locale } from '../../core/types';
import type { Delivery } from '../../engine/messages';
import type { ChannelDeps } from '../channel-deps';
import { openPlatformRefs } from '../message-refs';
import { decodeTeamsActivity } from './decode-teams';
import {
  type AdaptiveCard,
  renderAdaptiveCard,
  renderClosedAdaptiveCard,
  renderTeamsText,
} from './render-cards';
import { replyText } from './reply-text';
import { toWebResponse } from './web-response';

export interface TeamsOptions {
  /** The Entra app registration of the bot; unset: no authentication (local mode and tests only). */
  clientId: string | undefined;
  clientSecret: string | undefined;
  tenantId: string | undefined;
  approverIds: readonly string[];
  defaultLocale: Locale;
}

export interface TeamsChannel {
  /** Handles `POST /api/messages`: Activities from the Bot Connector. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  sink(delivery: Delivery): Promise<void>;
}

const MaxBody = 256 * 1024;

/**
 * The Teams channel on the Microsoft 365 Agents SDK: Activities in (messages with an
 * @mention, `adaptiveCard/action` invokes) decoded for the conversation, its replies out; engine messages back as
 * replies in the reply chain and Adaptive Cards, proactively through the stored
 * conversation reference (so it works after a restart too).
 */
export function createTeamsChannel(deps: ChannelDeps, options: TeamsOptions, logger: Logger): TeamsChannel {
  const auth: AuthConfiguration = getAuthConfigWithDefaults(
    options.clientId
      ? {
          clientId: options.clientId,
          ...(options.clientSecret ? { clientSecret: options.clientSecret } : {}),
          ...(options.tenantId ? { tenantId: options.tenantId } : {}),
        }
      : {},
  );
  if (!options.clientId)
    logger.warn(
      'teams: no clientId configured, so requests are not authenticated (local use and tests only)',
    );
  const adapter = new CloudAdapter(auth);
  const checkJwt = authorizeJWT(auth);
  const { cards, progress } = openPlatformRefs<{ id: string; card: AdaptiveCard }>(deps.refs, 'teams');
  // Proactive sends: the app's identity, or an anonymous one when no app is configured.
  const identity = options.clientId ?? {};

  async function onTurn(ctx: TurnContext): Promise<void> {
    const input = decodeTeamsActivity(ctx.activity, options.defaultLocale);
    const { who } = input;
    switch (input.kind) {
      case 'ignore':
        return;
      case 'chat': {
        const reply = await deps.conversation.handleChat(input.command, who, input.where);
        // An accepted command is answered by the engine's own messages.
        const text = reply.kind === 'done' ? undefined : replyText(reply, who.locale);
        if (text !== undefined) await ctx.sendActivity(text);
        return;
      }
      case 'click':
      case 'refresh': {
        const text =
          input.kind === 'click'
            ? (replyText(await deps.conversation.handleClick(input.click, who, input.where), who.locale) ??
              '')
            : '';
        if (input.via === 'message') return void (await ctx.sendActivity(text));
        const card = input.kind === 'refresh' ? (await cards.get(input.cardKey))?.card : undefined;
        await ctx.sendActivity(
          Activity.fromObject({
            type: 'invokeResponse',
            value: {
              status: 200,
              body: card
                ? { statusCode: 200, type: 'application/vnd.microsoft.card.adaptive', value: card }
                : { statusCode: 200, type: 'application/vnd.microsoft.activity.message', value: text },
            },
          }),
        );
        return;
      }
    }
  }

  async function sink(d: Delivery): Promise<void> {
    if (d.channel.platform !== 'teams' || !d.channel.reference) return;
    const m = d.message;
    // Refusals reach the person who clicked in the invoke response, not the whole channel.
    if (m.kind === 'refusal') return;
    const reference = d.channel.reference as unknown as Parameters<CloudAdapter['continueConversation']>[1];
    // The adapter turns an error inside the callback into an "error or bug" reply and does not
    // rethrow it: keep it, so that the outbox knows the message did not go and tries again.
    let failed: unknown;
    await adapter.continueConversation(identity as string, reference, async (ctx) => {
      try {
        await deliver(ctx);
      } catch (err) {
        failed = err;
      }
    });
    if (failed) throw failed;

    async function deliver(ctx: TurnContext): Promise<void> {
      switch (m.kind) {
        case 'stepCard': {
          const card = renderAdaptiveCard(m, d.incidentId, d.locale, options.approverIds);
          const sent = await ctx.sendActivity(
            Activity.fromObject({
              type: 'message',
              attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content: card }],
            }),
          );
          if (sent?.id) await cards.set(m.key, { id: sent.id, card });
          return;
        }
        case 'cardClosed': {
          const card = await cards.get(m.key);
          if (!card) return;
          await ctx.updateActivity(
            Activity.fromObject({
              type: 'message',
              id: card.id,
              attachments: [
                {
                  contentType: 'application/vnd.microsoft.card.adaptive',
                  content: renderClosedAdaptiveCard(card.card, m.text[d.locale]),
                },
              ],
            }),
          );
          return;
        }
        case 'progress': {
          const text = renderTeamsText(m, d.locale);
          await progress.show(
            m.key,
            m.done,
            () => ctx.sendActivity(text).then((r) => r?.id),
            (id) => ctx.updateActivity(Activity.fromObject({ type: 'message', id, text })),
          );
          return;
        }
        default:
          await ctx.sendActivity(renderTeamsText(m, d.locale));
      }
    }
  }

  return {
    async handle(req, res) {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of req) {
        size += (chunk as Buffer).length;
        if (size > MaxBody) {
          res.writeHead(413).end();
          return;
        }
        chunks.push(chunk as Buffer);
      }
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      } catch {
        res
          .writeHead(400, { 'content-type': 'application/json' })
          .end(JSON.stringify({ error: 'the body is not JSON' }));
        return;
      }
      const request = Object.assign(req, { body });
      const response = toWebResponse(res);
      // Node's IncomingMessage with the parsed body is the SDK's Request shape; its types are narrower.
      await checkJwt(request as never, response, async () => {
        await adapter.process(request as never, response, onTurn);
      });
    },
    sink,
  };
}

/**
 * Without an app id Teams requests are not authenticated, so anyone could claim to be an
 * approver: acceptable only when nobody but this machine can reach the server.
 */
export function teamsAllowed(
  config: { host: string; teams: { clientId: string | undefined } },
  env: Record<string, string | undefined> = process.env,
): boolean {
  // Unauthenticated only on loopback, and never with NODE_ENV=production: the Agents SDK
  // itself refuses to start without a client id there.
  return Boolean(config.teams.clientId) || (isLoopbackHost(config.host) && env.NODE_ENV !== 'production');
}

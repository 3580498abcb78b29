import type { IncomingMessage, ServerResponse } from 'node:http';
import { Activity } from '@microsoft/agents-activity';
import { authorizeJWT, CloudAdapter, type TurnContext } from '@microsoft/agents-hosting';
import type { Config } from '../../config';
import { ChatTexts } from '../../conversation/chat-texts';
import type { Logger } from '../../core/logger';
import { type Locale, toLocale } from '../../core/types';
import type { Delivery } from '../../engine/messages';
import { Texts } from '../../texts/catalogue';
import type { ChannelDeps } from '../channel-deps';
import { openPlatformRefs } from '../message-refs';
import { decodeTeamsActivity, isTeamsRequest } from './decode-teams';
import { escapeTeamsMarkdown as md } from './escape-teams';
import {
  type AdaptiveCard,
  renderAdaptiveCard,
  renderClosedAdaptiveCard,
  renderTeamsText,
  renderUndoCard,
} from './render-cards';
import { replyText } from './reply-text';
import { renderScriptCard } from './script-card';
import { serviceUrlPolicy } from './service-url-policy';
import { teamsAuthConfig } from './teams-auth';
import { type TeamsRefusal, TeamsRefusals, verifyTeamsIdentity } from './teams-identity';
import { toWebResponse } from './web-response';

export type TeamsOptions = Config['teams'] & {
  defaultLocale: Locale;
  /** Local mode: the simulator's fake Bot Connector may be on loopback. */
  allowLoopbackServiceUrl: boolean;
};

const RefusalTexts = {
  [TeamsRefusals.NotTeams]: Texts.teams.notTeams,
  [TeamsRefusals.NoUser]: Texts.teams.noUser,
  [TeamsRefusals.OtherTenant]: Texts.teams.otherTenant,
} satisfies Record<TeamsRefusal, unknown>;

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
  const auth = teamsAuthConfig(options);
  const policy = serviceUrlPolicy({
    extraHosts: options.serviceHosts,
    allowLoopback: options.allowLoopbackServiceUrl,
  });
  // The same policy guards every connector client the adapter makes, proactive ones included
  // (cloudAdapter.ts 366, `ensureOutboundServiceUrlAllowed`): a stored reference cannot point elsewhere.
  const adapter = new CloudAdapter(auth, undefined, undefined, undefined, policy);
  const checkJwt = authorizeJWT(auth);
  const refsThrough = openPlatformRefs<{ id: string; card: AdaptiveCard }>('teams');
  // The cards as kept in the store, for a refresh (outside any delivery).
  const { cards: storedCards } = refsThrough(deps.refs);
  // Proactive sends: the app's identity, or an anonymous one when no app is configured.
  const botIdentity = options.clientId ?? {};

  async function onTurn(ctx: TurnContext): Promise<void> {
    if (!isTeamsRequest(ctx.activity)) return;
    const identity = verifyTeamsIdentity(ctx.activity, options.tenantId);
    if (!identity.ok) return refuse(ctx, identity.refusal);
    const input = decodeTeamsActivity(ctx.activity, identity.user, options.defaultLocale);
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
        const reply =
          input.kind === 'click'
            ? await deps.conversation.handleClick(input.click, who, input.where)
            : undefined;
        if (reply?.kind === 'script') {
          // Too long for the little answer under the button: the script goes into the thread.
          const shown = renderScriptCard(reply, who.locale);
          await ctx.sendActivity('card' in shown ? cardActivity(shown.card) : md(shown.text));
          if (input.via === 'message') return;
          return answerInvoke(ctx, ChatTexts.scriptInThread[who.locale]);
        }
        const text = reply ? (replyText(reply, who.locale) ?? '') : '';
        if (input.via === 'message') return void (await ctx.sendActivity(text));
        // Teams asks a refresh for the users of `refresh.userIds` only: the Teams approvers, who
        // may see any incident. Anyone else naming a card key gets no card.
        const card =
          input.kind === 'refresh' && options.approverIds.includes(who.user.id)
            ? (await storedCards.get(input.cardKey))?.card
            : undefined;
        return answerInvoke(ctx, card ?? text);
      }
    }
  }

  /** An activity not acted on: said to the sender (in the invoke response for a click), logged, nothing stored. */
  async function refuse(ctx: TurnContext, refusal: TeamsRefusal): Promise<void> {
    const a = ctx.activity;
    logger.warn('teams activity refused', {
      reason: refusal,
      channelId: a.channelId,
      type: a.type,
      tenant: a.conversation?.tenantId,
      from: a.from?.id,
    });
    const text = RefusalTexts[refusal][toLocale(a.locale, options.defaultLocale)];
    if (a.type === 'invoke') return answerInvoke(ctx, text);
    await ctx.sendActivity(text);
  }

  /** The invoke response: a card (a refresh) or a text shown to the clicker only. */
  async function answerInvoke(ctx: TurnContext, answer: AdaptiveCard | string): Promise<void> {
    await ctx.sendActivity(
      Activity.fromObject({
        type: 'invokeResponse',
        value: {
          status: 200,
          body:
            typeof answer === 'string'
              ? { statusCode: 200, type: 'application/vnd.microsoft.activity.message', value: answer }
              : { statusCode: 200, type: 'application/vnd.microsoft.card.adaptive', value: answer },
        },
      }),
    );
  }

  function cardActivity(card: AdaptiveCard): Activity {
    return Activity.fromObject({
      type: 'message',
      attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content: card }],
    });
  }

  async function sink(d: Delivery): Promise<void> {
    if (d.channel.platform !== 'teams' || !d.channel.reference) return;
    const m = d.message;
    const { cards, progress } = refsThrough(d.refs ?? deps.refs);
    // Refusals reach the person who clicked in the invoke response, not the whole channel.
    if (m.kind === 'refusal') return;
    const reference = d.channel.reference as unknown as Parameters<CloudAdapter['continueConversation']>[1];
    // The adapter turns an error inside the callback into an "error or bug" reply and does not
    // rethrow it: keep it, so that the outbox knows the message did not go and tries again.
    let failed: unknown;
    await adapter.continueConversation(botIdentity as string, reference, async (ctx) => {
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
          // A result with an Undo button is the same text as a card (render-cards.ts renderUndoCard).
          const card = renderUndoCard(m, d.incidentId, d.locale);
          const activity = card
            ? {
                type: 'message',
                attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content: card }],
              }
            : { type: 'message', text: renderTeamsText(m, d.locale) };
          await progress.show(
            m.key,
            m.done,
            () => ctx.sendActivity(Activity.fromObject(activity)).then((r) => r?.id),
            (id) => ctx.updateActivity(Activity.fromObject({ ...activity, id })),
            m.unposted,
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
      // The middleware calls `next()` without awaiting it (src/auth/jwt-middleware.ts, end of
      // `authorizeJWT`): an error in an async `next` would be an unhandled rejection and the
      // request would never be answered. So `next` only notes the success; the work follows here.
      let authenticated = false;
      await checkJwt(request as never, response, () => {
        authenticated = true;
      });
      if (!authenticated) return;
      // Checked before the adapter, which would answer a bare 400 (serviceUrl) or fail on a
      // missing channelId: the sender and the log learn why. Nothing is stored.
      const refused =
        typeof body.channelId === 'string' && body.channelId
          ? policy.refusal(body.serviceUrl)
          : 'the activity has no channelId';
      if (refused) {
        logger.warn('teams activity refused', { reason: 'activity', detail: refused });
        res
          .writeHead(400, { 'content-type': 'application/json' })
          .end(JSON.stringify({ error: `refused: ${refused}` }));
        return;
      }
      await adapter.process(request as never, response, onTurn);
    },
    sink,
  };
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import { Activity } from '@microsoft/agents-activity';
import {
  type AuthConfiguration,
  authorizeJWT,
  CloudAdapter,
  getAuthConfigWithDefaults,
  type TurnContext,
} from '@microsoft/agents-hosting';
import { z } from 'zod';
import type { Logger } from '../../core/logger';
import { isLoopbackHost } from '../../core/loopback';
import { parseCommand } from '../../core/parse-command';
import { type Locale, toLocale, type User } from '../../core/types';
import { commandForCard } from '../../engine/commands';
import type { Delivery } from '../../engine/messages';
import { openIncident } from '../../engine/open-incident';
import type { Runtime } from '../../runtime';
import { ChannelTexts, plain } from '../channel-texts';
import { listIncidents } from '../list-incidents';
import { MessageRefs } from '../message-refs';
import { UpdatableMessages } from '../updatable-messages';
import {
  type AdaptiveCard,
  renderAdaptiveCard,
  renderClosedAdaptiveCard,
  renderTeamsText,
} from './render-cards';
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

const cardData = z.object({
  verb: z.enum(['approve', 'skip', 'abort', 'showScript', 'answer', 'refresh']),
  i: z.string().max(64),
  s: z.string().max(64),
  a: z.number().int().min(1).max(10_000),
  x: z.string().max(64).optional(),
});

const MaxBody = 256 * 1024;

/**
 * The Teams channel on the Microsoft 365 Agents SDK: Activities in (messages with an
 * @mention, `adaptiveCard/action` invokes), engine commands out; engine messages back as
 * replies in the reply chain and Adaptive Cards, proactively through the stored
 * conversation reference (so it works after a restart too).
 */
export function createTeamsChannel(runtime: Runtime, options: TeamsOptions, logger: Logger): TeamsChannel {
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
  const cards = new MessageRefs<{ id: string; card: AdaptiveCard }>(runtime.store, 'teams:card');
  const progress = new UpdatableMessages(new MessageRefs(runtime.store, 'teams:progress'));
  // Proactive sends: the app's identity, or an anonymous one when no app is configured.
  const identity = options.clientId ?? {};

  async function onTurn(ctx: TurnContext): Promise<void> {
    const activity = ctx.activity;
    const user: User = {
      id: activity.from?.aadObjectId ?? activity.from?.id ?? 'unknown',
      name: activity.from?.name ?? 'unknown',
    };
    const locale = toLocale(activity.locale, options.defaultLocale);
    if (activity.type === 'invoke' && activity.name === 'adaptiveCard/action') {
      const action = (activity.value as { action?: { verb?: string; data?: unknown } } | undefined)?.action;
      const parsed = cardData.safeParse({ ...(action?.data as object), verb: action?.verb });
      const text = parsed.success ? await act(parsed.data, user, locale) : ChannelTexts.badButton[locale];
      const card =
        parsed.success && parsed.data.verb === 'refresh'
          ? (await cards.get(`${parsed.data.i}:${parsed.data.s}:${parsed.data.a}`))?.card
          : undefined;
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
    if (activity.type !== 'message') return;
    // Action.Submit fallback: the card's data arrives as the message value.
    const submitted = cardData.safeParse(activity.value);
    if (submitted.success) {
      await ctx.sendActivity(await act(submitted.data, user, locale));
      return;
    }
    const text = stripMentions(activity.text ?? '');
    const parsed = parseCommand(text);
    const base = (activity.conversation?.id ?? '').split(';')[0] ?? '';
    if (parsed.kind === 'help' || parsed.kind === 'invalid') {
      await ctx.sendActivity(
        `${parsed.kind === 'invalid' ? `${parsed.problem}\n\n` : ''}${plain(ChannelTexts.help[locale])}`,
      );
      return;
    }
    if (parsed.kind === 'start') {
      const reference = activity.getConversationReference();
      const result = await openIncident(runtime.engine, runtime.vm, {
        vmName: parsed.vmName,
        ...(parsed.resourceGroup ? { resourceGroup: parsed.resourceGroup } : {}),
        requester: user,
        channel: {
          platform: 'teams',
          channel: base,
          reference: JSON.parse(JSON.stringify(reference)) as Record<string, unknown>,
        },
        locale,
        walkAll: parsed.walkAll,
      });
      if (!result.ok) await ctx.sendActivity(result.message[locale]);
      return;
    }
    if (parsed.kind === 'cancel') {
      const result = await runtime.engine.handle({
        type: 'abort',
        incidentId: parsed.incidentId,
        user,
        reason: `cancelled by ${user.name}`,
      });
      if (!result.ok) await ctx.sendActivity(result.message[locale]);
      return;
    }
    if (parsed.kind === 'transcript') {
      const record = await runtime.store.get(parsed.incidentId);
      if (!record) return void (await ctx.sendActivity(ChannelTexts.notFound(parsed.incidentId)[locale]));
      const { buildExport, renderMarkdown } = await import('../../transcripts/render-transcript');
      // Teams messages hold about 28 KB; the whole transcript stays in the export and on the web page.
      const markdown = renderMarkdown(buildExport(record, await runtime.store.transcript(record.id)));
      await ctx.sendActivity(markdown.length > 25_000 ? `${markdown.slice(0, 25_000)}\n\n…` : markdown);
      return;
    }
    const { records, empty } = await listIncidents(runtime.store, parsed, base);
    await ctx.sendActivity(
      records.length
        ? records
            .map((r) => `- ${r.id} ${r.vm.resourceGroup}/${r.vm.name}: ${r.outcome ?? r.state}`)
            .join('\n')
        : empty[locale],
    );
  }

  /** A click, as an engine command; the answer is what the clicker sees. */
  async function act(data: z.infer<typeof cardData>, user: User, locale: Locale): Promise<string> {
    if (data.verb === 'refresh') return '';
    if (data.verb === 'showScript') {
      const script = await runtime.engine.scriptOf(data.i, data.s);
      return script ? `${script.name}\n\n${script.text.slice(0, 20_000)}` : ChannelTexts.noScript[locale];
    }
    const click = {
      verb: data.verb,
      incidentId: data.i,
      stepId: data.s,
      attempt: data.a,
      user,
      ...(data.x ? { answer: data.x } : {}),
    };
    const result = await runtime.engine.handle(commandForCard(click));
    return result.ok ? '✔' : result.message[locale];
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

/** `<at>rdp-fix</at> rdp-fix sim-01` → `sim-01`: mentions, tags and the leading keyword go. */
export function stripMentions(text: string): string {
  return text
    .replace(/<at>[^<]*<\/at>/gi, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&nbsp;/g, ' ')
    .trim()
    .replace(/^rdp-fix\s+/i, '')
    .replace(/^rdp-fix$/i, '')
    .trim();
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { ChatTexts, plain } from '../../conversation/chat-texts';
import type { Conversation } from '../../conversation/conversation';
import { PlaygroundAsker } from '../../conversation/inputs';
import type { IncidentReader } from '../../conversation/ports';
import type { Reply } from '../../conversation/replies';
import { parseCommand } from '../../core/parse-command';
import type { ChannelRef } from '../../core/types';
import { Texts } from '../../texts/catalogue';
import type { PlaygroundMessages } from './playground-messages';
import { json, readJson } from './web-responses';

/** The playground's channel: every incident it opens lives here (`/rdp-fix status` lists them). */
export const Playground: ChannelRef = { platform: 'web', channel: 'playground' };

/**
 * Parameter values chosen on a card: names as the playbook declares them, values as the form
 * sends them. Their types are the playbook's to check (the engine's resolveParams refuses a
 * bad one before the approval is accepted), so this only bounds the size.
 */
const paramValues = z
  .record(
    z.string().regex(/^[A-Z][A-Za-z0-9]{0,63}$/),
    z.union([z.string().max(256), z.number(), z.boolean()]),
  )
  .refine((p) => Object.keys(p).length <= 20);

const actionBody = z.object({
  incidentId: z.string().max(64),
  stepId: z.string().max(64),
  attempt: z.number().int().min(1).max(10_000),
  verb: z.enum(['approve', 'skip', 'abort', 'answer', 'showScript', 'undo']),
  answer: z.string().max(64).optional(),
  params: paramValues.optional(),
  /** The script hash the card showed (the playground's cards carry it like Slack's and Teams'). */
  scriptSha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
});

export interface PlaygroundDeps {
  conversation: Conversation;
  incidents: IncidentReader;
  messages: PlaygroundMessages;
  /** Puts the simulated VMs back as their scenarios start; only there when the simulator runs. */
  resetVms?: () => number;
}

/** The playground's JSON routes under /api/playground; false when the path is none of them. */
export async function handlePlayground(
  deps: PlaygroundDeps,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<boolean> {
  const { conversation, incidents, messages } = deps;
  const method = req.method ?? 'GET';
  const path = url.pathname;
  if (method === 'GET' && path === '/api/playground/messages') {
    const after = Math.max(0, Number(url.searchParams.get('after') ?? 0) || 0);
    const read = await messages.read(url.searchParams.get('incident') ?? '', after);
    return json(res, 200, read ?? { messages: [], next: 0 });
  }
  if (method === 'GET' && path === '/api/playground/incidents') {
    // What a reloaded page picks up again: the playground's open incidents, oldest first.
    const open = await incidents.list({ status: 'open', channel: Playground.channel });
    return json(res, 200, { incidents: open.reverse().map(listed) });
  }
  if (method === 'POST' && path === '/api/playground/command') {
    const body = z.object({ text: z.string().max(600) }).safeParse(await readJson(req));
    if (!body.success) return json(res, 400, { error: 'expected {"text": "…"}' });
    const command = parseCommand(body.data.text.replace(/^\/rdp-fix\s*/, ''));
    // Every command goes through the conversation core, as in Slack and Teams.
    return json(res, 200, replyBody(await conversation.handleChat(command, PlaygroundAsker, Playground)));
  }
  if (method === 'POST' && path === '/api/playground/action') {
    const body = actionBody.safeParse(await readJson(req));
    if (!body.success) return json(res, 400, { error: 'bad action' });
    const { verb, incidentId, stepId, attempt, answer, params, scriptSha256 } = body.data;
    const click = {
      verb,
      incidentId,
      stepId,
      attempt,
      ...(answer ? { answer } : {}),
      ...(params ? { params } : {}),
      ...(scriptSha256 ? { scriptSha256 } : {}),
    };
    return json(res, 200, replyBody(await conversation.handleClick(click, PlaygroundAsker, Playground)));
  }
  if (method === 'POST' && path === '/api/playground/reset') {
    if (!deps.resetVms) return json(res, 404, { error: 'no simulator runs here' });
    const n = deps.resetVms();
    return json(res, 200, { text: Texts.web.resetDone.en.replace('{n}', String(n)) });
  }
  return false;
}

type Listed = ReturnType<typeof listed>;

function listed(r: Awaited<ReturnType<IncidentReader['list']>>[number]) {
  return {
    id: r.id,
    vm: `${r.vm.resourceGroup}/${r.vm.name}`,
    status: r.status,
    state: r.state,
    outcome: r.outcome,
    createdAt: r.createdAt,
    playground: r.channel.platform === Playground.platform && r.channel.channel === Playground.channel,
  };
}

/** What the page shows for a reply (the page is in English, as the playground's person). */
export interface ReplyBody {
  incidentId?: string;
  text?: string;
  incidents?: Listed[];
  script?: { name: string; sha256: string; text: string };
  link?: { href: string; text: string };
}

function replyBody(reply: Reply): ReplyBody {
  switch (reply.kind) {
    case 'opened':
      return { incidentId: reply.incidentId };
    case 'help':
      return { text: (reply.problem ? `${reply.problem}\n` : '') + plain(ChatTexts.help.en) };
    case 'refusal':
    case 'text':
      return { text: plain(reply.text.en) };
    case 'script':
      return { script: { name: reply.name, sha256: reply.sha256, text: reply.text } };
    case 'incidentList':
      return reply.records.length ? { incidents: reply.records.map(listed) } : { text: reply.empty.en };
    case 'file':
      // The page has the transcript already: a link to it instead of a download.
      return { link: { href: `/incidents/${reply.incidentId}`, text: reply.title } };
    case 'done':
      return {};
  }
}

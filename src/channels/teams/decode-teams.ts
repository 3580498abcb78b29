import type { Activity } from '@microsoft/agents-activity';
import { z } from 'zod';
import type { Asker, Click } from '../../conversation/inputs';
import type { Origin } from '../../core/approval-policy';
import { type ParsedCommand, parseCommand } from '../../core/parse-command';
import { type ChannelRef, type Locale, toLocale } from '../../core/types';
import { cardKey } from '../../engine/messages';
import { cardFields } from '../card-fields';
import { paramsFromCardData } from './decode-params';
import type { TeamsUser } from './teams-identity';

/** What an Action.Execute or its Action.Submit fallback carries back, checked. */
const cardData = z.object({
  verb: z.enum(['approve', 'skip', 'abort', 'showScript', 'answer', 'undo', 'refresh']),
  ...cardFields,
});

/** An Activity as the conversation's input; `via` says how the clicker is answered. */
export type TeamsInput = { who: Asker } & (
  | { kind: 'chat'; command: ParsedCommand; where: ChannelRef }
  /** `where`: the conversation the click came from; a decision counts only in the incident's own. */
  | { kind: 'click'; click: Click; via: 'invoke' | 'message'; where: Origin }
  /** Teams asks an approver's own view of a card (`refresh.userIds`): the card as it was posted. */
  | { kind: 'refresh'; cardKey: string; via: 'invoke' | 'message' }
  | { kind: 'ignore' }
);

/** Whether an activity asks anything of rdp-fix: a message, or an `adaptiveCard/action` invoke. */
export function isTeamsRequest(activity: Activity): boolean {
  return (
    activity.type === 'message' || (activity.type === 'invoke' && activity.name === 'adaptiveCard/action')
  );
}

/**
 * Decodes a Teams Activity sent by `user` (verified by `verifyTeamsIdentity`, never read from
 * the body here): an `adaptiveCard/action` invoke or its Action.Submit fallback (a
 * message whose value is the card's data) is a click; any other message is a command, with
 * the @mention stripped. A card payload that fails the check is the click `forged`.
 */
export function decodeTeamsActivity(activity: Activity, user: TeamsUser, defaultLocale: Locale): TeamsInput {
  const who: Asker = { user, locale: toLocale(activity.locale, defaultLocale) };
  if (!isTeamsRequest(activity)) return { who, kind: 'ignore' };
  // A reply chain's id is the channel's id plus `;messageid=…`: incidents belong to the channel
  // (or the chat), and so are listed, read and decided by it.
  const channel = (activity.conversation?.id ?? '').split(';')[0] ?? '';
  const where: Origin = { platform: 'teams', channel };
  if (activity.type === 'invoke') {
    const action = (activity.value as { action?: { verb?: string; data?: unknown } } | undefined)?.action;
    const data = cardData.safeParse({ ...(action?.data as object), verb: action?.verb });
    return {
      who,
      ...withParams(clickOf(data.success ? data.data : undefined, where), action?.data),
      via: 'invoke',
    };
  }
  const submitted = cardData.safeParse(activity.value);
  if (submitted.success)
    return { who, ...withParams(clickOf(submitted.data, where), activity.value), via: 'message' };
  const command = parseCommand(stripMentions(activity.text ?? ''));
  if (command.kind !== 'start') return { who, kind: 'chat', command, where: { platform: 'teams', channel } };
  // The conversation reference (service URL, conversation, bot) lets replies go out proactively later.
  const reference = JSON.parse(JSON.stringify(activity.getConversationReference())) as Record<
    string,
    unknown
  >;
  return { who, kind: 'chat', command, where: { platform: 'teams', channel, reference } };
}

function clickOf(
  data: z.infer<typeof cardData> | undefined,
  where: Origin,
): { kind: 'click'; click: Click; where: Origin } | { kind: 'refresh'; cardKey: string } {
  if (!data) return { kind: 'click', click: { verb: 'forged' }, where };
  if (data.verb === 'refresh') return { kind: 'refresh', cardKey: cardKey(data.i, data.s, data.a) };
  const click: Click = {
    verb: data.verb,
    incidentId: data.i,
    stepId: data.s,
    attempt: data.a,
    ...(data.x ? { answer: data.x } : {}),
    ...(data.h ? { scriptSha256: data.h } : {}),
  };
  return { kind: 'click', click, where };
}

/** An approval with the card's parameter fields as they were when it was pressed (decode-params.ts). */
function withParams<T extends ReturnType<typeof clickOf>>(input: T, data: unknown): T {
  if (input.kind !== 'click' || input.click.verb !== 'approve') return input;
  const params = paramsFromCardData(data);
  return params ? { ...input, click: { ...input.click, params } } : input;
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

import { z } from 'zod';
import type { Click } from '../../conversation/inputs';
import { type ParsedCommand, parseCommand } from '../../core/parse-command';
import type { ChannelRef, User } from '../../core/types';
import type { CardVerb } from '../../engine/commands';
import { cardFields } from '../card-fields';
import { paramsFromSlackState } from './decode-params';
import { ActionIds } from './render-blocks';

/** The fields of a slash command the conversation needs (Bolt's `SlashCommand`, form-encoded by Slack). */
export interface SlashCommandFields {
  text?: string;
  user_id: string;
  user_name: string;
  channel_id: string;
}

/**
 * A slash command as the conversation's input: what was said, by whom, in which channel. The
 * channel id comes from the signed form (Bolt has checked the signature), so it is where the
 * command was really given: reads and decisions are scoped by it.
 */
export function decodeSlashCommand(fields: SlashCommandFields): {
  command: ParsedCommand;
  user: User;
  where: ChannelRef;
} {
  return {
    command: parseCommand(fields.text ?? ''),
    user: { id: fields.user_id, name: fields.user_name },
    where: { platform: 'slack', channel: fields.channel_id },
  };
}

/** The parts of a `block_actions` payload read here (Bolt's `BlockAction` and its first action). */
export interface BlockActionFields {
  type: string;
  user: { id: string; username?: string; name?: string };
  channel?: { id: string };
  container?: { channel_id?: string };
  /** The message's input fields as they are now: the step's parameters (decode-params.ts). */
  state?: unknown;
}
export interface ButtonFields {
  type: string;
  action_id?: string;
  value?: string;
}

/** What a button carries back, checked: the exact step attempt the card was made for. */
const buttonValue = z.object(cardFields);

/**
 * A button press as the conversation's input. Undefined for what is no press on an rdp-fix
 * card (another interaction, an action id of ours that is not a button). A value that is not
 * one rdp-fix made (forged, too large, stale) is the click `forged`.
 */
export function decodeBlockAction(
  body: BlockActionFields,
  action: ButtonFields,
): { user: User; channel: string; click: Click } | undefined {
  if (body.type !== 'block_actions' || action.type !== 'button') return undefined;
  const channel = body.channel?.id ?? body.container?.channel_id;
  if (!channel) return undefined;
  const user: User = { id: body.user.id, name: body.user.username ?? body.user.name ?? body.user.id };
  const value = parseButtonValue(action.value);
  if (!value) return { user, channel, click: { verb: 'forged' } };
  const id = action.action_id ?? '';
  const verb = verbOf(id, value.x);
  if (!verb) return undefined;
  const click: Click = {
    verb,
    incidentId: value.i,
    stepId: value.s,
    attempt: value.a,
    ...(value.x ? { answer: value.x } : {}),
    ...(value.h ? { scriptSha256: value.h } : {}),
  };
  const params = verb === 'approve' ? paramsFromSlackState(body.state) : undefined;
  if (params) Object.assign(click, { params });
  return { user, channel, click };
}

function parseButtonValue(text: string | undefined): z.infer<typeof buttonValue> | undefined {
  try {
    return buttonValue.parse(JSON.parse(text ?? ''));
  } catch (err) {
    // Not JSON, or not our shape: either way not a button rdp-fix made.
    if (err instanceof SyntaxError || err instanceof z.ZodError) return undefined;
    throw err;
  }
}

function verbOf(actionId: string, answer: string | undefined): CardVerb | 'showScript' | undefined {
  if (actionId === ActionIds.showScript) return 'showScript';
  if (actionId === ActionIds.approve) return 'approve';
  if (actionId === ActionIds.skip) return 'skip';
  if (actionId === ActionIds.abort) return 'abort';
  if (actionId === ActionIds.undo) return 'undo';
  if (actionId.startsWith(ActionIds.answer) && answer) return 'answer';
  return undefined;
}

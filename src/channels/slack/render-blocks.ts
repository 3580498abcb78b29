import { CardLabels } from '../../conversation/card-labels';
import type { Locale, Localized } from '../../core/types';
import type { OutMessage } from '../../engine/messages';
import { answerLook, approveLook, ParamHintBlock, paramBlocks, riskBlock } from './card-extras';
import { clip, escapeSlack, mrkdwnText } from './escape-slack';

/** Slack Block Kit objects, as plain JSON (the Web API takes them as a JSON string). */
export type Block = Record<string, unknown>;

/** What a button carries back: the exact step attempt the card was made for. */
export interface ButtonValue {
  i: string;
  s: string;
  a: number;
  /** The answer, for question and manual steps. */
  x?: string;
  /** The sha256 of the step's script when the card was made (runCommand steps). */
  h?: string;
}

export const ActionIds = {
  approve: 'rdpfix_approve',
  skip: 'rdpfix_skip',
  abort: 'rdpfix_abort',
  showScript: 'rdpfix_script',
  answer: 'rdpfix_answer',
  undo: 'rdpfix_undo',
} as const;

// Every text below is escaped whole with escapeSlack (escape-slack.ts says why); the marks
// around them (`*label:*`, the code span of a parameter) are ours.
const mrkdwn = (text: string) => ({ type: 'section', text: mrkdwnText(text) });
const context = (text: string) => ({ type: 'context', elements: [mrkdwnText(text)] });

/** A step card: what the step does and why, its risk, and the buttons for this exact attempt. */
export function renderCard(
  m: Extract<OutMessage, { kind: 'stepCard' }>,
  incidentId: string,
  locale: Locale,
): Block[] {
  // The script hash binds an approval to the script this card stands for (64 hex characters:
  // the value stays far below a button value's 2,000-character limit, per
  // docs.slack.dev/reference/block-kit/block-elements/button-element).
  const value = (extra: Partial<ButtonValue> = {}) =>
    JSON.stringify({
      i: incidentId,
      s: m.stepId,
      a: m.attempt,
      ...(m.scriptSha256 ? { h: m.scriptSha256 } : {}),
      ...extra,
    });
  const blocks: Block[] = [
    { type: 'header', text: { type: 'plain_text', text: clip(m.title[locale], 150) } },
    mrkdwn(escapeSlack(m.explain[locale])),
  ];
  if (m.reasons.length)
    blocks.push(
      context(`*${CardLabels.because[locale]}:* ${m.reasons.map((r) => escapeSlack(r[locale])).join(' · ')}`),
    );
  if (m.warning) blocks.push(mrkdwn(`:warning: ${escapeSlack(m.warning[locale])}`));
  if (m.notice) blocks.push(mrkdwn(`:grey_question: ${escapeSlack(m.notice[locale])}`));
  // Risk, parameters and the confirmation: card-extras.ts.
  blocks.push(...paramBlocks(m, locale), riskBlock(m, locale));
  const elements: Block[] = m.answers.map((a, n) => ({
    type: 'button',
    action_id: `${ActionIds.answer}_${n}`,
    text: plain(a.label[locale]),
    value: value({ x: a.id }),
    ...answerLook(m, a, locale),
  }));
  if (m.actions.includes('approve')) {
    elements.push({
      type: 'button',
      action_id: ActionIds.approve,
      text: plain(CardLabels.approve[locale]),
      value: value(),
      ...approveLook(m, locale),
    });
  }
  const button = (actionId: string, label: Localized, style?: 'danger') => ({
    type: 'button',
    action_id: actionId,
    ...(style ? { style } : {}),
    text: plain(label[locale]),
    value: value(),
  });
  if (m.actions.includes('skip')) elements.push(button(ActionIds.skip, CardLabels.skip));
  if (m.actions.includes('showScript')) elements.push(button(ActionIds.showScript, CardLabels.showScript));
  if (m.actions.includes('abort')) elements.push(button(ActionIds.abort, CardLabels.abort, 'danger'));
  blocks.push({ type: 'actions', block_id: `rdpfix_${m.stepId}_${m.attempt}`.slice(0, 255), elements });
  return blocks;
}

/**
 * A progress line, and a step's result when it ends: a change the undo can take back alone
 * (`m.undo`) gets an Undo button bound to that step attempt, pressed as `undo <id> <step>`.
 */
export function renderProgress(
  m: Extract<OutMessage, { kind: 'progress' }>,
  incidentId: string,
  locale: Locale,
): Block[] {
  const blocks: Block[] = [mrkdwn(renderText(m, locale))];
  if (!m.undo) return blocks;
  const value: ButtonValue = { i: incidentId, s: m.stepId, a: m.undo.attempt };
  blocks.push({
    type: 'actions',
    block_id: `rdpfix_undo_${m.stepId}_${m.undo.attempt}`.slice(0, 255),
    elements: [
      {
        type: 'button',
        action_id: ActionIds.undo,
        text: plain(CardLabels.undo[locale]),
        value: JSON.stringify(value),
      },
    ],
  });
  return blocks;
}

/** The card once decided: same texts, the buttons replaced by who decided and when. */
export function renderClosedCard(original: Block[], text: string): Block[] {
  return [
    // The buttons and the parameter fields go: what was decided is no longer open.
    ...original.filter((b) => b.type !== 'actions' && b.type !== 'input' && b.block_id !== ParamHintBlock),
    context(`:white_check_mark: ${escapeSlack(text)}`),
  ];
}

/** The plain text of any other message, in mrkdwn. */
export function renderText(m: OutMessage, locale: Locale): string {
  switch (m.kind) {
    case 'causes':
      return [
        escapeSlack(m.text[locale]),
        ...m.causes.map((c) => `• *${escapeSlack(c.title[locale])}*: ${escapeSlack(c.reason[locale])}`),
      ].join('\n');
    case 'summary':
      return [
        `*${escapeSlack(m.text[locale])}*${m.reason ? ` (${escapeSlack(m.reason)})` : ''}`,
        ...m.steps.map(
          (s) =>
            `• ${escapeSlack(s.title[locale])}: ${escapeSlack(s.outcome)}${s.approvedBy ? ` (${escapeSlack(s.approvedBy)})` : ''}`,
        ),
      ].join('\n');
    case 'stepCard':
      return escapeSlack(m.title[locale]);
    default:
      return escapeSlack(m.text[locale]);
  }
}

function plain(text: string) {
  return { type: 'plain_text', text: clip(text, 75), emoji: true };
}

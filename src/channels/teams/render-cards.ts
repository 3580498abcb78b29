import { CardLabels } from '../../conversation/card-labels';
import type { Locale } from '../../core/types';
import type { OutMessage } from '../../engine/messages';
import {
  answerAction,
  approveAction,
  isParamElement,
  paramInputs,
  paramLines,
  riskParagraph,
} from './card-extras';
import { escapeTeamsMarkdown as md, paragraph, textRun } from './escape-teams';

/** An Adaptive Card (schema 1.5), as plain JSON. */
export type AdaptiveCard = Record<string, unknown>;

/** What an Action.Execute / Action.Submit carries back: the exact step attempt of the card. */
export interface CardData {
  verb: 'approve' | 'skip' | 'abort' | 'showScript' | 'answer' | 'undo';
  i: string;
  s: string;
  a: number;
  x?: string;
  /** The sha256 of the step's script when the card was made (runCommand steps). */
  h?: string;
}

/**
 * A step card with Action.Execute buttons (Universal Actions) and, for clients without them,
 * the same actions as Action.Submit through the `fallback`. `refresh.userIds` lists the
 * approvers, so that Teams fetches their user-specific view.
 */
export function renderAdaptiveCard(
  m: Extract<OutMessage, { kind: 'stepCard' }>,
  incidentId: string,
  locale: Locale,
  approverIds: readonly string[],
): AdaptiveCard {
  const data = (verb: CardData['verb'], x?: string): CardData => ({
    verb,
    i: incidentId,
    s: m.stepId,
    a: m.attempt,
    ...(x ? { x } : {}),
    // Binds an approval to the script this card stands for.
    ...(m.scriptSha256 ? { h: m.scriptSha256 } : {}),
  });
  const actions = [
    // An answer to confirm opens a small card whose "Yes" decides (card-extras.ts).
    ...m.answers.map((a) => answerAction(m, a, locale, (title) => action(title, data('answer', a.id)))),
    // A plain Approve, or one behind a confirmation (card-extras.ts).
    ...(m.actions.includes('approve')
      ? [approveAction(m, locale, (title, style) => action(title, data('approve'), style))]
      : []),
    ...(m.actions.includes('skip') ? [action(CardLabels.skip[locale], data('skip'))] : []),
    ...(m.actions.includes('showScript') ? [action(CardLabels.showScript[locale], data('showScript'))] : []),
    ...(m.actions.includes('abort') ? [action(CardLabels.abort[locale], data('abort'), 'destructive')] : []),
  ];
  return {
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: '1.5',
    ...(approverIds.length
      ? {
          refresh: {
            action: { type: 'Action.Execute', title: 'refresh', verb: 'refresh', data: data('approve') },
            userIds: [...approverIds],
          },
        }
      : {}),
    // TextRuns only: no Markdown anywhere in the card (escape-teams.ts says why).
    body: [
      paragraph(textRun(m.title[locale], { weight: 'Bolder', size: 'Medium' })),
      paragraph(textRun(m.explain[locale])),
      ...m.reasons.map((r) =>
        paragraph(
          textRun(`${CardLabels.because[locale]}: `, { weight: 'Bolder', isSubtle: true }),
          textRun(r[locale], { isSubtle: true }),
        ),
      ),
      ...(m.warning ? [paragraph(textRun(`⚠ ${m.warning[locale]}`, { color: 'Warning' }))] : []),
      ...(m.notice ? [paragraph(textRun(m.notice[locale], { color: 'Attention' }))] : []),
      ...paramLines(m, locale),
      ...paramInputs(m, locale),
      riskParagraph(m, locale),
    ],
    actions,
  };
}

/**
 * An Action.Execute button (Universal Actions) and, for clients without them, the same as an
 * Action.Submit through its `fallback`.
 */
function action(title: string, d: CardData, style?: 'positive' | 'destructive') {
  return {
    type: 'Action.Execute',
    title,
    verb: d.verb,
    data: d,
    ...(style ? { style } : {}),
    fallback: { type: 'Action.Submit', title, data: { ...d, msteams: { type: 'messageBack', text: '' } } },
  };
}

/**
 * A step's result that a change the undo can take back alone (`m.undo`): the result as a card
 * with one Undo button bound to that step attempt, pressed as `undo <id> <step>`.
 */
export function renderUndoCard(
  m: Extract<OutMessage, { kind: 'progress' }>,
  incidentId: string,
  locale: Locale,
): AdaptiveCard | undefined {
  if (!m.undo) return undefined;
  return {
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: '1.5',
    body: [paragraph(textRun(m.text[locale]))],
    actions: [
      action(CardLabels.undo[locale], { verb: 'undo', i: incidentId, s: m.stepId, a: m.undo.attempt }),
    ],
  };
}

/** The card once decided: the same body, no buttons, who decided and when. */
export function renderClosedAdaptiveCard(card: AdaptiveCard, text: string): AdaptiveCard {
  const { actions: _a, refresh: _r, ...rest } = card;
  return {
    ...rest,
    // The parameter fields go with the buttons: what was decided is no longer open.
    body: [
      ...(card.body as unknown[]).filter((e) => !isParamElement(e)),
      paragraph(textRun(`✔ ${text}`, { color: 'Good' })),
    ],
  };
}

/**
 * Text of the other messages, in Teams Markdown: each text escaped whole (escape-teams.ts),
 * the bold and the bullets ours.
 */
export function renderTeamsText(m: OutMessage, locale: Locale): string {
  switch (m.kind) {
    case 'causes':
      return [
        md(m.text[locale]),
        ...m.causes.map((c) => `- **${md(c.title[locale])}**: ${md(c.reason[locale])}`),
      ].join('\n\n');
    case 'summary':
      return [
        `**${md(m.text[locale])}**${m.reason ? ` (${md(m.reason)})` : ''}`,
        ...m.steps.map(
          (s) => `- ${md(s.title[locale])}: ${md(s.outcome)}${s.approvedBy ? ` (${md(s.approvedBy)})` : ''}`,
        ),
      ].join('\n\n');
    case 'stepCard':
      return md(m.title[locale]);
    default:
      return md(m.text[locale]);
  }
}

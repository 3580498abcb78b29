import { CardLabels, RiskLabels } from '../../conversation/card-labels';
import { neutraliseBidi } from '../../core/bidi';
import type { Locale } from '../../core/types';
import type { CardParam, OutMessage } from '../../engine/messages';
import { isRiskyStep, RiskLook } from '../risk-style';
import { paragraph, type RunStyle, textRun } from './escape-teams';

/**
 * The parts of a Teams step card that show risk, take parameters and ask "are you sure?":
 * Adaptive Card (1.5) builders called by `renderAdaptiveCard` (render-cards.ts). Texts go in
 * TextRuns only, where Adaptive Cards process no Markdown (escape-teams.ts).
 */
type Card = Extract<OutMessage, { kind: 'stepCard' }>;
type Element = Record<string, unknown>;

/** Input ids of parameter fields: `param_<Name>`; they arrive beside the card data. */
export const ParamInputPrefix = 'param_';
const ParamHintId = 'rdpfix-params-hint';

const RiskColour: Record<'low' | 'medium' | 'high', NonNullable<RunStyle['color']>> = {
  low: 'Good',
  medium: 'Warning',
  high: 'Attention',
};

/** The risk line: a coloured dot and the human label in the theme's good/warning/attention colour, then the section. */
export function riskParagraph(m: Card, locale: Locale): Element {
  const section = textRun(m.section, { isSubtle: true, size: 'Small' });
  if (!m.risk) return paragraph(section);
  const look = RiskLook[m.risk];
  return paragraph(
    textRun(`${look.emoji} ${CardLabels.risk[locale]}: ${RiskLabels[m.risk][locale]}`, {
      color: RiskColour[look.level],
      weight: 'Bolder',
      size: 'Small',
    }),
    textRun(` · ${m.section}`, { isSubtle: true, size: 'Small' }),
  );
}

/**
 * The parameters as text, for cards without fields (a manual step's script runs elsewhere):
 * with fields, the fields show the values, and a line of defaults would go stale.
 */
export function paramLines(m: Card, locale: Locale): Element[] {
  if (m.actions.includes('approve')) return [];
  return m.params.map((p) =>
    paragraph(
      textRun(`${p.label[locale]}: `, { weight: 'Bolder' }),
      textRun(`${p.name}=${String(p.value ?? '?')}`, { fontType: 'Monospace' }),
      ...(p.values ? [textRun(` (${p.values.join(' | ')})`, { isSubtle: true })] : []),
    ),
  );
}

/**
 * Fields for the step's parameters, holding the value that runs unless changed: an
 * `Input.ChoiceSet` for enum, `Input.Toggle` for boolean, `Input.Number` for integer,
 * `Input.Text` for string (https://adaptivecards.io/explorer/Input.ChoiceSet.html and its
 * siblings). Only on cards with Approve. Action.Execute gathers the inputs of its card and of
 * the cards around it (`associatedInputs` "auto", https://adaptivecards.io/explorer/Action.Execute.html),
 * and Teams sends them merged into `action.data` of the `adaptiveCard/action` invoke; the
 * Action.Submit fallback merges them into the message's `value` the same way. The engine
 * checks every value against the playbook's types (resolveParams); none is checked here.
 */
export function paramInputs(m: Card, locale: Locale): Element[] {
  if (!m.actions.includes('approve')) return [];
  const inputs = m.params.map((p) => paramInput(p, locale));
  if (!inputs.length) return [];
  return [
    ...inputs,
    { ...paragraph(textRun(CardLabels.paramsHint[locale], { isSubtle: true })), id: ParamHintId },
  ];
}

/** Whether a body element is one of the parameter fields or their hint, which go once the card is decided. */
export function isParamElement(element: unknown): boolean {
  const e = element as { type?: unknown; id?: unknown };
  return (typeof e.type === 'string' && e.type.startsWith('Input.')) || e.id === ParamHintId;
}

function paramInput(p: CardParam, locale: Locale): Element {
  // Labels and choice titles are plain strings (no Markdown in Input labels); bidi overrides
  // are replaced as in every text of a card (escape-teams.ts). Values go back as given.
  const base = {
    id: `${ParamInputPrefix}${p.name}`,
    label: neutraliseBidi(`${p.label[locale]} (${p.name})`),
  };
  const value = p.value === undefined ? undefined : String(p.value);
  const initial = value === undefined ? {} : { value };
  switch (p.type) {
    case 'enum':
      return {
        type: 'Input.ChoiceSet',
        ...base,
        style: 'compact',
        choices: (p.values ?? []).map((v) => ({ title: neutraliseBidi(v), value: v })),
        ...initial,
      };
    case 'boolean':
      return {
        type: 'Input.Toggle',
        ...base,
        // The PascalCase name: the label above already says it in words, and a toggle's title
        // is shown by some clients as a TextBlock (Markdown), which a name cannot contain.
        title: p.name,
        valueOn: 'true',
        valueOff: 'false',
        ...initial,
      };
    case 'integer':
      return { type: 'Input.Number', ...base, ...(p.value === undefined ? {} : { value: Number(p.value) }) };
    case 'string':
      return { type: 'Input.Text', ...base, ...initial };
  }
}

/**
 * The Approve button. A step the playbook asks to confirm (a restart, a port change) gets an
 * `Action.ShowCard` instead: Adaptive Cards 1.5 have no confirmation dialog, so Approve opens
 * a small card under the step that says what the step does, and only its "Yes, approve"
 * (the real Action.Execute) decides (https://adaptivecards.io/explorer/Action.ShowCard.html).
 * The parameter fields above stay part of the submission (see `paramInputs`).
 */
export function approveAction(
  m: Card,
  locale: Locale,
  execute: (title: string, style: 'positive' | 'destructive') => Element,
): Element {
  if (!m.confirm) return execute(CardLabels.approve[locale], isRiskyStep(m) ? 'destructive' : 'positive');
  const risk = m.risk ? RiskLabels[m.risk][locale] : '';
  return {
    type: 'Action.ShowCard',
    title: CardLabels.approve[locale],
    style: 'destructive',
    card: {
      type: 'AdaptiveCard',
      version: '1.5',
      body: [
        paragraph(textRun(`${CardLabels.confirmTitle[locale]} `, { weight: 'Bolder', color: 'Attention' })),
        paragraph(textRun(CardLabels.confirmAsk(m.title[locale], risk)[locale])),
      ],
      actions: [execute(CardLabels.confirmApprove[locale], 'destructive')],
    },
  };
}

/**
 * An answer button. One the playbook asks to confirm (taking the offline path, saying
 * offline work is done) is an `Action.ShowCard` whose "Yes" is the real answer, as for a
 * risky Approve above.
 */
export function answerAction(
  m: Card,
  answer: Card['answers'][number],
  locale: Locale,
  execute: (title: string) => Element,
): Element {
  if (!answer.confirm) return execute(answer.label[locale]);
  return {
    type: 'Action.ShowCard',
    title: answer.label[locale],
    card: {
      type: 'AdaptiveCard',
      version: '1.5',
      body: [
        paragraph(textRun(`${CardLabels.confirmTitle[locale]} `, { weight: 'Bolder', color: 'Attention' })),
        paragraph(textRun(CardLabels.confirmAnswer(m.title[locale], answer.label[locale])[locale])),
      ],
      actions: [execute(CardLabels.confirmYes[locale])],
    },
  };
}

import { CardLabels, RiskLabels } from '../../conversation/card-labels';
import type { Locale } from '../../core/types';
import type { CardParam, OutMessage } from '../../engine/messages';
import { isRiskyStep, RiskLook } from '../risk-style';
import { clip, escapeSlack, mrkdwnText } from './escape-slack';

/**
 * The parts of a Slack step card that show risk and take parameters: Block Kit builders
 * called by `renderCard` (render-blocks.ts). Every text from the catalogue or the playbook is
 * escaped whole (escape-slack.ts); the marks around it are ours.
 */
type Card = Extract<OutMessage, { kind: 'stepCard' }>;
type Block = Record<string, unknown>;

/** action_id prefix of a parameter field; the rest is the parameter's name. */
export const ParamActionPrefix = 'rdpfix_param_';
/** block_id of the line under the fields, removed with them once the card is decided. */
export const ParamHintBlock = 'rdpfix_params_hint';

/** The risk line: a coloured dot, the human label, then the article's section. */
export function riskBlock(m: Card, locale: Locale): Block {
  const risk = m.risk
    ? `${RiskLook[m.risk].emoji} *${CardLabels.risk[locale]}:* ${escapeSlack(RiskLabels[m.risk][locale])} · `
    : '';
  return { type: 'context', elements: [mrkdwnText(`${risk}${escapeSlack(m.section)}`)] };
}

/**
 * The approve button's look and its "are you sure?" dialog: `danger` for a restart or a step
 * the playbook asks to confirm, with Slack's confirmation dialog (composition object `confirm`,
 * https://docs.slack.dev/reference/block-kit/composition-objects/confirmation-dialog-object)
 * saying in words what the step does.
 */
export function approveLook(m: Card, locale: Locale): Block {
  const style = isRiskyStep(m) ? 'danger' : 'primary';
  if (!m.confirm) return { style };
  const risk = m.risk ? RiskLabels[m.risk][locale] : '';
  return {
    style,
    confirm: {
      title: plain(CardLabels.confirmTitle[locale], 100),
      text: plain(CardLabels.confirmAsk(m.title[locale], risk)[locale], 300),
      confirm: plain(CardLabels.confirmApprove[locale], 30),
      deny: plain(CardLabels.cancel[locale], 30),
      style: 'danger',
    },
  };
}

/**
 * An answer the playbook asks to confirm (taking the offline path, saying offline work is
 * done) gets the same confirmation dialog as a risky Approve.
 */
export function answerLook(m: Card, answer: Card['answers'][number], locale: Locale): Block {
  if (!answer.confirm) return {};
  return {
    confirm: {
      title: plain(CardLabels.confirmTitle[locale], 100),
      text: plain(CardLabels.confirmAnswer(m.title[locale], answer.label[locale])[locale], 300),
      confirm: plain(CardLabels.confirmYes[locale], 30),
      deny: plain(CardLabels.cancel[locale], 30),
    },
  };
}

/**
 * Fields for the step's parameters, filled with the value that runs unless someone changes
 * it. Only on cards with Approve: a manual step's parameters are shown as text, since the
 * operator runs its script elsewhere.
 *
 * Slack sends the current value of every field of a message in the `state.values` of the
 * `block_actions` payload of any button pressed in it
 * (https://docs.slack.dev/reference/interaction-payloads/block_actions-payload), so Approve
 * carries what was chosen with no extra round trip and no modal:
 * one `input` block per parameter, which Slack documents for messages as well as modals and
 * home tabs (https://docs.slack.dev/reference/block-kit/blocks/input-block,
 * https://docs.slack.dev/reference/block-kit/block-elements/plain-text-input-element): a
 * `static_select` for enum and boolean, a `plain_text_input` for integer and string. Input
 * blocks rather than an `actions` block keep the card's one `actions` block its buttons, and
 * they send nothing until a button is pressed.
 * The engine checks every value against the playbook's parameter types before it accepts
 * the approval (resolveParams); nothing is checked here.
 */
export function paramBlocks(m: Card, locale: Locale): Block[] {
  if (!m.params.length) return [];
  const line = `*${CardLabels.parameters[locale]}:* ${m.params.map((p) => `${escapeSlack(p.label[locale])} \`${escapeSlack(p.name)}=${escapeSlack(shown(p))}\``).join(', ')}`;
  // With fields, the fields show the values; a line of defaults beside them would be stale
  // once someone changes one (and on the decided card, which drops the fields).
  if (!m.actions.includes('approve')) return [{ type: 'section', text: mrkdwnText(line) }];
  const id = (p: CardParam) => `rdpfix_p_${m.stepId}_${m.attempt}_${p.name}`.slice(0, 255);
  const fields = m.params.map((p): Block => {
    const choices =
      p.type === 'enum' ? (p.values ?? []) : p.type === 'boolean' ? ['true', 'false'] : undefined;
    // The value goes back as typed; what is shown is escaped like any data (plain_text too).
    const option = (v: string) => ({ text: plain(escapeSlack(v), 75), value: v.slice(0, 150) });
    const initial = p.value === undefined ? undefined : String(p.value);
    const element = choices
      ? {
          type: 'static_select',
          options: choices.slice(0, 100).map(option),
          ...(initial !== undefined && choices.includes(initial) ? { initial_option: option(initial) } : {}),
        }
      : { type: 'plain_text_input', ...(initial === undefined ? {} : { initial_value: initial }) };
    return {
      type: 'input',
      block_id: id(p),
      optional: true,
      label: plain(escapeSlack(`${p.label[locale]} (${p.name})`), 2000),
      element: { ...element, action_id: `${ParamActionPrefix}${p.name}` },
    };
  });
  const hint = mrkdwnText(escapeSlack(CardLabels.paramsHint[locale]));
  return [...fields, { type: 'context', block_id: ParamHintBlock, elements: [hint] }];
}

function shown(p: CardParam): string {
  return p.value === undefined ? '?' : String(p.value);
}

function plain(text: string, max: number) {
  return { type: 'plain_text', text: clip(text, max - 1), emoji: true };
}

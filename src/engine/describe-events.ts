import { ErrorCodes } from '../core/errors';
import type { TranscriptDraft } from '../core/transcript';
import type { Localized } from '../core/types';
import type { Playbook } from '../playbook/load-playbook';
import type { IncidentContext, IncidentEmitted, StepParams } from '../playbook/machine-types';
import { needsApproval } from '../playbook/outcomes';
import type { StepDef } from '../playbook/schema';
import { defaultParams, factsOf } from '../playbook/step-params';
import { type CardParam, cardKey, type OutMessage } from './messages';
import { Texts } from './texts';

/** Outcomes of a step that gave no evidence (see compile-playbook's failure routes). */
const FailedOutcomes = new Set(['failed', 'unreadable']);

/** Transcript entries and messages for what the machine announced during one transition. */
export interface Described {
  drafts: TranscriptDraft[];
  messages: OutMessage[];
}

/**
 * Turns the machine's announcements into transcript entries and channel-neutral messages.
 * Pure: the context is the one after the transition.
 */
export function describeEvents(
  playbook: Playbook,
  incidentId: string,
  context: IncidentContext,
  emitted: readonly IncidentEmitted[],
): Described {
  const out: Described = { drafts: [], messages: [] };
  // A step refused by Azure for a missing right: the card that follows says what to grant.
  let refusedAction: string | undefined;
  for (const event of emitted) {
    switch (event.type) {
      case 'stepAwaiting': {
        const step = playbook.stepById.get(event.stepId);
        if (!step) break;
        const card = stepCard(incidentId, step, event.attempt, context, event.afterUnknown, {
          scriptSha256: scriptSha256Of(playbook, step),
        });
        if (refusedAction !== undefined && !card.notice) card.notice = Texts.permissionMissing(refusedAction);
        out.drafts.push({
          kind: event.afterUnknown ? 'step.outcomeUnknown' : 'step.awaiting',
          actor: null,
          data: {
            stepId: step.id,
            attempt: event.attempt,
            params: Object.fromEntries(card.params.map((p) => [p.name, p.value])),
          },
        });
        out.messages.push(card);
        break;
      }
      case 'stepNotApplicable': {
        const step = playbook.stepById.get(event.stepId);
        out.drafts.push({ kind: 'step.notApplicable', actor: null, data: { stepId: event.stepId } });
        if (step) out.messages.push({ kind: 'notice', text: Texts.notApplicable(step.title.en) });
        break;
      }
      case 'stepFinished': {
        out.drafts.push({
          kind: 'step.finished',
          actor: null,
          data: { stepId: event.stepId, attempt: event.attempt, outcome: event.outcome },
        });
        const error = context.steps[event.stepId]?.error;
        if (event.outcome === 'failed' && error?.code === ErrorCodes.AzureForbidden)
          refusedAction = error.action ?? '(named above)';
        // A diagnostic that failed or printed no readable result found nothing: it is not "no cause".
        if (event.causes && !FailedOutcomes.has(event.outcome)) {
          out.drafts.push({
            kind: 'causes.found',
            actor: null,
            data: { stepId: event.stepId, causes: event.causes },
          });
          const found = event.causes.length === 0 ? Texts.noCauses() : Texts.causesFound(event.causes.length);
          out.messages.push({
            kind: 'causes',
            text: withUnchecked(found, context.evidence),
            causes: event.causes,
          });
        }
        break;
      }
      case 'incidentEnded': {
        out.drafts.push({
          kind: 'incident.ended',
          actor: null,
          data: { outcome: event.outcome, reason: event.reason },
        });
        out.messages.push(summary(playbook, context, event.outcome, event.reason));
        break;
      }
    }
  }
  return out;
}

/**
 * The sha256 of the script a runCommand step runs, as the loaded playbook has it: what an
 * approval is bound to. Undefined for steps that run no script on the VM.
 */
export function scriptSha256Of(playbook: Playbook, step: StepDef): string | undefined {
  if (step.kind !== 'runCommand' || !('script' in step) || !step.script) return undefined;
  return playbook.scripts[step.script]?.sha256;
}

/** Whether approving the step asks "are you sure?" first: a restart always, else as the playbook says. */
export function asksToConfirm(step: StepDef): boolean {
  return 'risk' in step ? (step.confirm ?? step.risk === 'restartsVm') : false;
}

export function stepCard(
  incidentId: string,
  step: StepDef,
  attempt: number,
  context: IncidentContext,
  afterUnknown: boolean,
  /** `values`: what the card's fields show instead of the defaults (a first approval's choice). */
  extra: { scriptSha256?: string | undefined; notice?: Localized; values?: StepParams } = {},
): Extract<OutMessage, { kind: 'stepCard' }> {
  const defs = 'params' in step ? step.params : {};
  const defaults = { ...defaultParams(defs, factsOf(context)), ...extra.values };
  const params: CardParam[] = Object.entries(defs).map(([name, def]) => ({
    name,
    label: def.label,
    type: def.type,
    value: defaults[name],
    ...(def.type === 'enum' ? { values: def.values } : {}),
  }));
  const relevant = step.when?.causes ?? [];
  const reasons: Localized[] = context.causes.filter((c) => relevant.includes(c.id)).map((c) => c.reason);
  const approval = needsApproval(step);
  const script = 'script' in step && step.script ? step.script : undefined;
  return {
    kind: 'stepCard',
    key: cardKey(incidentId, step.id, attempt),
    stepId: step.id,
    attempt,
    stepKind: step.kind,
    section: step.section,
    title: step.title,
    explain: step.explain,
    ...(step.warning ? { warning: step.warning } : {}),
    ...(extra.notice ? { notice: extra.notice } : afterUnknown ? { notice: Texts.outcomeUnknown() } : {}),
    ...('risk' in step ? { risk: step.risk } : {}),
    confirm: asksToConfirm(step),
    params,
    reasons,
    actions: approval
      ? ['approve', 'skip', 'abort', ...(script ? (['showScript'] as const) : [])]
      : ['abort', ...(script ? (['showScript'] as const) : [])],
    answers:
      'answers' in step
        ? step.answers.map((a) => ({ id: a.id, label: a.label, ...(a.confirm ? { confirm: true } : {}) }))
        : [],
    ...(script ? { script } : {}),
    ...(extra.scriptSha256 ? { scriptSha256: extra.scriptSha256 } : {}),
  };
}

function summary(
  playbook: Playbook,
  context: IncidentContext,
  outcome: Extract<OutMessage, { kind: 'summary' }>['outcome'],
  reason: string | null,
): OutMessage {
  const steps = Object.entries(context.steps)
    .filter(([, record]) => record.outcome !== undefined)
    .map(([stepId, record]) => ({
      stepId,
      title: playbook.stepById.get(stepId)?.title ?? { en: stepId, it: stepId },
      outcome: record.outcome ?? 'pending',
      ...(record.approvedBy ? { approvedBy: record.approvedBy.by.name ?? record.approvedBy.by.id } : {}),
    }));
  return {
    kind: 'summary',
    outcome,
    text: Texts.ended[outcome](),
    reason,
    causes: context.firstCauses ?? context.causes,
    steps,
  };
}

/**
 * The sentence about causes, followed by the checks that could not run (the evidence's
 * `unknown`, DESIGN.md "Script result contract"): "could not check X (why)".
 */
function withUnchecked(text: Localized, evidence: unknown): Localized {
  const unknown = (evidence as { unknown?: unknown } | null)?.unknown;
  if (!unknown || typeof unknown !== 'object') return text;
  const entries = Object.entries(unknown as Record<string, unknown>);
  if (entries.length === 0) return text;
  const list = entries.map(([check, why]) => `${check} (${String(why)})`).join('; ');
  const unchecked = Texts.notChecked(list);
  return { en: `${text.en} ${unchecked.en}`, it: `${text.it} ${unchecked.it}` };
}

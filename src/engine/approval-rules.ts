import { ErrorCodes, Refusal } from '../core/errors';
import { canonicalJson } from '../core/transcript';
import { type Localized, perLocale, type User } from '../core/types';
import type { Playbook } from '../playbook/load-playbook';
import type { Decision, IncidentContext, StepParams } from '../playbook/machine-types';
import type { StepDef } from '../playbook/schema';
import type { IncidentRecord, PendingDecision } from '../store/incident-store';
import type { IncidentCommand } from './commands';
import type { Decided } from './decide-command';
import { scriptSha256Of, stepCard } from './describe-events';
import { cardKey, type OutMessage } from './messages';
import { Texts } from './texts';

/**
 * The approval rules of issue 17 that `decideCommand` applies on top of who may approve: an
 * approval bound to the exact script its card showed, and the two-person rule. Pure.
 */
/**
 * A refusal that also replaces the card the person pressed: the step's script changed since
 * the card was posted, so the old card is closed and a fresh one (with the current hash) posted.
 */
export class StaleCard extends Refusal {
  constructor(
    text: Localized,
    readonly messages: OutMessage[],
  ) {
    super(ErrorCodes.ScriptChanged, text);
    this.name = 'StaleCard';
  }
}

/**
 * An approval is bound to the exact script its card showed: a card posted before the
 * playbook's script changed (a redeploy while the incident waited), or one without a hash,
 * is refused, and a fresh card with the current script's hash takes its place.
 */
export function assertSameScript(
  record: IncidentRecord,
  playbook: Playbook,
  context: IncidentContext,
  step: StepDef,
  command: Extract<IncidentCommand, { type: 'approve' }>,
): void {
  const current = scriptSha256Of(playbook, step);
  if (current === undefined || command.scriptSha256 === current) return;
  const text = perLocale((l) => Texts.refused.scriptChanged(step.title[l])[l]);
  throw new StaleCard(text, [
    closeCard(record.id, step.id, command.attempt, Texts.scriptChanged()),
    stepCard(record.id, step, command.attempt, context, false, {
      scriptSha256: current,
      notice: Texts.scriptChangedNotice(),
    }),
  ]);
}

/** Approvals the waiting attempt has already had (two-person rule). */
export function approvalsOf(
  record: IncidentRecord,
  command: { stepId: string; attempt: number },
): PendingDecision[] {
  const pending = record.pending;
  if (!pending || pending.stepId !== command.stepId || pending.attempt !== command.attempt) return [];
  return pending.approvals ?? [];
}

/**
 * The first of two approvals: recorded (transcript, and the card replaced by one that says who
 * approved and waits for a second, different approver); the machine is not told, nothing runs.
 */
export function firstOfTwo(
  record: IncidentRecord,
  playbook: Playbook,
  context: IncidentContext,
  step: StepDef,
  command: Extract<IncidentCommand, { type: 'approve' }>,
  decision: Decision,
  params: StepParams,
): Decided {
  const name = who(command.user);
  const values = describeValues(params);
  return {
    // The values go with the approval: the second approver approves these, not others.
    approvals: [{ ...decision, params }],
    drafts: [
      {
        kind: 'step.approved',
        actor: command.user.id,
        data: { stepId: step.id, attempt: command.attempt, params, by: command.user, approvals: 1, needs: 2 },
      },
    ],
    messages: [
      closeCard(record.id, step.id, command.attempt, Texts.firstApproval(name, decision.at)),
      stepCard(record.id, step, command.attempt, context, false, {
        scriptSha256: scriptSha256Of(playbook, step),
        notice: values
          ? perLocale((l) => `${Texts.secondApprovalNeeded(name)[l]} ${Texts.approvedValues(values)[l]}`)
          : Texts.secondApprovalNeeded(name),
        values: params,
      }),
    ],
  };
}

/**
 * The values a second approval runs: the first approval's. A second approval that resolves to
 * other values (the fields were changed) is refused: two people must agree on what runs.
 */
export function agreedParams(earlier: PendingDecision[], resolved: StepParams, given: boolean): StepParams {
  const agreed = earlier[0]?.params;
  if (!agreed) return resolved;
  if (given && canonicalJson(agreed) !== canonicalJson(resolved)) {
    throw new Refusal(ErrorCodes.InvalidParameter, Texts.refused.otherValues(describeValues(agreed)));
  }
  return agreed;
}

/** `Port=3390, Versions=1.2` — parameter values as a person reads them. */
function describeValues(params: Record<string, unknown>): string {
  return Object.entries(params)
    .map(([name, value]) => `${name}=${String(value)}`)
    .join(', ');
}

export function closeCard(incidentId: string, stepId: string, attempt: number, text: Localized): OutMessage {
  return { kind: 'cardClosed', key: cardKey(incidentId, stepId, attempt), stepId, attempt, text };
}

export function who(user: User): string {
  return user.name ?? user.id;
}

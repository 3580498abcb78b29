import {
  type ApprovalPolicy,
  checkApprover,
  isSameConversation,
  maySteer,
  needsTwoApprovers,
} from '../core/approval-policy';
import { ErrorCodes, isRdpFixError, Refusal } from '../core/errors';
import { shorten } from '../core/shorten';
import type { TranscriptDraft } from '../core/transcript';
import { perLocale } from '../core/types';
import { stepOfState } from '../playbook/compile-playbook';
import type { Playbook } from '../playbook/load-playbook';
import { changeMade } from '../playbook/machine-setup';
import type { Decision, IncidentContext, IncidentEvent } from '../playbook/machine-types';
import { needsApproval } from '../playbook/outcomes';
import type { StepDef } from '../playbook/schema';
import { factsOf, resolveParams, UndoAll } from '../playbook/step-params';
import type { IncidentRecord, PendingDecision } from '../store/incident-store';
import {
  agreedParams,
  approvalsOf,
  assertSameScript,
  closeCard,
  firstOfTwo,
  StaleCard,
  who,
} from './approval-rules';
import type { IncidentCommand } from './commands';
import type { OutMessage } from './messages';
import { Texts } from './texts';
import { contextOf, stateValueOf } from './transition-incident';

export { closeCard, StaleCard };

export interface Decided {
  /**
   * The machine event; none when the decision is only recorded (the first of two approvals):
   * then `approvals` is what the waiting step has so far, saved with the record.
   */
  event?: IncidentEvent;
  approvals?: PendingDecision[];
  drafts: TranscriptDraft[];
  messages: OutMessage[];
}

/**
 * Decides whether a command may change an open incident, and into which machine event,
 * transcript entries and card updates it turns. Pure; throws a `Refusal` otherwise.
 * A person's decision counts only from the incident's own platform and conversation.
 */
export function decideCommand(
  record: IncidentRecord,
  playbook: Playbook,
  policy: ApprovalPolicy,
  command: IncidentCommand,
  now: Date,
): Decided {
  const context = contextOf(record.snapshot);
  const at = now.toISOString();
  if ('from' in command && !isSameConversation(command.from, record.channel)) {
    throw new Refusal(ErrorCodes.WrongConversation, Texts.refused.wrongConversation());
  }
  switch (command.type) {
    case 'approve': {
      const step = assertDecidable(record, playbook, policy, context, command, true);
      assertSameScript(record, playbook, context, step, command);
      let params: ReturnType<typeof resolveParams>;
      try {
        params = resolveParams('params' in step ? step.params : {}, command.params, factsOf(context));
      } catch (err) {
        if (isRdpFixError(err)) throw new Refusal(err.code, Texts.refused.invalidParams(err.message));
        throw err;
      }
      const decision: Decision = { by: command.user, at };
      if (needsTwoApprovers(policy, 'risk' in step ? step.risk : undefined)) {
        const earlier = approvalsOf(record, command);
        if (earlier.some((d) => d.by.id === command.user.id))
          throw new Refusal(ErrorCodes.SecondApproverNeeded, Texts.refused.secondApprover());
        if (earlier.length === 0)
          return firstOfTwo(record, playbook, context, step, command, decision, params);
        params = agreedParams(earlier, params, command.params !== undefined);
      }
      const approvers = [...approvalsOf(record, command), decision].map((d) => who(d.by)).join(' + ');
      return {
        event: {
          type: 'APPROVE',
          stepId: step.id,
          attempt: command.attempt,
          decision,
          params,
        },
        drafts: [
          {
            kind: 'step.approved',
            actor: command.user.id,
            data: { stepId: step.id, attempt: command.attempt, params, by: command.user },
          },
        ],
        messages: [closeCard(record.id, step.id, command.attempt, Texts.approved(approvers, at))],
      };
    }
    case 'skip': {
      const step = assertDecidable(record, playbook, policy, context, command, true);
      return {
        event: {
          type: 'SKIP',
          stepId: step.id,
          attempt: command.attempt,
          decision: { by: command.user, at },
        },
        drafts: [
          {
            kind: 'step.skipped',
            actor: command.user.id,
            data: { stepId: step.id, attempt: command.attempt, by: command.user },
          },
        ],
        messages: [closeCard(record.id, step.id, command.attempt, Texts.skipped(who(command.user), at))],
      };
    }
    case 'answer': {
      const step = assertDecidable(record, playbook, policy, context, command, false);
      const answer = 'answers' in step ? step.answers.find((a) => a.id === command.answer) : undefined;
      if (!answer)
        throw new Refusal(ErrorCodes.InvalidAnswer, Texts.refused.invalidAnswer(shorten(command.answer)));
      return {
        event: {
          type: 'ANSWER',
          stepId: step.id,
          attempt: command.attempt,
          answer: answer.id,
          decision: { by: command.user, at },
        },
        drafts: [
          {
            kind: 'step.answered',
            actor: command.user.id,
            data: { stepId: step.id, attempt: command.attempt, answer: answer.id, by: command.user },
          },
        ],
        messages: [
          closeCard(record.id, step.id, command.attempt, Texts.answered(who(command.user), answer.label.en)),
        ],
      };
    }
    case 'abort': {
      if (!maySteer(policy, command.user, record.requester, record.channel.platform)) {
        throw new Refusal(ErrorCodes.NotAuthorised, Texts.refused.notAllowed());
      }
      const reason = command.reason ? shorten(command.reason, 200) : undefined;
      return {
        event: { type: 'ABORT', decision: { by: command.user, at }, ...(reason ? { reason } : {}) },
        drafts: [
          {
            kind: 'incident.aborted',
            actor: command.user.id,
            data: { by: command.user, reason: reason ?? null },
          },
        ],
        messages: context.current
          ? [closeCard(record.id, context.current.stepId, context.current.attempt, Texts.ended.aborted())]
          : [],
      };
    }
    case 'undo': {
      if (!maySteer(policy, command.user, record.requester, record.channel.platform)) {
        throw new Refusal(ErrorCodes.NotAuthorised, Texts.refused.notAllowed());
      }
      // From a step waiting for a person only: a script running now must report first.
      const phase = stepOfState(stateValueOf(record.snapshot));
      if (!playbook.onUndo || !context.current || phase?.phase !== 'awaiting') {
        if (phase?.phase === 'running')
          throw new Refusal(ErrorCodes.StepNotCurrent, Texts.refused.undoWhileRunning(phase.stepId));
        throw new Refusal(ErrorCodes.StepNotCurrent, Texts.refused.nothingToUndo());
      }
      if (
        !changeMade(context, playbook.stepById, playbook.onUndo) ||
        context.current.stepId === playbook.onUndo
      )
        throw new Refusal(ErrorCodes.StepNotCurrent, Texts.refused.nothingToUndo());
      // `undo <id> all` is the plain undo.
      const named = command.step === UndoAll ? undefined : command.step;
      if (named !== undefined) assertUndoable(playbook, context, named);
      const step = named ? { step: named } : {};
      return {
        event: { type: 'UNDO', decision: { by: command.user, at }, ...step },
        drafts: [{ kind: 'incident.undoAsked', actor: command.user.id, data: { by: command.user, ...step } }],
        messages: [
          closeCard(
            record.id,
            context.current.stepId,
            context.current.attempt,
            named
              ? Texts.ended.undoStepAsked(who(command.user), named)
              : Texts.ended.undoAsked(who(command.user)),
          ),
        ],
      };
    }
    case 'stepResult': {
      const isRunning = stepOfState(stateValueOf(record.snapshot))?.phase === 'running';
      if (
        !isRunning ||
        context.current?.stepId !== command.stepId ||
        context.current.attempt !== command.attempt
      ) {
        // A late or repeated result (e.g. delivered twice after a restart): the step has moved
        // on, or was never sent (a result for a step still waiting for its approval).
        throw new Refusal(ErrorCodes.StepNotCurrent, Texts.refused.notCurrent(command.stepId));
      }
      return {
        event: {
          type: 'STEP_RESULT',
          stepId: command.stepId,
          attempt: command.attempt,
          result: command.result,
        },
        drafts: [],
        messages: [],
      };
    }
    case 'vmChecked': {
      // Another replica may have checked the same VM after a crash: the first result saved wins.
      if (record.state !== 'preflight')
        throw new Refusal(ErrorCodes.StepNotCurrent, Texts.refused.notCurrent('preflight'));
      const check = { status: command.status, ...(command.detail ? { detail: command.detail } : {}) };
      const why = command.detail ?? command.status;
      return {
        event: { type: 'VM_STATUS', ...check },
        drafts: [{ kind: 'vm.checked', actor: null, data: check }],
        messages: [
          {
            kind: 'notice',
            text:
              command.status === 'ready'
                ? Texts.vmReady()
                : command.status === 'agentNotReady'
                  ? Texts.vmAgentDown(why)
                  : command.status === 'stopped'
                    ? Texts.vmStopped(why)
                    : command.status === 'notRunning'
                      ? Texts.vmNotRunning(why, record.vm.resourceGroup, record.vm.name)
                      : Texts.vmCannotAct(why),
          },
        ],
      };
    }
    case 'expire': {
      if (record.pending?.stepId !== command.stepId || record.pending.attempt !== command.attempt) {
        throw new Refusal(ErrorCodes.StepNotCurrent, Texts.refused.notCurrent(command.stepId));
      }
      return {
        event: { type: 'EXPIRE', stepId: command.stepId, attempt: command.attempt, at },
        drafts: [
          {
            kind: 'approval.expired',
            actor: null,
            data: { stepId: command.stepId, attempt: command.attempt },
          },
        ],
        messages: [closeCard(record.id, command.stepId, command.attempt, Texts.expired())],
      };
    }
  }
}

/**
 * Checks that a person may decide on the step they clicked and that it is the step
 * waiting now, in the attempt their card shows. VM/Azure steps follow the approval policy;
 * questions and manual steps may be answered by the requester or an approver.
 */
function assertDecidable(
  record: IncidentRecord,
  playbook: Playbook,
  policy: ApprovalPolicy,
  context: IncidentContext,
  command: Extract<IncidentCommand, { type: 'approve' | 'skip' | 'answer' }>,
  wantsApprovalStep: boolean,
): StepDef {
  const step = playbook.stepById.get(command.stepId);
  // Each language names the step in its own words; an unknown id is shown as given (cut short).
  const title = step?.title ?? perLocale(() => shorten(command.stepId));
  const notCurrent = perLocale((l) => Texts.refused.notCurrent(title[l])[l]);
  if (!step || needsApproval(step) !== wantsApprovalStep) {
    throw new Refusal(ErrorCodes.StepNotCurrent, notCurrent);
  }
  if (needsApproval(step)) {
    const check = checkApprover(policy, command.user, record.requester, record.channel.platform);
    if (!check.allowed) throw new Refusal(ErrorCodes.NotAuthorised, Texts.refused[check.reason]());
  } else if (!maySteer(policy, command.user, record.requester, record.channel.platform)) {
    throw new Refusal(ErrorCodes.NotAuthorised, Texts.refused.notAllowed());
  }
  const current = context.current;
  const isWaiting = stepOfState(stateValueOf(record.snapshot))?.phase === 'awaiting';
  if (!current || current.stepId !== step.id || current.attempt !== command.attempt || !isWaiting) {
    const earlier = context.steps[step.id];
    if (earlier?.approvedBy && earlier.attempt === command.attempt) {
      throw new Refusal(
        ErrorCodes.StepNotCurrent,
        Texts.refused.alreadyApproved(who(earlier.approvedBy.by), earlier.approvedBy.at),
      );
    }
    throw new Refusal(ErrorCodes.StepNotCurrent, notCurrent);
  }
  return step;
}

/**
 * `undo <incident> <step>`: the step must be one the undo can take back alone, and its prior
 * state must be saved on the VM and not yet put back; the refusal names the steps that can.
 */
function assertUndoable(playbook: Playbook, context: IncidentContext, step: string): void {
  const done = [...playbook.undoable].filter((id) => context.steps[id]?.priorSaved);
  if (done.includes(step)) return;
  const shown = shorten(step, 64);
  throw new Refusal(
    ErrorCodes.StepNotCurrent,
    playbook.undoable.has(step)
      ? Texts.refused.stepChangedNothing(shown, done)
      : Texts.refused.notUndoable(shown, done),
  );
}

import { assign, emit, setup } from 'xstate';
import { ErrorCodes } from '../core/errors';
import { evaluateCauses, matches } from './evaluate-causes';
import type { Playbook } from './load-playbook';
import type {
  EndOutcome,
  IncidentContext,
  IncidentEmitted,
  IncidentEvent,
  IncidentInput,
  StepRecord,
} from './machine-types';
import { SuccessOutcomes } from './outcomes';
import { type AzureAction, AzureActions, type StepDef, undoStepOf } from './schema';
import { factsOf } from './step-params';

type StepParam = { stepId: string };
const noSideEffect = () => {
  // Never called by the engine: xstate's transition() returns the named action instead of
  // running it (src/engine/transition-incident.ts). Declared so the names type-check.
};

const stepEffect = (_: unknown, _params: StepParam) => noSideEffect();
const azureEffects = Object.fromEntries(AzureActions.map((a) => [a, stepEffect])) as Record<
  AzureAction,
  typeof stepEffect
>;

function isCurrent(
  context: IncidentContext,
  event: { stepId: string; attempt: number },
  stepId: string,
): boolean {
  return (
    event.stepId === stepId && context.current?.stepId === stepId && context.current.attempt === event.attempt
  );
}

/** The end an owed undo interrupted, with the reason the end will carry. */
function pendingEndOf(
  event: IncidentEvent,
  outcome: EndOutcome,
): { outcome: EndOutcome; reason: string | null } {
  const reason =
    event.type === 'ABORT'
      ? (event.reason ?? `aborted by ${event.decision.by.name ?? event.decision.by.id}`)
      : event.type === 'EXPIRE'
        ? 'the approval expired'
        : null;
  return { outcome, reason };
}

function updateStep(context: IncidentContext, stepId: string, patch: Partial<StepRecord>) {
  const previous = context.steps[stepId] ?? { attempt: 0 };
  return { ...context.steps, [stepId]: { ...previous, ...patch } };
}

/**
 * The incident machine's vocabulary: its types, the named actions (context updates, emitted
 * events, and the side effects the engine replaces) and the guards its transitions refer to.
 * compilePlaybook builds the states from a playbook's steps with these names.
 */
export function setupIncidentMachine(playbook: Playbook) {
  const causeDefs = playbook.causes;
  const stepById = playbook.stepById;

  return setup({
    types: {
      context: {} as IncidentContext,
      events: {} as IncidentEvent,
      input: {} as IncidentInput,
      emitted: {} as IncidentEmitted,
    },
    actions: {
      // The side effects, one per name in SideEffects (compile-playbook.ts): checkVm, runStep
      // and one per Azure action.
      checkVm: noSideEffect,
      runStep: stepEffect,
      ...azureEffects,
      startAttempt: assign(({ context, event }, { stepId }: StepParam) => {
        const attempt = (context.steps[stepId]?.attempt ?? 0) + 1;
        const afterUnknown = event.type === 'STEP_RESULT' && event.result.outcome === 'unknown';
        // Offering the undo step discharges the undo: declining it is a person's decision.
        const owedUndo = (context.owedUndo ?? []).filter((owing) => undoOf(stepById.get(owing)) !== stepId);
        return {
          owedUndo,
          current: { stepId, attempt },
          steps: updateStep(context, stepId, {
            attempt,
            outcome: undefined,
            approvedBy: undefined,
            ...(afterUnknown
              ? { error: { code: ErrorCodes.OutcomeUnknown, message: 'dispatch outcome unknown' } }
              : {}),
          }),
        };
      }),
      announceAwaiting: emit(({ context, event }, { stepId }: StepParam) => ({
        type: 'stepAwaiting' as const,
        stepId,
        attempt: context.current?.attempt ?? 0,
        afterUnknown: event.type === 'STEP_RESULT' && event.result.outcome === 'unknown',
      })),
      recordApproval: assign(({ context, event }, { stepId }: StepParam) => {
        if (event.type !== 'APPROVE') return {};
        const owed = context.owedUndo ?? [];
        // Approved means it may run: from now on the VM may need the undo.
        const owedUndo = undoOf(stepById.get(stepId)) && !owed.includes(stepId) ? [...owed, stepId] : owed;
        return {
          owedUndo,
          steps: updateStep(context, stepId, { approvedBy: event.decision, params: event.params }),
        };
      }),
      recordOutcome: assign(({ context, event }, { stepId, outcome }: StepParam & { outcome: string }) => {
        const patch: Partial<StepRecord> = { outcome };
        if (event.type === 'STEP_RESULT' && event.result.error) patch.error = event.result.error;
        // What a step said, for later steps' `results/<step>/…` defaults (the evidence is kept apart).
        if (
          event.type === 'STEP_RESULT' &&
          event.result.data !== undefined &&
          !isEvidenceStep(stepById.get(stepId))
        )
          patch.data = event.result.data;
        const settles = settlesOf(stepById.get(stepId));
        const data = event.type === 'STEP_RESULT' ? event.result.data : undefined;
        const owedUndo = (context.owedUndo ?? []).filter(
          (owing) => !(settles[owing] && data !== undefined && matches(settles[owing], data)),
        );
        // The journal on the VM, mirrored: a saved prior state stays saved until an undo restores it.
        if (savedPriorState(data)) patch.priorSaved = true;
        let steps = updateStep(context, stepId, patch);
        if (stepId === playbook.onUndo) {
          for (const restored of restoredSteps(data))
            if (steps[restored]) steps = { ...steps, [restored]: { ...steps[restored]!, priorSaved: false } };
        }
        return {
          owedUndo,
          steps,
          current: null,
          ...(stepId === playbook.onUndo ? { undoStep: null } : {}),
        };
      }),
      holdEnd: assign(({ event }, { outcome }: { outcome: EndOutcome }) => ({
        pendingEnd: pendingEndOf(event, outcome),
      })),
      recordEvidence: assign(({ context, event }) => {
        if (event.type !== 'STEP_RESULT') return {};
        const causes = evaluateCauses(causeDefs, event.result.data);
        return {
          evidence: event.result.data ?? null,
          causes,
          firstEvidence: context.firstEvidence ?? event.result.data ?? null,
          firstCauses: context.firstCauses ?? causes,
        };
      }),
      announceFinished: emit(({ context, event }, { stepId, outcome }: StepParam & { outcome: string }) => ({
        type: 'stepFinished' as const,
        stepId,
        attempt: context.steps[stepId]?.attempt ?? 0,
        outcome,
        ...(event.type === 'STEP_RESULT' && isEvidenceStep(stepById.get(stepId))
          ? { causes: context.causes }
          : {}),
      })),
      announceNotApplicable: emit((_, { stepId }: StepParam) => ({
        type: 'stepNotApplicable' as const,
        stepId,
      })),
      enableWalkAll: assign({ walkAll: true }),
      /**
       * `undo <incident> <step>` names one step; a plain `undo` (or none) undoes them all. Asked
       * on the card of an owed undo (restore-group-policy, offered before an end), that undo is
       * owed again: offering it discharged it, but no one declined it, and an undo of one other
       * step leaves Group Policy paused.
       */
      recordUndoStep: assign(({ context, event }) => {
        const offered = context.current?.stepId;
        const owed = context.owedUndo ?? [];
        const owing = playbook.steps
          .filter((s) => undoOf(s) !== undefined && undoOf(s) === offered && context.steps[s.id]?.approvedBy)
          .map((s) => s.id)
          .filter((id) => !owed.includes(id));
        return {
          undoStep: event.type === 'UNDO' ? (event.step ?? null) : null,
          owedUndo: [...owed, ...owing],
        };
      }),
      recordVmStatus: assign(({ event }) =>
        event.type === 'VM_STATUS' ? { vmStatus: { status: event.status, detail: event.detail } } : {},
      ),
      recordEnd: assign(({ context, event }, { outcome }: { outcome: EndOutcome }) => ({
        outcome,
        current: null,
        endReason:
          event.type === 'VM_STATUS'
            ? (event.detail ?? event.status)
            : (pendingEndOf(event, outcome).reason ?? context.pendingEnd?.reason ?? null),
      })),
      announceEnd: emit(({ context }) => ({
        type: 'incidentEnded' as const,
        outcome: context.outcome ?? 'failed',
        reason: context.endReason,
      })),
    },
    guards: {
      isCurrent: ({ context, event }, { stepId }: StepParam) =>
        'stepId' in event && 'attempt' in event && isCurrent(context, event, stepId),
      notApplicable: ({ context }, { stepId }: StepParam) => !applies(stepById.get(stepId), context),
      featureOff: ({ context }, { stepId }: StepParam) => {
        const feature = stepById.get(stepId)?.when?.feature;
        return Boolean(feature && !(context.features ?? []).includes(feature));
      },
      resultIs: ({ context, event }, { stepId, outcome }: StepParam & { outcome: string }) =>
        event.type === 'STEP_RESULT' && isCurrent(context, event, stepId) && event.result.outcome === outcome,
      evidenceHas: ({ context, event }, { stepId, cause }: StepParam & { cause: string | null }) => {
        if (
          event.type !== 'STEP_RESULT' ||
          !isCurrent(context, event, stepId) ||
          event.result.outcome !== 'ok'
        ) {
          return false;
        }
        const found = evaluateCauses(causeDefs, event.result.data);
        return cause === null
          ? found.length === 0
          : cause === '*'
            ? found.length > 0
            : found.some((c) => c.id === cause);
      },
      answerIs: ({ context, event }, { stepId, answer }: StepParam & { answer: string }) =>
        event.type === 'ANSWER' && isCurrent(context, event, stepId) && event.answer === answer,
      offlineAsked: ({ context, event }) =>
        context.offline === true &&
        event.type === 'VM_STATUS' &&
        ['ready', 'agentNotReady', 'stopped'].includes(event.status),
      vmStatusIs: ({ event }, { status }: { status: string }) =>
        event.type === 'VM_STATUS' && event.status === status,
      /** An approved step still owes this undo step, and a person is not already being offered it. */
      undoOwed: ({ context }, { undoStep }: { undoStep: string }) =>
        context.current?.stepId !== undoStep &&
        (context.owedUndo ?? []).some((owing) => undoOf(stepById.get(owing)) === undoStep),
      pendingEndIs: ({ context }, { outcome }: { outcome: EndOutcome }) =>
        context.pendingEnd?.outcome === outcome,
      changeMade: ({ context }) => changeMade(context, stepById, playbook.onUndo),
    },
  });
}

/** The step that undoes this one, if any (`undo`). */
export function undoOf(step: StepDef | undefined): string | undefined {
  return undoStepOf(step);
}

/** The undos a step discharges (`settles`), by owing step id. */
function settlesOf(step: StepDef | undefined) {
  return (step?.kind === 'runCommand' && step.settles) || {};
}

/** A Run Command step whose output is the evidence the causes are read from. */
export function isEvidenceStep(step: StepDef | undefined): step is Extract<StepDef, { kind: 'runCommand' }> {
  return step?.kind === 'runCommand' && step.evidence;
}

/**
 * Whether a step applies: never while its `when.if` fails on the incident's facts; always in
 * walk-all mode or without a `when`; otherwise when any listed cause is present (or no evidence
 * exists yet to rule it out) or any listed step finished with success (or none is listed).
 */
export function applies(step: StepDef | undefined, context: IncidentContext): boolean {
  // `if` holds even in walk-all mode: it says whether the step can make sense at all.
  if (step?.when?.if && !matches(step.when.if, factsOf(context))) return false;
  if (!step?.when) return true;
  const { causes, ran, unless, feature } = step.when;
  // A feature switched off: the step is not part of the incident, walk-all included.
  if (feature && !(context.features ?? []).includes(feature)) return false;
  if (context.walkAll) return true;
  if (unless && context.evidence !== null && matches(unless, context.evidence)) return false;
  if (!causes && !ran) return true;
  if (causes && (context.evidence === null || causes.some((c) => context.causes.some((f) => f.id === c)))) {
    return true;
  }
  return Boolean(ran?.some((s) => SuccessOutcomes.has(context.steps[s]?.outcome ?? '')));
}

/**
 * Whether a step that changes the VM's configuration finished doing its job in this incident:
 * then there is something an undo can put back (its prior state is in the undo journal).
 */
export function changeMade(
  context: IncidentContext,
  stepById: ReadonlyMap<string, StepDef>,
  undoStep: string | undefined,
): boolean {
  return Object.entries(context.steps).some(([id, s]) => {
    const step = stepById.get(id);
    return (
      step?.kind === 'runCommand' &&
      step.risk === 'changesConfig' &&
      id !== undoStep &&
      SuccessOutcomes.has(s.outcome ?? '')
    );
  });
}

/** Whether a step's result says it saved a prior state for an undo (lib/undo-journal.ps1's file). */
export function savedPriorState(data: unknown): boolean {
  const file = (data as { undoFile?: unknown } | null | undefined)?.undoFile;
  return typeof file === 'string' && file.length > 0;
}

/** The steps an undo's result says it put back (undo-changes.ps1 `restored`). */
function restoredSteps(data: unknown): string[] {
  const restored = (data as { restored?: unknown } | null | undefined)?.restored;
  return Array.isArray(restored) ? restored.filter((s): s is string => typeof s === 'string') : [];
}

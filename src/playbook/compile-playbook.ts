import { assign, emit, setup } from 'xstate';
import { evaluateCauses } from './evaluate-causes';
import type { Playbook } from './load-playbook';
import type {
  EndOutcome,
  IncidentContext,
  IncidentEmitted,
  IncidentEvent,
  IncidentInput,
  StepRecord,
} from './machine-types';
import { CausePrefix, SuccessOutcomes } from './outcomes';
import type { StepDef } from './schema';

/** Names of the side effects the machine asks for; the engine supplies them with `provide()`. */
export const SideEffects = ['checkVm', 'runStep', 'snapshotDisk', 'restartVm', 'updateNsgRule'] as const;
export type SideEffect = (typeof SideEffects)[number];

/** The root id: targets are written `#incident.<state>`. */
const Root = 'incident';
const EndStates: readonly EndOutcome[] = ['resolved', 'unresolved', 'aborted', 'expired', 'failed'];

type StepParam = { stepId: string };
const noSideEffect = () => {
  // Replaced by the engine through machine.provide(); the bare machine stays pure for graph tests.
};

function isCurrent(
  context: IncidentContext,
  event: { stepId: string; attempt: number },
  stepId: string,
): boolean {
  return (
    event.stepId === stepId && context.current?.stepId === stepId && context.current.attempt === event.attempt
  );
}

function updateStep(context: IncidentContext, stepId: string, patch: Partial<StepRecord>) {
  const previous = context.steps[stepId] ?? { attempt: 0 };
  return { ...context.steps, [stepId]: { ...previous, ...patch } };
}

/**
 * Compiles a playbook to an xstate v5 machine. One top-level state per step:
 * `check` (does it apply?) → `awaiting` (a person approves, skips or answers) →
 * `running` (VM and Azure steps only; the engine dispatches and sends STEP_RESULT).
 * The machine reads no clock and performs no I/O: times arrive in events, side effects
 * are named actions supplied by the engine.
 */
export function compilePlaybook(playbook: Playbook) {
  const causeDefs = playbook.causes;
  const stepById = playbook.stepById;

  const machineSetup = setup({
    types: {
      context: {} as IncidentContext,
      events: {} as IncidentEvent,
      input: {} as IncidentInput,
      emitted: {} as IncidentEmitted,
    },
    actions: {
      checkVm: noSideEffect,
      runStep: (_: unknown, _params: StepParam) => noSideEffect(),
      snapshotDisk: (_: unknown, _params: StepParam) => noSideEffect(),
      restartVm: (_: unknown, _params: StepParam) => noSideEffect(),
      updateNsgRule: (_: unknown, _params: StepParam) => noSideEffect(),
      startAttempt: assign(({ context, event }, { stepId }: StepParam) => {
        const attempt = (context.steps[stepId]?.attempt ?? 0) + 1;
        const afterUnknown = event.type === 'STEP_RESULT' && event.result.outcome === 'unknown';
        return {
          current: { stepId, attempt },
          steps: updateStep(context, stepId, {
            attempt,
            outcome: undefined,
            approvedBy: undefined,
            ...(afterUnknown
              ? { error: { code: 'OUTCOME_UNKNOWN', message: 'dispatch outcome unknown' } }
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
        return { steps: updateStep(context, stepId, { approvedBy: event.decision, params: event.params }) };
      }),
      recordOutcome: assign(({ context, event }, { stepId, outcome }: StepParam & { outcome: string }) => {
        const patch: Partial<StepRecord> = { outcome };
        if (event.type === 'STEP_RESULT' && event.result.error) patch.error = event.result.error;
        return { steps: updateStep(context, stepId, patch), current: null };
      }),
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
      recordVmStatus: assign(({ event }) =>
        event.type === 'VM_STATUS' ? { vmStatus: { status: event.status, detail: event.detail } } : {},
      ),
      recordEnd: assign(({ event }, { outcome }: { outcome: EndOutcome }) => ({
        outcome,
        current: null,
        endReason:
          event.type === 'ABORT'
            ? (event.reason ?? `aborted by ${event.decision.by.name ?? event.decision.by.id}`)
            : event.type === 'EXPIRE'
              ? 'the approval expired'
              : event.type === 'VM_STATUS'
                ? (event.detail ?? event.status)
                : null,
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
      vmStatusIs: ({ event }, { status }: { status: string }) =>
        event.type === 'VM_STATUS' && event.status === status,
    },
  });

  type StateConfig = Parameters<typeof machineSetup.createStateConfig>[0];
  const target = (id: string) => `#${Root}.${id}`;

  const stepState = (step: StepDef): StateConfig => {
    const p = { stepId: step.id };
    const skippedTo = step.next.skipped;
    const check: StateConfig = {
      always: [
        ...(skippedTo && step.when
          ? [
              {
                guard: { type: 'notApplicable' as const, params: p },
                target: target(skippedTo),
                actions: [
                  { type: 'recordOutcome' as const, params: { ...p, outcome: 'skipped' } },
                  { type: 'announceNotApplicable' as const, params: p },
                ],
              },
            ]
          : []),
        { target: 'awaiting' },
      ],
    };
    const finish = (outcome: string, to: string) => ({
      target: target(to),
      actions: [
        { type: 'recordOutcome' as const, params: { ...p, outcome } },
        { type: 'announceFinished' as const, params: { ...p, outcome } },
      ],
    });

    // A new attempt each time a step waits for a person (again, after a retry or an unknown outcome).
    const awaitingEntry = [
      { type: 'startAttempt' as const, params: p },
      { type: 'announceAwaiting' as const, params: p },
    ];

    if (step.kind === 'question' || step.kind === 'manual') {
      return {
        initial: 'check',
        states: {
          check,
          awaiting: {
            entry: awaitingEntry,
            on: {
              ANSWER: step.answers.map((answer) => {
                const t = finish(answer.id, step.next[answer.id] ?? 'unresolved');
                return {
                  guard: { type: 'answerIs' as const, params: { ...p, answer: answer.id } },
                  target: t.target,
                  actions: answer.walkAll ? [...t.actions, { type: 'enableWalkAll' as const }] : t.actions,
                };
              }),
            },
          },
        },
      };
    }

    const sideEffect: SideEffect = step.kind === 'azure' ? step.action : 'runStep';
    const routes = isEvidenceStep(step)
      ? [
          ...Object.entries(step.next)
            .filter(([key]) => key.startsWith(CausePrefix))
            .map(([key, to]) => ({
              guard: { type: 'evidenceHas' as const, params: { ...p, cause: key.slice(CausePrefix.length) } },
              ...withEvidence(finish('causes', to)),
            })),
          {
            guard: { type: 'evidenceHas' as const, params: { ...p, cause: '*' } },
            ...withEvidence(finish('causes', step.next.causes ?? 'unresolved')),
          },
          {
            guard: { type: 'evidenceHas' as const, params: { ...p, cause: null } },
            ...withEvidence(finish('clear', step.next.clear ?? 'unresolved')),
          },
        ]
      : [
          {
            guard: { type: 'resultIs' as const, params: { ...p, outcome: 'ok' } },
            ...finish('ok', step.next.ok ?? 'unresolved'),
          },
        ];
    // Azure actions report ok or failed; only scripts can print unreadable output.
    const failureOutcomes =
      step.kind === 'runCommand' ? (['failed', 'unreadable'] as const) : (['failed'] as const);
    const failures = failureOutcomes
      .filter((outcome) => step.next[outcome])
      .map((outcome) => ({
        guard: { type: 'resultIs' as const, params: { ...p, outcome } },
        ...finish(outcome, step.next[outcome] ?? step.next.failed ?? 'unresolved'),
      }));

    return {
      initial: 'check',
      states: {
        check,
        awaiting: {
          entry: awaitingEntry,
          on: {
            APPROVE: {
              guard: { type: 'isCurrent', params: p },
              target: 'running',
              actions: [{ type: 'recordApproval', params: p }],
            },
            SKIP: {
              guard: { type: 'isCurrent', params: p },
              ...finish('skipped', skippedTo ?? 'unresolved'),
            },
            EXPIRE: {
              guard: { type: 'isCurrent', params: p },
              target: target('expired'),
            },
          },
        },
        running: {
          entry: [{ type: sideEffect, params: p }],
          on: {
            STEP_RESULT: [
              ...routes,
              ...failures,
              // The process restarted and cannot tell whether the step ran: ask a person again.
              { guard: { type: 'resultIs', params: { ...p, outcome: 'unknown' } }, target: 'awaiting' },
            ],
          },
        },
      },
    };
  };

  const states: Record<string, StateConfig> = {
    preflight: {
      entry: [{ type: 'checkVm' }],
      on: {
        VM_STATUS: [
          {
            guard: { type: 'vmStatusIs', params: { status: 'ready' } },
            target: target(playbook.entry),
            actions: [{ type: 'recordVmStatus' }],
          },
          {
            guard: { type: 'vmStatusIs', params: { status: 'agentNotReady' } },
            target: target(playbook.onAgentNotReady),
            actions: [{ type: 'recordVmStatus' }],
          },
          { target: target('failed'), actions: [{ type: 'recordVmStatus' }] },
        ],
      },
    },
  };
  for (const step of playbook.steps) states[step.id] = stepState(step);
  for (const outcome of EndStates) {
    states[outcome] = {
      type: 'final',
      entry: [{ type: 'recordEnd', params: { outcome } }, { type: 'announceEnd' }],
    };
  }

  return machineSetup.createMachine({
    id: Root,
    initial: 'preflight',
    context: ({ input }) => ({
      incidentId: input.incidentId,
      requester: input.requester,
      walkAll: input.walkAll ?? false,
      evidence: null,
      firstEvidence: null,
      causes: [],
      firstCauses: null,
      steps: {},
      current: null,
      outcome: null,
      endReason: null,
      vmStatus: null,
    }),
    on: { ABORT: { target: `.aborted` } },
    states,
  });
}

export type IncidentMachine = ReturnType<typeof compilePlaybook>;

function withEvidence<T extends { actions: readonly { type: string }[] }>(transition: T) {
  return { ...transition, actions: [{ type: 'recordEvidence' as const }, ...transition.actions] };
}

function isEvidenceStep(step: StepDef | undefined): step is Extract<StepDef, { kind: 'runCommand' }> {
  return step?.kind === 'runCommand' && step.evidence;
}

/**
 * Whether a step applies: always in walk-all mode or without a `when`; otherwise when any
 * listed cause is present (or no evidence exists yet to rule it out) or any listed step
 * finished with success.
 */
export function applies(step: StepDef | undefined, context: IncidentContext): boolean {
  if (!step?.when || context.walkAll) return true;
  const { causes, ran } = step.when;
  if (causes && (context.evidence === null || causes.some((c) => context.causes.some((f) => f.id === c)))) {
    return true;
  }
  return Boolean(ran?.some((s) => SuccessOutcomes.has(context.steps[s]?.outcome ?? '')));
}

/** Whether a state value is a step waiting for a VM/Azure dispatch result. */
export function stepOfState(value: unknown): { stepId: string; phase: string } | null {
  if (typeof value !== 'object' || value === null) return null;
  const [stepId, phase] = Object.entries(value)[0] ?? [];
  return typeof stepId === 'string' && typeof phase === 'string' ? { stepId, phase } : null;
}

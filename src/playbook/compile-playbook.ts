import type { Playbook } from './load-playbook';
import { isEvidenceStep, setupIncidentMachine, undoOf } from './machine-setup';
import type { EndOutcome } from './machine-types';
import { CausePrefix } from './outcomes';
import { AzureActions, ResumeEnd, type StepDef } from './schema';

/**
 * Names of the side effects the machine asks for. The engine never runs them through xstate:
 * its pure `transition()` returns them as actions, run only after the transition is saved.
 */
export const SideEffects = ['checkVm', 'runStep', ...AzureActions] as const;
export type SideEffect = (typeof SideEffects)[number];

/** The root id: targets are written `#incident.<state>`. */
const Root = 'incident';
const EndStates: readonly EndOutcome[] = ['resolved', 'unresolved', 'aborted', 'expired', 'failed'];
/** Ends a person's decision or a step leads to; an owed undo step is offered before each. */
const GatedEnds: readonly EndOutcome[] = ['resolved', 'unresolved', 'aborted', 'expired'];
/** Transient states (eventless transitions only: a snapshot never rests in them). */
const endingState = (outcome: EndOutcome) => `ending-${outcome}`;
const ResumeState = 'resume-end';

/**
 * Compiles a playbook to an xstate v5 machine. One top-level state per step:
 * `check` (does it apply?) → `awaiting` (a person approves, skips or answers) →
 * `running` (VM and Azure steps only; the engine dispatches and sends STEP_RESULT).
 * The machine reads no clock and performs no I/O: times arrive in events, side effects
 * are named actions (machine-setup.ts names them) that the engine reads from xstate's pure
 * `transition()` and runs only after the transition is saved.
 */
export function compilePlaybook(playbook: Playbook) {
  const machineSetup = setupIncidentMachine(playbook);
  const undoSteps = [...new Set(playbook.steps.map(undoOf).filter((u): u is string => Boolean(u)))];

  type StateConfig = Parameters<typeof machineSetup.createStateConfig>[0];
  const ref = (id: string) => `#${Root}.${id}`;
  /** Ends go through their gate (an owed undo first); `end` resumes the end an undo interrupted. */
  const target = (id: string) =>
    id === ResumeEnd
      ? ref(ResumeState)
      : undoSteps.length > 0 && (GatedEnds as readonly string[]).includes(id)
        ? ref(endingState(id as EndOutcome))
        : ref(id);
  /** Offer each owed undo step before `outcome`, remembering the end to resume after it. */
  const offerUndo = (outcome: EndOutcome) =>
    undoSteps.map((undoStep) => ({
      guard: { type: 'undoOwed' as const, params: { undoStep } },
      target: ref(undoStep),
      actions: [{ type: 'holdEnd' as const, params: { outcome } }],
    }));

  const stepState = (step: StepDef): StateConfig => {
    const p = { stepId: step.id };
    const skippedTo = step.next.skipped;
    const check: StateConfig = {
      always: [
        // A feature switched off: the step is not part of this incident at all, so it is passed
        // by without a word (the automated offline path gives way to the manual guidance).
        ...(skippedTo && step.when?.feature
          ? [{ guard: { type: 'featureOff' as const, params: p }, target: target(skippedTo) }]
          : []),
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
          // `--offline`: the offline repair whatever the VM's state, as long as it exists.
          {
            guard: { type: 'offlineAsked' },
            target: target(playbook.onOffline ?? playbook.onAgentNotReady),
            actions: [{ type: 'recordVmStatus' }],
          },
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
          ...(playbook.onVmStopped
            ? [
                {
                  guard: { type: 'vmStatusIs' as const, params: { status: 'stopped' as const } },
                  target: target(playbook.onVmStopped),
                  actions: [{ type: 'recordVmStatus' as const }],
                },
              ]
            : []),
          { target: target('failed'), actions: [{ type: 'recordVmStatus' }] },
        ],
      },
    },
  };
  for (const step of playbook.steps) states[step.id] = stepState(step);
  if (undoSteps.length > 0) {
    for (const outcome of GatedEnds) {
      states[endingState(outcome)] = { always: [...offerUndo(outcome), { target: ref(outcome) }] };
    }
    states[ResumeState] = {
      always: [
        ...GatedEnds.map((outcome) => ({
          guard: { type: 'pendingEndIs' as const, params: { outcome } },
          target: ref(endingState(outcome)),
        })),
        { target: ref(endingState('unresolved')) },
      ],
    };
  }
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
      features: input.features ?? [],
      offline: input.offline ?? false,
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
    // An abort after a step that owes an undo (Group Policy paused) offers the undo first.
    on: {
      ABORT: [...offerUndo('aborted'), { target: ref('aborted') }],
      // `undo <incident>` in chat: from a step waiting for a person, once a step changed the VM
      // (decideCommand refuses it otherwise, with the reason).
      ...(playbook.onUndo
        ? {
            UNDO: [
              {
                guard: { type: 'changeMade' as const },
                target: ref(playbook.onUndo),
                actions: [{ type: 'recordUndoStep' as const }],
              },
            ],
          }
        : {}),
    },
    states,
  });
}

export type IncidentMachine = ReturnType<typeof compilePlaybook>;

function withEvidence<T extends { actions: readonly { type: string }[] }>(transition: T) {
  return { ...transition, actions: [{ type: 'recordEvidence' as const }, ...transition.actions] };
}

/** Whether a state value is a step waiting for a VM/Azure dispatch result. */
export function stepOfState(value: unknown): { stepId: string; phase: string } | null {
  if (typeof value !== 'object' || value === null) return null;
  const [stepId, phase] = Object.entries(value)[0] ?? [];
  return typeof stepId === 'string' && typeof phase === 'string' ? { stepId, phase } : null;
}

import { createActor, initialTransition, type SnapshotFrom } from 'xstate';
import { type IncidentMachine, type SideEffect, SideEffects } from '../playbook/compile-playbook';
import type {
  IncidentContext,
  IncidentEmitted,
  IncidentEvent,
  IncidentInput,
} from '../playbook/machine-types';

export interface Transitioned {
  /** The persisted snapshot, as JSON-safe data for the store. */
  snapshot: unknown;
  context: IncidentContext;
  state: string;
  done: boolean;
  emitted: IncidentEmitted[];
  /** Side effects the machine asked for, returned, not run: they start only after the save. */
  effects: { effect: SideEffect; stepId: string }[];
}

type Snapshot = SnapshotFrom<IncidentMachine>;

/**
 * The machine's first state for a new incident. Pure: xstate's `initialTransition` returns
 * the snapshot and the actions to run instead of running them (xstate 5.33,
 * `packages/core/src/transition.ts`).
 */
export function initialIncident(machine: IncidentMachine, input: IncidentInput): Transitioned {
  const [next, actions] = initialTransition(machine, input);
  return transitioned(machine, next, actions);
}

/**
 * One event applied to a stored snapshot. Pure, as `initialIncident`: no actor is created, so
 * an idle incident is only a row in the store, and nothing runs until the result is saved.
 */
export function transitionIncident(
  machine: IncidentMachine,
  stored: unknown,
  event: IncidentEvent,
): Transitioned {
  // The machine has no child actors and no history states: the persisted value and context
  // are the whole state (`resolveState` rebuilds the rest).
  const from = machine.resolveState(stored as Parameters<IncidentMachine['resolveState']>[0]);
  // xstate's `transition(logic, snapshot, event)` does this with a fresh inert actor per call,
  // whose constructor computes the machine's initial state (and, without input, throws and
  // catches an Error): most of a transition's CPU and garbage (issue 20). The scope below is
  // made once per machine; only the collector of actions is new per call.
  const actions: { type: string; params?: unknown }[] = [];
  const next = machine.transition(from, event, {
    ...inertScope(machine),
    actionExecutor: (action) => {
      actions.push(action);
    },
  });
  return transitioned(machine, next, actions);
}

type Scope = Parameters<IncidentMachine['transition']>[2];
const scopes = new WeakMap<IncidentMachine, Scope>();

/**
 * The actor scope `transition` runs the machine in: the same fields as xstate 5.33's
 * `createInertActorScope` (packages/core/src/transition.ts), kept per machine. Sharing it is
 * safe because nothing in it changes during a transition: the machine has no child actors or
 * delayed events (the system's registry and scheduler are never used; an action that would use
 * them is refused by `transitioned`), and emits and actions go to the per-call collector.
 */
function inertScope(machine: IncidentMachine): Scope {
  let scope = scopes.get(machine);
  if (!scope) {
    // Never started: only the `self` and `system` the actions' arguments name.
    const self = createActor(machine, {
      input: { incidentId: '', requester: { id: '' }, walkAll: false },
    });
    scope = {
      self,
      defer: () => {},
      id: '',
      logger: () => {},
      sessionId: '',
      stopChild: () => {},
      system: self.system,
      emit: () => {},
      actionExecutor: () => {},
    } as unknown as Scope;
    scopes.set(machine, scope);
  }
  return scope;
}

/**
 * Sorts the returned actions: the named side effects (`runStep` …), and `emit`s (xstate 5.33
 * returns them as `xstate.emit` actions whose params hold the event — checked in
 * test/engine/transition-incident.test.ts). Nothing else is expected: an unknown action is a
 * machine this engine does not know how to run, so it stops here instead of being dropped.
 */
function transitioned(
  machine: IncidentMachine,
  next: Snapshot,
  actions: { type: string; params?: unknown }[],
): Transitioned {
  const effects: Transitioned['effects'] = [];
  const emitted: IncidentEmitted[] = [];
  for (const action of actions) {
    if (action.type === 'xstate.emit') {
      emitted.push((action.params as { event: IncidentEmitted }).event);
    } else if (isSideEffect(action.type)) {
      effects.push({
        effect: action.type,
        stepId: (action.params as { stepId?: string } | undefined)?.stepId ?? '',
      });
    } else {
      throw new Error(`the incident machine asked for an action the engine does not run: ${action.type}`);
    }
  }
  return {
    snapshot: JSON.parse(JSON.stringify(machine.getPersistedSnapshot(next))) as unknown,
    context: next.context,
    state: stateText(next.value),
    done: next.status === 'done',
    emitted,
    effects,
  };
}

function isSideEffect(type: string): type is SideEffect {
  return (SideEffects as readonly string[]).includes(type);
}

export function contextOf(snapshot: unknown): IncidentContext {
  return (snapshot as { context: IncidentContext }).context;
}

export function stateValueOf(snapshot: unknown): unknown {
  return (snapshot as { value: unknown }).value;
}

/** `{diagnose: 'awaiting'}` → `diagnose.awaiting`. */
export function stateText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const [key, inner] = Object.entries(value)[0] ?? [];
    return key ? `${key}.${stateText(inner)}` : '';
  }
  return '';
}

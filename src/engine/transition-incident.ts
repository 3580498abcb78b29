import { initialTransition, type SnapshotFrom, transition } from 'xstate';
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
  const [next, actions] = transition(machine, from, event);
  return transitioned(machine, next, actions);
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

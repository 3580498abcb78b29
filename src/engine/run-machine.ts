import { createActor, type Snapshot } from 'xstate';
import type { User } from '../core/types';
import type { IncidentMachine, SideEffect } from '../playbook/compile-playbook';
import type { IncidentContext, IncidentEmitted, IncidentEvent } from '../playbook/machine-types';

export interface MachineRun {
  /** The persisted snapshot, as JSON-safe data for the store. */
  snapshot: unknown;
  context: IncidentContext;
  state: string;
  done: boolean;
  emitted: IncidentEmitted[];
  /** Side effects the machine asked for, collected, not run: they start only after the save. */
  effects: { effect: SideEffect; stepId: string }[];
}

/**
 * Runs the machine for one event, from a stored snapshot (or from its start). The actor
 * lives only for this call: idle incidents are rows in the store, not objects in memory.
 */
export function runMachine(
  machine: IncidentMachine,
  from: { snapshot: unknown } | { input: { incidentId: string; requester: User; walkAll: boolean } },
  event?: IncidentEvent,
): MachineRun {
  const { provided, collector } = withSideEffects(machine);
  const effects: MachineRun['effects'] = [];
  // Transitions run synchronously, so one collector per machine is enough.
  collector.effects = effects;
  try {
    // On restore xstate ignores `input`; the types require it.
    const actor =
      'snapshot' in from
        ? createActor(provided, {
            snapshot: from.snapshot as Snapshot<unknown>,
            input: contextOf(from.snapshot),
          })
        : createActor(provided, { input: from.input });
    const emitted: IncidentEmitted[] = [];
    actor.on('*', (e) => emitted.push(e as IncidentEmitted));
    actor.start();
    if (event) actor.send(event);
    const current = actor.getSnapshot();
    const persisted = actor.getPersistedSnapshot();
    actor.stop();
    return {
      snapshot: JSON.parse(JSON.stringify(persisted)) as unknown,
      context: current.context,
      state: stateText(current.value),
      done: current.status === 'done',
      emitted,
      effects,
    };
  } finally {
    collector.effects = null;
  }
}

interface Collector {
  effects: MachineRun['effects'] | null;
}

const providedMachines = new WeakMap<IncidentMachine, { provided: IncidentMachine; collector: Collector }>();

/**
 * The machine with its named side effects collecting into `collector`. Made once per
 * machine: `provide()` rebuilds every state node, too costly to repeat per transition.
 */
function withSideEffects(machine: IncidentMachine) {
  let entry = providedMachines.get(machine);
  if (!entry) {
    const collector: Collector = { effects: null };
    const collect = (effect: SideEffect) => (_: unknown, params: unknown) => {
      collector.effects?.push({ effect, stepId: (params as { stepId?: string } | undefined)?.stepId ?? '' });
    };
    const provided = machine.provide({
      actions: {
        checkVm: collect('checkVm'),
        runStep: collect('runStep'),
        snapshotDisk: collect('snapshotDisk'),
        restartVm: collect('restartVm'),
        updateNsgRule: collect('updateNsgRule'),
      },
    });
    entry = { provided, collector };
    providedMachines.set(machine, entry);
  }
  return entry;
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

import type { VmOperations } from '../azure/vm-operations';
import type { SideEffect } from '../playbook/compile-playbook';
import type { Playbook } from '../playbook/load-playbook';
import type { IncidentRecord } from '../store/incident-store';
import type { CommandInbox } from './commands';
import type { StepDispatcher } from './step-dispatcher';
import { contextOf } from './transition-incident';
import { checkVm } from './vm-check';

export interface EffectsDeps {
  vm: VmOperations;
  dispatcher: StepDispatcher;
  /** Where the VM check's answer goes (a `vmChecked` command). */
  inbox: CommandInbox;
}

/**
 * Runs the side effects a saved transition asked for, by name: the pre-flight VM check, or
 * a step on the VM or in Azure (through the dispatcher, at most once per attempt). Results
 * come back as commands, never as direct changes to the incident.
 */
export class EffectsRunner {
  constructor(private readonly deps: EffectsDeps) {}

  async run(
    record: IncidentRecord,
    playbook: Playbook,
    effects: readonly { effect: SideEffect; stepId: string }[],
  ): Promise<void> {
    for (const { effect, stepId } of effects) {
      if (effect === 'checkVm') {
        this.deps.inbox.submit(await checkVm(this.deps.vm, record));
      } else {
        const attempt = contextOf(record.snapshot).current?.attempt ?? 1;
        await this.deps.dispatcher.dispatch(record, playbook, stepId, attempt);
      }
    }
  }
}

import { ErrorCodes, RdpFixError } from '../core/errors';
import { compilePlaybook, type IncidentMachine } from '../playbook/compile-playbook';
import type { Playbook } from '../playbook/load-playbook';

/** The loaded playbooks by id, each compiled once to its machine. */
export class PlaybookRegistry {
  private readonly byId: Map<string, Playbook>;
  private readonly machines = new Map<string, IncidentMachine>();

  constructor(private readonly playbooks: readonly Playbook[]) {
    this.byId = new Map(playbooks.map((p) => [p.id, p]));
  }

  /** The playbook asked for, or the first one loaded when none is named. */
  find(id: string | undefined): Playbook | undefined {
    return id ? this.byId.get(id) : this.playbooks[0];
  }

  /** A playbook an incident was opened with: not loaded any more is a deployment error. */
  get(id: string, incidentId?: string): Playbook {
    const playbook = this.byId.get(id);
    if (!playbook) {
      const of = incidentId ? ` of incident ${incidentId}` : '';
      throw new RdpFixError(ErrorCodes.PlaybookInvalid, `playbook ${id}${of} is not loaded`);
    }
    return playbook;
  }

  machineOf(playbook: Playbook): IncidentMachine {
    let machine = this.machines.get(playbook.id);
    if (!machine) {
      machine = compilePlaybook(playbook);
      this.machines.set(playbook.id, machine);
    }
    return machine;
  }
}

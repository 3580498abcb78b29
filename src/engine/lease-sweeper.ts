import { stepOfState } from '../playbook/compile-playbook';
import type { DispatchLeases, IncidentLog, IncidentRecord, ReplicaLeases } from '../store/incident-store';
import type { ApprovalDeadlines } from './approval-deadlines';
import type { BackgroundWork } from './background-work';
import type { EffectsRunner } from './effects-runner';
import type { Outbox } from './outbox';
import type { PlaybookRegistry } from './playbook-registry';
import type { StepDispatcher } from './step-dispatcher';
import { contextOf, stateValueOf } from './transition-incident';

export interface SweeperDeps {
  store: IncidentLog & DispatchLeases & ReplicaLeases;
  playbooks: PlaybookRegistry;
  dispatcher: StepDispatcher;
  effects: EffectsRunner;
  /** Told when the heartbeat extended our leases: it sends only under a lease it holds. */
  outbox: Pick<Outbox, 'leasesRenewed'>;
  deadlines: ApprovalDeadlines;
  work: BackgroundWork;
  /** This replica. */
  owner: string;
  leaseMs: number;
  now: () => Date;
}

/**
 * The heartbeat and the recovery pass: extends this replica's leases, adopts dispatches
 * whose replica stopped, and picks up incidents left between a saved transition and its
 * side effect (a crash there). At start-up everything open is looked at; later only
 * incidents that have not changed for a lease period, so that a live replica's work is not
 * raced.
 */
export class LeaseSweeper {
  private closed = false;

  constructor(private readonly deps: SweeperDeps) {}

  close(): void {
    this.closed = true;
  }

  async sweep(startup: boolean): Promise<void> {
    const { store, dispatcher, work, deadlines } = this.deps;
    const now = this.deps.now();
    const until = dispatcher.leaseUntil();
    await store.renewLeases(this.deps.owner, until);
    this.deps.outbox.leasesRenewed(until, this.deps.now());
    for (const lapsed of await store.lapsedDispatches(now.toISOString(), 100)) {
      if (this.closed) return;
      const record = await store.get(lapsed.incidentId);
      const running = record && runningStep(record);
      if (record && running?.stepId === lapsed.stepId && running.attempt === lapsed.attempt)
        work.track(this.resume(record, running), record.id);
      else work.track(dispatcher.abandon(lapsed), lapsed.incidentId);
    }
    // Every open incident, a few fields each; loaded whole only when there is something to do
    // for it: a deadline to arm (waiting, and no timer here yet), or a step or VM check that may
    // have been left (preflight, or a running step, unchanged for a lease). Idle incidents stay
    // in the store (issue 20: loading all of them every sweep kept 1,000 idle incidents' memory).
    // Unchanged for a lease: its replica may be gone (at start-up, everything is this one's).
    const unchanged = (updatedAt: string) =>
      startup || now.getTime() - Date.parse(updatedAt) >= this.deps.leaseMs;
    for (const open of await store.openIncidents()) {
      if (this.closed) return;
      const toArm = open.waiting && !deadlines.isArmed(open.id);
      const mayBeLeft =
        unchanged(open.updatedAt) && (open.state === 'preflight' || open.state.endsWith('.running'));
      if (!toArm && !mayBeLeft) continue;
      // Loaded, it decides as it is now (it may have changed since the listing).
      const record = await store.get(open.id);
      if (record?.status !== 'open') continue;
      if (!deadlines.isArmed(record.id)) deadlines.arm(record);
      if (!unchanged(record.updatedAt)) continue;
      const running = runningStep(record);
      if (record.state === 'preflight') {
        const playbook = this.deps.playbooks.get(record.playbookId, record.id);
        work.track(this.deps.effects.run(record, playbook, [{ effect: 'checkVm', stepId: '' }]), record.id);
      } else if (running) {
        const dispatch = await store.getDispatch(record.id, running.stepId, running.attempt);
        // A dispatch held by a live replica is its business; lapsed ones were handled above.
        if (!dispatch || dispatch.status === 'done' || startup)
          work.track(this.resume(record, running), record.id);
      }
    }
  }

  private resume(record: IncidentRecord, running: { stepId: string; attempt: number }): Promise<void> {
    const playbook = this.deps.playbooks.get(record.playbookId, record.id);
    return this.deps.dispatcher.resume(record, playbook, running.stepId, running.attempt);
  }
}

/** The step an open incident is running, and which attempt of it; undefined when none runs. */
function runningStep(record: IncidentRecord): { stepId: string; attempt: number } | undefined {
  const at = record.status === 'open' ? stepOfState(stateValueOf(record.snapshot)) : undefined;
  if (at?.phase !== 'running') return undefined;
  const context = contextOf(record.snapshot);
  return { stepId: at.stepId, attempt: context.current?.attempt ?? context.steps[at.stepId]?.attempt ?? 1 };
}

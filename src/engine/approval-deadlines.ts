import type { IncidentRecord } from '../store/incident-store';
import type { CommandInbox } from './commands';

/** Schedules a task; returns a cancel function. Injected so that tests control time. */
export type Schedule = (ms: number, task: () => void) => () => void;

/**
 * Approval deadlines are data in the store (`record.pending`); this keeps one timer per
 * waiting incident that turns the deadline into an `expire` command. Every replica arms its
 * own: the expiries that come second are refused quietly by the engine.
 */
export class ApprovalDeadlines {
  private readonly timers = new Map<string, () => void>();
  private closed = false;

  constructor(
    private readonly inbox: CommandInbox,
    private readonly now: () => Date,
    private readonly schedule: Schedule = defaultSchedule,
  ) {}

  isArmed(incidentId: string): boolean {
    return this.timers.has(incidentId);
  }

  /** (Re)arms the incident's timer from its saved state; disarms it when nothing waits. */
  arm(record: IncidentRecord): void {
    this.timers.get(record.id)?.();
    this.timers.delete(record.id);
    if (this.closed || record.status !== 'open' || !record.pending) return;
    // Only ids in the closure: a timer per waiting incident must not hold its whole record.
    const { id } = record;
    const { stepId, attempt, deadline } = record.pending;
    const ms = Math.max(0, Date.parse(deadline) - this.now().getTime());
    this.timers.set(
      id,
      this.schedule(ms, () => {
        this.timers.delete(id);
        this.inbox.submit({ type: 'expire', incidentId: id, stepId, attempt });
      }),
    );
  }

  close(): void {
    this.closed = true;
    for (const cancel of this.timers.values()) cancel();
    this.timers.clear();
  }
}

function defaultSchedule(ms: number, task: () => void): () => void {
  // Node timers overflow past ~24.8 days; a longer deadline is re-armed at the next start.
  const timer = setTimeout(task, Math.min(ms, 2_147_483_647));
  timer.unref();
  return () => clearTimeout(timer);
}

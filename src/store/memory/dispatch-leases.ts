import type { TranscriptDraft } from '../../core/transcript';
import type { DispatchLeases, DispatchRecord } from '../incident-store';
import { appendEntries } from './incident-log';
import { clone, dispatchKey, type MemoryTables } from './tables';

/** Run Commands in flight, in memory. */
export class MemoryDispatchLeases implements DispatchLeases {
  constructor(private readonly tables: MemoryTables) {}

  async claimDispatch(record: DispatchRecord): Promise<boolean> {
    const key = dispatchKey(record.incidentId, record.stepId, record.attempt);
    if (this.tables.dispatches.has(key)) return false;
    this.tables.dispatches.set(key, clone(record));
    return true;
  }

  async updateDispatch(record: DispatchRecord): Promise<boolean> {
    const key = dispatchKey(record.incidentId, record.stepId, record.attempt);
    const stored = this.tables.dispatches.get(key);
    if (!stored || stored.status === 'done' || stored.owner !== record.owner) return false;
    this.tables.dispatches.set(key, clone({ ...record, leaseUntil: stored.leaseUntil }));
    return true;
  }

  async finishDispatch(
    record: DispatchRecord,
    entries: TranscriptDraft[],
    at: string,
    outbox: readonly object[] = [],
  ): Promise<boolean> {
    const stored = this.tables.dispatches.get(dispatchKey(record.incidentId, record.stepId, record.attempt));
    if (!stored || stored.status === 'done' || stored.owner !== record.owner) return false;
    Object.assign(stored, clone({ ...record, status: 'done', leaseUntil: null, updatedAt: at }));
    appendEntries(this.tables, record.incidentId, entries, at, outbox);
    return true;
  }

  async getDispatch(
    incidentId: string,
    stepId: string,
    attempt: number,
  ): Promise<DispatchRecord | undefined> {
    const record = this.tables.dispatches.get(dispatchKey(incidentId, stepId, attempt));
    return record ? clone(record) : undefined;
  }

  async takeOverDispatch(
    key: { incidentId: string; stepId: string; attempt: number },
    owner: string,
    until: string,
    now: string,
  ): Promise<DispatchRecord | undefined> {
    const stored = this.tables.dispatches.get(dispatchKey(key.incidentId, key.stepId, key.attempt));
    if (!stored || stored.status === 'done' || !leaseFree(stored, owner, now)) return undefined;
    Object.assign(stored, { owner, leaseUntil: until });
    return clone(stored);
  }

  async lapsedDispatches(now: string, limit: number): Promise<DispatchRecord[]> {
    return [...this.tables.dispatches.values()]
      .filter((d) => d.status !== 'done' && (d.leaseUntil === null || d.leaseUntil < now))
      .slice(0, limit)
      .map(clone);
  }
}

function leaseFree(d: DispatchRecord, owner: string, now: string): boolean {
  return d.leaseUntil === null || d.leaseUntil < now || d.owner === owner;
}

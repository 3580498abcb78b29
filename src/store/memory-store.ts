import { ErrorCodes, RdpFixError } from '../core/errors';
import { chainEntries, type TranscriptDraft, type TranscriptEntry } from '../core/transcript';
import { filterIncidents } from './filter-incidents';
import type {
  DispatchRecord,
  IncidentFilter,
  IncidentPatch,
  IncidentRecord,
  IncidentStore,
  NewIncident,
  OutboxClaim,
  OutboxItem,
} from './incident-store';
import { nextVersion } from './next-version';

interface OutboxEntry extends OutboxItem {
  status: 'pending' | 'sent' | 'failed';
  nextAt: string;
  owner: string | null;
  leaseUntil: string | null;
  error?: string;
}

/** In-memory twin of the SQLite store, for tests and `rdp-fix chat` without a database. */
export class MemoryIncidentStore implements IncidentStore {
  private readonly incidents = new Map<string, IncidentRecord>();
  private readonly entries = new Map<string, TranscriptEntry[]>();
  private readonly dispatches = new Map<string, DispatchRecord>();
  private readonly outbox: OutboxEntry[] = [];
  private readonly refs = new Map<string, string>();

  async create(
    incident: NewIncident,
    entries: TranscriptDraft[],
    at: string,
    outbox: readonly object[] = [],
  ): Promise<IncidentRecord> {
    if (this.incidents.has(incident.id)) {
      throw new RdpFixError(ErrorCodes.VersionConflict, `incident ${incident.id} already exists`);
    }
    const record: IncidentRecord = clone({ ...incident, version: 1, createdAt: at, updatedAt: at });
    this.incidents.set(incident.id, record);
    this.entries.set(incident.id, chainEntries(incident.id, undefined, entries, at));
    this.enqueue(incident.id, outbox, at);
    return clone(record);
  }

  async get(id: string): Promise<IncidentRecord | undefined> {
    const record = this.incidents.get(id);
    return record ? clone(record) : undefined;
  }

  async save(
    id: string,
    expectedVersion: number,
    patch: IncidentPatch,
    entries: TranscriptDraft[],
    at: string,
    outbox: readonly object[] = [],
  ): Promise<IncidentRecord> {
    const next = clone(nextVersion(id, this.incidents.get(id), expectedVersion, patch, at));
    this.incidents.set(id, next);
    await this.append(id, entries, at, outbox);
    return clone(next);
  }

  async append(
    id: string,
    entries: TranscriptDraft[],
    at: string,
    outbox: readonly object[] = [],
  ): Promise<void> {
    const list = this.entries.get(id);
    if (!list) throw new RdpFixError(ErrorCodes.IncidentNotFound, `incident ${id} not found`);
    list.push(...chainEntries(id, list.at(-1), entries, at));
    this.enqueue(id, outbox, at);
  }

  async setThread(id: string, thread: string): Promise<void> {
    const record = this.incidents.get(id);
    if (!record) throw new RdpFixError(ErrorCodes.IncidentNotFound, `incident ${id} not found`);
    record.channel = { ...record.channel, thread };
  }

  async list(filter: IncidentFilter = {}): Promise<IncidentRecord[]> {
    return filterIncidents([...this.incidents.values()], filter).map(clone);
  }

  async transcript(id: string): Promise<TranscriptEntry[]> {
    return clone(this.entries.get(id) ?? []);
  }

  async claimDispatch(record: DispatchRecord): Promise<boolean> {
    const key = dispatchKey(record.incidentId, record.stepId, record.attempt);
    if (this.dispatches.has(key)) return false;
    this.dispatches.set(key, clone(record));
    return true;
  }

  async updateDispatch(record: DispatchRecord): Promise<boolean> {
    const key = dispatchKey(record.incidentId, record.stepId, record.attempt);
    const stored = this.dispatches.get(key);
    if (!stored || stored.status === 'done' || stored.owner !== record.owner) return false;
    this.dispatches.set(key, clone({ ...record, leaseUntil: stored.leaseUntil }));
    return true;
  }

  async finishDispatch(
    record: DispatchRecord,
    entries: TranscriptDraft[],
    at: string,
    outbox: readonly object[] = [],
  ): Promise<boolean> {
    const stored = this.dispatches.get(dispatchKey(record.incidentId, record.stepId, record.attempt));
    if (!stored || stored.status === 'done' || stored.owner !== record.owner) return false;
    Object.assign(stored, clone({ ...record, status: 'done', leaseUntil: null, updatedAt: at }));
    await this.append(record.incidentId, entries, at, outbox);
    return true;
  }

  async takeOverDispatch(
    key: { incidentId: string; stepId: string; attempt: number },
    owner: string,
    until: string,
    now: string,
  ): Promise<DispatchRecord | undefined> {
    const stored = this.dispatches.get(dispatchKey(key.incidentId, key.stepId, key.attempt));
    if (!stored || stored.status === 'done' || !leaseFree(stored, owner, now)) return undefined;
    Object.assign(stored, { owner, leaseUntil: until });
    return clone(stored);
  }

  async lapsedDispatches(now: string, limit: number): Promise<DispatchRecord[]> {
    return [...this.dispatches.values()]
      .filter((d) => d.status !== 'done' && (d.leaseUntil === null || d.leaseUntil < now))
      .slice(0, limit)
      .map(clone);
  }

  async renewLeases(owner: string, until: string): Promise<void> {
    for (const d of this.dispatches.values())
      if (d.owner === owner && d.status !== 'done') d.leaseUntil = until;
    for (const o of this.outbox) if (o.owner === owner && o.status === 'pending') o.leaseUntil = until;
  }

  async releaseLeases(owner: string): Promise<void> {
    for (const d of this.dispatches.values())
      if (d.owner === owner && d.status !== 'done') d.leaseUntil = null;
    for (const o of this.outbox) if (o.owner === owner) Object.assign(o, { owner: null, leaseUntil: null });
  }

  async claimOutbox(claim: OutboxClaim): Promise<OutboxItem[]> {
    const heads = new Map<string, OutboxEntry>();
    for (const o of this.outbox)
      if (o.status === 'pending' && !heads.has(o.incidentId)) heads.set(o.incidentId, o);
    const ready = [...heads.values()]
      .filter(
        (h) =>
          (claim.incidentId === undefined || h.incidentId === claim.incidentId) &&
          h.nextAt <= claim.now &&
          (h.leaseUntil === null || h.leaseUntil < claim.now || h.owner === claim.owner),
      )
      .slice(0, claim.limit)
      .map((h) => h.incidentId);
    const claimed = this.outbox.filter((o) => o.status === 'pending' && ready.includes(o.incidentId));
    for (const o of claimed)
      Object.assign(o, { owner: claim.owner, leaseUntil: claim.until, claims: o.claims + 1 });
    return claimed
      .sort((a, b) => a.incidentId.localeCompare(b.incidentId) || a.id - b.id)
      .map(({ id, incidentId, message, attempts, claims }) =>
        clone({ id, incidentId, message, attempts, claims }),
      );
  }

  async settleOutbox(
    ids: number[],
    owner: string,
    status: 'sent' | 'failed',
    _at: string,
    error?: string,
  ): Promise<void> {
    for (const o of this.outbox)
      if (ids.includes(o.id) && o.status === 'pending' && (status === 'sent' || o.owner === owner))
        Object.assign(o, { status, owner: null, leaseUntil: null, ...(error ? { error } : {}) });
  }

  async retryOutbox(item: OutboxItem, owner: string, nextAt: string, error: string): Promise<void> {
    const head = this.outbox.find((x) => x.id === item.id);
    if (head) Object.assign(head, { attempts: head.attempts + 1, nextAt, error });
    for (const o of this.outbox)
      if (o.incidentId === item.incidentId && o.owner === owner && o.status === 'pending')
        Object.assign(o, { owner: null, leaseUntil: null });
  }

  async outboxDepth(): Promise<number> {
    return this.outbox.filter((o) => o.status === 'pending').length;
  }

  async getRef(key: string): Promise<string | undefined> {
    return this.refs.get(key);
  }

  async setRef(key: string, value: string): Promise<void> {
    this.refs.set(key, value);
  }

  private enqueue(incidentId: string, messages: readonly object[], at: string): void {
    for (const message of messages) {
      this.outbox.push({
        id: this.outbox.length + 1,
        incidentId,
        // The same JSON the SQL stores keep: what a delivery reads back is what the wire holds.
        message: JSON.parse(JSON.stringify(message)) as unknown,
        attempts: 0,
        claims: 0,
        status: 'pending',
        nextAt: at,
        owner: null,
        leaseUntil: null,
      });
    }
  }

  async getDispatch(
    incidentId: string,
    stepId: string,
    attempt: number,
  ): Promise<DispatchRecord | undefined> {
    const record = this.dispatches.get(dispatchKey(incidentId, stepId, attempt));
    return record ? clone(record) : undefined;
  }

  async close(): Promise<void> {}
}

function leaseFree(d: DispatchRecord, owner: string, now: string): boolean {
  return d.leaseUntil === null || d.leaseUntil < now || d.owner === owner;
}

function dispatchKey(incidentId: string, stepId: string, attempt: number): string {
  return `${incidentId}\0${stepId}\0${attempt}`;
}

/** Copies on the way in and out, as a database would: callers never share mutable state. */
function clone<T>(value: T): T {
  return structuredClone(value);
}

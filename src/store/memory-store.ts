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
} from './incident-store';

/** In-memory twin of the SQLite store, for tests and `rdp-fix chat` without a database. */
export class MemoryIncidentStore implements IncidentStore {
  private readonly incidents = new Map<string, IncidentRecord>();
  private readonly entries = new Map<string, TranscriptEntry[]>();
  private readonly dispatches = new Map<string, DispatchRecord>();

  async create(incident: NewIncident, entries: TranscriptDraft[], at: string): Promise<IncidentRecord> {
    if (this.incidents.has(incident.id)) {
      throw new RdpFixError(ErrorCodes.VersionConflict, `incident ${incident.id} already exists`);
    }
    const record: IncidentRecord = clone({ ...incident, version: 1, createdAt: at, updatedAt: at });
    this.incidents.set(incident.id, record);
    this.entries.set(incident.id, chainEntries(incident.id, undefined, entries, at));
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
  ): Promise<IncidentRecord> {
    const current = this.incidents.get(id);
    if (!current) throw new RdpFixError(ErrorCodes.IncidentNotFound, `incident ${id} not found`);
    if (current.version !== expectedVersion) {
      throw new RdpFixError(ErrorCodes.VersionConflict, `incident ${id} changed meanwhile`, {
        expected: expectedVersion,
        actual: current.version,
      });
    }
    const next: IncidentRecord = clone({ ...current, ...patch, version: current.version + 1, updatedAt: at });
    this.incidents.set(id, next);
    await this.append(id, entries, at);
    return clone(next);
  }

  async append(id: string, entries: TranscriptDraft[], at: string): Promise<void> {
    const list = this.entries.get(id);
    if (!list) throw new RdpFixError(ErrorCodes.IncidentNotFound, `incident ${id} not found`);
    list.push(...chainEntries(id, list.at(-1), entries, at));
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

  async updateDispatch(record: DispatchRecord): Promise<void> {
    this.dispatches.set(dispatchKey(record.incidentId, record.stepId, record.attempt), clone(record));
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

function dispatchKey(incidentId: string, stepId: string, attempt: number): string {
  return `${incidentId}\0${stepId}\0${attempt}`;
}

/** Copies on the way in and out, as a database would: callers never share mutable state. */
function clone<T>(value: T): T {
  return structuredClone(value);
}

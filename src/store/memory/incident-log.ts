import { ErrorCodes, RdpFixError } from '../../core/errors';
import { chainEntries, type TranscriptDraft, type TranscriptEntry } from '../../core/transcript';
import { filterIncidents } from '../filter-incidents';
import type {
  IncidentFilter,
  IncidentLog,
  IncidentPatch,
  IncidentRecord,
  NewIncident,
  OpenIncident,
} from '../incident-store';
import { nextVersion } from '../next-version';
import { alreadyOpen, openVmKey } from '../open-vm-key';
import { queueMessages } from './outbox-queue';
import { clone, type MemoryTables } from './tables';

/** Incidents and their transcript in memory. */
export class MemoryIncidentLog implements IncidentLog {
  constructor(private readonly tables: MemoryTables) {}

  async create(
    incident: NewIncident,
    entries: TranscriptDraft[],
    at: string,
    outbox: readonly object[] = [],
  ): Promise<IncidentRecord> {
    if (this.tables.incidents.has(incident.id)) {
      throw new RdpFixError(ErrorCodes.VersionConflict, `incident ${incident.id} already exists`);
    }
    if (incident.status === 'open') {
      const key = openVmKey(incident.vm);
      for (const other of this.tables.incidents.values()) {
        if (other.status === 'open' && openVmKey(other.vm) === key) throw alreadyOpen(other.id);
      }
    }
    const record: IncidentRecord = clone({ ...incident, version: 1, createdAt: at, updatedAt: at });
    this.tables.incidents.set(incident.id, record);
    this.tables.entries.set(incident.id, chainEntries(incident.id, undefined, entries, at));
    queueMessages(this.tables, incident.id, outbox, at);
    return clone(record);
  }

  async get(id: string): Promise<IncidentRecord | undefined> {
    const record = this.tables.incidents.get(id);
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
    const next = clone(nextVersion(id, this.tables.incidents.get(id), expectedVersion, patch, at));
    this.tables.incidents.set(id, next);
    appendEntries(this.tables, id, entries, at, outbox);
    return clone(next);
  }

  async append(
    id: string,
    entries: TranscriptDraft[],
    at: string,
    outbox: readonly object[] = [],
  ): Promise<void> {
    appendEntries(this.tables, id, entries, at, outbox);
  }

  async setThread(id: string, thread: string): Promise<void> {
    const record = this.tables.incidents.get(id);
    if (!record) throw new RdpFixError(ErrorCodes.IncidentNotFound, `incident ${id} not found`);
    record.channel = { ...record.channel, thread };
  }

  async list(filter: IncidentFilter = {}): Promise<IncidentRecord[]> {
    return filterIncidents([...this.tables.incidents.values()], filter).map(clone);
  }

  async openIncidents(): Promise<OpenIncident[]> {
    return [...this.tables.incidents.values()]
      .filter((r) => r.status === 'open')
      .map((r) => ({ id: r.id, updatedAt: r.updatedAt, state: r.state, waiting: Boolean(r.pending) }));
  }

  async transcript(id: string): Promise<TranscriptEntry[]> {
    return clone(this.tables.entries.get(id) ?? []);
  }
}

/** Appends transcript entries to the incident's chain and queues their messages. */
export function appendEntries(
  tables: MemoryTables,
  id: string,
  entries: TranscriptDraft[],
  at: string,
  outbox: readonly object[],
): void {
  const list = tables.entries.get(id);
  if (!list) throw new RdpFixError(ErrorCodes.IncidentNotFound, `incident ${id} not found`);
  list.push(...chainEntries(id, list.at(-1), entries, at));
  queueMessages(tables, id, outbox, at);
}

import type { TranscriptDraft, TranscriptEntry } from '../core/transcript';
import type { ChannelRef, Locale, User, VmRef } from '../core/types';
import type { EndOutcome } from '../playbook/machine-types';

/** The step waiting for a person, with its deadline kept as data (xstate timers are not persisted). */
export interface PendingApproval {
  stepId: string;
  attempt: number;
  deadline: string;
}

export interface IncidentRecord {
  id: string;
  playbookId: string;
  playbookHash: string;
  vm: VmRef;
  requester: User;
  channel: ChannelRef;
  locale: Locale;
  status: 'open' | 'closed';
  outcome: EndOutcome | null;
  /** The machine's state as text (`diagnose.awaiting`), for listings. */
  state: string;
  causes: string[];
  /** The xstate persisted snapshot. */
  snapshot: unknown;
  pending: PendingApproval | null;
  /** Raised by every save: a save against an older version is refused (no lost update). */
  version: number;
  createdAt: string;
  updatedAt: string;
}

export type NewIncident = Omit<IncidentRecord, 'version' | 'createdAt' | 'updatedAt'>;
export type IncidentPatch = Partial<
  Pick<IncidentRecord, 'status' | 'outcome' | 'state' | 'causes' | 'snapshot' | 'pending' | 'channel'>
>;

export interface IncidentFilter {
  status?: 'open' | 'closed';
  vmName?: string;
  channel?: string;
  limit?: number;
}

/**
 * A Run Command or Azure action the engine sent, recorded before it is sent. After a crash
 * the record tells whether a step is safe to resume (poller state saved) or whether its
 * outcome is unknown and a person must decide again.
 */
export interface DispatchRecord {
  incidentId: string;
  stepId: string;
  attempt: number;
  status: 'dispatching' | 'polling' | 'done';
  pollerState: string | null;
  result: unknown;
  updatedAt: string;
}

/** The incident store port. Async from day one so that PostgreSQL fits behind it. */
export interface IncidentStore {
  create(incident: NewIncident, entries: TranscriptDraft[], at: string): Promise<IncidentRecord>;
  get(id: string): Promise<IncidentRecord | undefined>;
  /**
   * Saves a transition and appends its transcript entries in one transaction. Throws
   * `VersionConflict` when the stored version is not `expectedVersion`.
   */
  save(
    id: string,
    expectedVersion: number,
    patch: IncidentPatch,
    entries: TranscriptDraft[],
    at: string,
  ): Promise<IncidentRecord>;
  /** Appends entries without changing the incident (refusals, messages). */
  append(id: string, entries: TranscriptDraft[], at: string): Promise<void>;
  /**
   * Records where the incident's thread lives once the channel has posted its root message.
   * Metadata only: it does not raise the version, so it never conflicts with a transition.
   */
  setThread(id: string, thread: string): Promise<void>;
  list(filter?: IncidentFilter): Promise<IncidentRecord[]>;
  transcript(id: string): Promise<TranscriptEntry[]>;
  /** Inserts a dispatch record; false when one already exists for that step attempt. */
  claimDispatch(record: DispatchRecord): Promise<boolean>;
  updateDispatch(record: DispatchRecord): Promise<void>;
  getDispatch(incidentId: string, stepId: string, attempt: number): Promise<DispatchRecord | undefined>;
  close(): Promise<void>;
}

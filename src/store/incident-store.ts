import type { TranscriptDraft, TranscriptEntry } from '../core/transcript';
import type { ChannelRef, Locale, User, VmRef } from '../core/types';
import type { Decision, EndOutcome, StepParams } from '../playbook/machine-types';

/** The step waiting for a person, with its deadline kept as data (xstate timers are not persisted). */
export interface PendingApproval {
  stepId: string;
  attempt: number;
  deadline: string;
  /**
   * Two-person rule: approvals given so far to this attempt, before the one that lets it run.
   * Kept with the record (not in the machine): the machine sees one APPROVE, the last one.
   */
  approvals?: PendingDecision[];
}

/** A decision kept before the step runs: with the parameter values it approved (two-person rule). */
export interface PendingDecision extends Decision {
  params?: StepParams;
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
  /** The requester's user id (the per-user limit on open incidents). */
  requester?: string;
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
  /** The replica running it. Its lease is renewed by heartbeats; once it lapses another replica takes over. */
  owner: string | null;
  leaseUntil: string | null;
}

/** A chat message waiting in the outbox, written in the same transaction as its transcript entry. */
export interface OutboxItem {
  id: number;
  incidentId: string;
  /** The message as the engine queued it (JSON). */
  message: unknown;
  attempts: number;
  /**
   * How many times the message was claimed, this claim included. A claim count above the
   * claims this process took means another process (or an earlier life of this one) held
   * it, and may have had it accepted by the platform before it could mark it sent.
   */
  claims: number;
}

export interface OutboxClaim {
  owner: string;
  /** The lease given to the claimed messages. */
  until: string;
  now: string;
  /** At most this many incidents per claim. */
  limit: number;
  /** Only this incident's messages (delivery right after a transition). */
  incidentId?: string;
}

/**
 * Incidents and their hash-chained transcript: what happened, and the state it led to.
 * A write's `outbox` holds the chat messages (JSON) it queues for delivery, in order, in the
 * same transaction; the engine names them explicitly (`posted`), the store reads no entry.
 */
export interface IncidentLog {
  /**
   * Creates an incident. An open incident per VM at most: throws `IncidentAlreadyOpen` (with
   * `details.incidentId`, the open one) when the VM has one, also against a concurrent create
   * on another replica (a unique index in the SQL stores).
   */
  create(
    incident: NewIncident,
    entries: TranscriptDraft[],
    at: string,
    outbox?: readonly object[],
  ): Promise<IncidentRecord>;
  get(id: string): Promise<IncidentRecord | undefined>;
  /**
   * Saves a transition, appends its transcript entries and queues its messages in one
   * transaction. Throws `VersionConflict` when the stored version is not `expectedVersion`.
   */
  save(
    id: string,
    expectedVersion: number,
    patch: IncidentPatch,
    entries: TranscriptDraft[],
    at: string,
    outbox?: readonly object[],
  ): Promise<IncidentRecord>;
  /** Appends entries (and queues messages) without changing the incident (refusals). */
  append(id: string, entries: TranscriptDraft[], at: string, outbox?: readonly object[]): Promise<void>;
  /**
   * Records where the incident's thread lives once the channel has posted its root message.
   * Metadata only: it does not raise the version, so it never conflicts with a transition.
   */
  setThread(id: string, thread: string): Promise<void>;
  list(filter?: IncidentFilter): Promise<IncidentRecord[]>;
  /**
   * Every open incident in a few fields, read without its body being parsed here: the lease
   * sweep looks at all of them every few seconds and loads only those it has work for
   * (issue 20: loading 1,000 idle incidents every 10 s kept their memory in the process).
   */
  openIncidents(): Promise<OpenIncident[]>;
  transcript(id: string): Promise<TranscriptEntry[]>;
}

/** An open incident as the lease sweep sees it first. */
export interface OpenIncident {
  id: string;
  updatedAt: string;
  /** `IncidentRecord.state`. */
  state: string;
  /** Whether it waits for a person (`IncidentRecord.pending` is set): it has a deadline. */
  waiting: boolean;
}

/** Run Commands and Azure actions in flight, each held by one replica under a lease. */
export interface DispatchLeases {
  /** Inserts a dispatch record; false when one already exists for that step attempt. */
  claimDispatch(record: DispatchRecord): Promise<boolean>;
  /**
   * Saves a running dispatch (its poller state). False, and nothing changed, when
   * `record.owner` no longer holds it or it is done: the caller lost its lease.
   */
  updateDispatch(record: DispatchRecord): Promise<boolean>;
  /**
   * Marks a dispatch done, appends its transcript entries (output) and queues its messages
   * (the result) in one transaction; false, and nothing written, when `record.owner` no
   * longer holds it.
   */
  finishDispatch(
    record: DispatchRecord,
    entries: TranscriptDraft[],
    at: string,
    outbox?: readonly object[],
  ): Promise<boolean>;
  getDispatch(incidentId: string, stepId: string, attempt: number): Promise<DispatchRecord | undefined>;
  /** Takes a dispatch that is not done when its lease lapsed (or `owner` already holds it). */
  takeOverDispatch(
    key: { incidentId: string; stepId: string; attempt: number },
    owner: string,
    until: string,
    now: string,
  ): Promise<DispatchRecord | undefined>;
  /** Dispatches not done whose lease lapsed before `now`: their replica stopped heartbeating. */
  lapsedDispatches(now: string, limit: number): Promise<DispatchRecord[]>;
}

/** A replica's hold on its work (dispatches and outbox messages alike). */
export interface ReplicaLeases {
  /** The heartbeat: extends every lease `owner` holds (dispatches and outbox messages). */
  renewLeases(owner: string, until: string): Promise<void>;
  /** Ends every lease `owner` holds, so that another replica takes its work over at once (shutdown). */
  releaseLeases(owner: string): Promise<void>;
}

/** Chat messages waiting for delivery, queued with the transcript entries that tell of them. */
export interface OutboxQueue {
  /**
   * Claims the pending messages of incidents whose oldest pending message is due and not
   * leased by another replica; returned in order (by incident, then as written). Within one
   * replica, the caller keeps one delivery per incident at a time.
   */
  claimOutbox(claim: OutboxClaim): Promise<OutboxItem[]>;
  /**
   * Messages given up on, with the reason: only by the replica holding the claim; one write.
   * A message settled already (sent or failed) is left as it is.
   */
  failOutbox(ids: number[], owner: string, at: string, error: string): Promise<void>;
  /**
   * The messages of a delivery round that the platform accepted, marked sent, and the handles
   * the channel keeps on them (message refs: a card's ts, a progress line's id), in one write:
   * another replica takes the incident's next messages only once these are settled, so it
   * finds the refs it needs. Recorded whoever says it (the acceptance is a fact, and the mark
   * stops a re-send); a message settled already is left as it is, its refs written all the same.
   */
  markSent(ids: number[], at: string, refs?: readonly MessageRef[]): Promise<void>;
  /** A delivery failed: the message is due again at `nextAt`; the incident's other claimed messages wait behind it. */
  retryOutbox(item: OutboxItem, owner: string, nextAt: string, error: string): Promise<void>;
  /** Messages not delivered yet (the outgoing queue depth). */
  outboxDepth(): Promise<number>;
}

/** A channel's handle on a message it posted, by key (message-refs.ts); the last write wins. */
export interface MessageRef {
  key: string;
  value: string;
}

/** A channel's id for a message it updates later (a card, a progress line), shared by replicas. */
export interface MessageRefStore {
  getRef(key: string): Promise<string | undefined>;
  setRef(key: string, value: string, at: string): Promise<void>;
}

/**
 * The whole store: every port above on one database, so that a transition, its transcript
 * and its queued messages commit together. Async from day one so that PostgreSQL fits.
 * Each part is used through its own port; the composition root alone sees the whole.
 */
export interface IncidentStore
  extends IncidentLog,
    DispatchLeases,
    ReplicaLeases,
    OutboxQueue,
    MessageRefStore {
  close(): Promise<void>;
}

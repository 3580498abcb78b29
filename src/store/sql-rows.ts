import type { TranscriptEntry } from '../core/transcript';
import type { DispatchRecord, IncidentRecord, OpenIncident, OutboxItem } from './incident-store';

/**
 * The rows both SQL stores read and write (same tables and column names in SQLite and
 * PostgreSQL), and their mapping to the port's records. JSON is kept as text in both, so
 * that what was hashed is what comes back.
 */
export interface IncidentRow {
  body: string;
  version: number;
  created_at: string;
  updated_at: string;
}

export interface EntryRow {
  incident_id: string;
  seq: number;
  at: string;
  kind: TranscriptEntry['kind'];
  actor: string | null;
  data: string;
  prev_hash: string;
  hash: string;
}

export interface DispatchRow {
  incident_id: string;
  step_id: string;
  attempt: number;
  status: DispatchRecord['status'];
  poller_state: string | null;
  result: string | null;
  updated_at: string;
  owner: string | null;
  lease_until: string | null;
}

export interface OutboxRow {
  id: number | string;
  incident_id: string;
  message: string;
  attempts: number;
  claims: number;
}

/**
 * Each row's columns, named, for both SQL stores: they select these, never `*`. PostgreSQL
 * keeps a named prepared statement's result type, so one that selects `*` fails with "cached
 * plan must not change result type" once a newer replica's migration adds a column
 * (PostgreSQL docs, PREPARE: the result row type must not change), until the connection closes.
 */
export const IncidentColumns = 'body, version, created_at, updated_at';
export const EntryColumns = 'incident_id, seq, at, kind, actor, data, prev_hash, hash';
export const DispatchColumns =
  'incident_id, step_id, attempt, status, poller_state, result, updated_at, owner, lease_until';

/** `openIncidents()`'s row: the two body fields as each database's JSON functions return them. */
export interface OpenIncidentRow {
  id: string;
  updated_at: string;
  state: string | null;
  /** SQLite answers a comparison with 0 or 1, PostgreSQL with a boolean; null when absent. */
  waiting: boolean | number | null;
}

export function toOpenIncident(row: OpenIncidentRow): OpenIncident {
  return {
    id: row.id,
    updatedAt: row.updated_at,
    state: row.state ?? '',
    waiting: row.waiting === true || row.waiting === 1,
  };
}

export function toRecord(row: IncidentRow): IncidentRecord {
  return {
    ...(JSON.parse(row.body) as IncidentRecord),
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function toEntry(row: EntryRow): TranscriptEntry {
  return {
    incidentId: row.incident_id,
    seq: row.seq,
    at: row.at,
    kind: row.kind,
    actor: row.actor,
    data: JSON.parse(row.data) as Record<string, unknown>,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

export function toDispatch(row: DispatchRow): DispatchRecord {
  return {
    incidentId: row.incident_id,
    stepId: row.step_id,
    attempt: row.attempt,
    status: row.status,
    pollerState: row.poller_state,
    result: row.result === null ? null : JSON.parse(row.result),
    updatedAt: row.updated_at,
    owner: row.owner,
    leaseUntil: row.lease_until,
  };
}

export function toOutboxItem(row: OutboxRow): OutboxItem {
  return {
    id: Number(row.id),
    incidentId: row.incident_id,
    message: JSON.parse(row.message) as unknown,
    attempts: row.attempts,
    claims: Number(row.claims),
  };
}

/** The dispatch columns in table order, for both stores' insert statements. */
export function dispatchArgs(r: DispatchRecord): unknown[] {
  return [
    r.incidentId,
    r.stepId,
    r.attempt,
    r.status,
    r.pollerState,
    r.result === undefined ? null : JSON.stringify(r.result),
    r.updatedAt,
    r.owner,
    r.leaseUntil,
  ];
}

import type { TranscriptEntry } from '../../core/transcript';
import type { DispatchRecord, IncidentRecord, OutboxItem } from '../incident-store';

export interface OutboxEntry extends OutboxItem {
  status: 'pending' | 'sent' | 'failed';
  nextAt: string;
  owner: string | null;
  leaseUntil: string | null;
  error?: string;
}

/** What the SQL stores keep in tables, kept in maps; every part of the in-memory store shares one. */
export class MemoryTables {
  readonly incidents = new Map<string, IncidentRecord>();
  readonly entries = new Map<string, TranscriptEntry[]>();
  readonly dispatches = new Map<string, DispatchRecord>();
  readonly outbox: OutboxEntry[] = [];
  readonly refs = new Map<string, string>();
}

export function dispatchKey(incidentId: string, stepId: string, attempt: number): string {
  return `${incidentId}\0${stepId}\0${attempt}`;
}

/** Copies on the way in and out, as a database would: callers never share mutable state. */
export function clone<T>(value: T): T {
  return structuredClone(value);
}

import type { IncidentFilter, IncidentRecord } from './incident-store';

export const DefaultListLimit = 50;

/** Applies a filter in memory, newest first. Shared by the in-memory store and its tests. */
export function filterIncidents(records: IncidentRecord[], filter: IncidentFilter): IncidentRecord[] {
  return records
    .filter((r) => !filter.status || r.status === filter.status)
    .filter((r) => !filter.vmName || r.vm.name === filter.vmName)
    .filter((r) => !filter.channel || r.channel.channel === filter.channel)
    .filter((r) => !filter.requester || r.requester.id === filter.requester)
    .sort((a, b) =>
      a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : b.id.localeCompare(a.id),
    )
    .slice(0, filter.limit ?? DefaultListLimit);
}

import { ErrorCodes, RdpFixError } from '../core/errors';
import type { IncidentPatch, IncidentRecord } from './incident-store';

/**
 * The version check every store makes before a save: the incident must exist and still be
 * at `expectedVersion` (a change computed from an older state is refused, so no update is
 * lost). Returns the record as it will be saved.
 */
export function nextVersion(
  id: string,
  current: IncidentRecord | undefined,
  expectedVersion: number,
  patch: IncidentPatch,
  at: string,
): IncidentRecord {
  if (!current) throw new RdpFixError(ErrorCodes.IncidentNotFound, `incident ${id} not found`);
  if (current.version !== expectedVersion) {
    throw new RdpFixError(ErrorCodes.VersionConflict, `incident ${id} changed meanwhile`, {
      expected: expectedVersion,
      actual: current.version,
    });
  }
  return { ...current, ...patch, version: current.version + 1, updatedAt: at };
}

import type { Config } from '../config';
import type { IncidentStore } from './incident-store';
import { MemoryIncidentStore } from './memory-store';
import { SqliteIncidentStore } from './sqlite-store';

/** The store the configuration names. */
export function openStore(database: Config['database']): IncidentStore {
  return database.kind === 'memory' ? new MemoryIncidentStore() : new SqliteIncidentStore(database.file);
}

import type { Config } from '../config';
import type { IncidentStore } from './incident-store';
import { MemoryIncidentStore } from './memory-store';
import { PostgresIncidentStore } from './postgres-store';
import { SqliteGroupCommitStore } from './sqlite/group-commit-store';

/** What the store tells the operator about problems it recovered from by itself. */
export interface StoreLog {
  warn(message: string, fields: Record<string, unknown>): void;
}

/** The store the configuration names, migrated and ready. */
export async function openStore(database: Config['database'], log?: StoreLog): Promise<IncidentStore> {
  switch (database.kind) {
    case 'memory':
      return new MemoryIncidentStore();
    case 'sqlite':
      // The calls of one event-loop turn share one commit (group-commit-store.ts).
      return new SqliteGroupCommitStore(database.file);
    case 'postgres': {
      const store = new PostgresIncidentStore(database.url, database.schema, { poolSize: database.poolSize });
      if (log) {
        store.onConnectionError = (err) => log.warn('database connection lost', { error: err.message });
        store.onConflictRetry = (err) => log.warn('database conflict, retried', { error: err.message });
      }
      await store.migrate();
      return store;
    }
  }
}

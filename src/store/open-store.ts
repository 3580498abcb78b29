import type { Config } from '../config';
import type { IncidentStore } from './incident-store';
import { MemoryIncidentStore } from './memory-store';
import { PostgresIncidentStore } from './postgres-store';
import { SqliteIncidentStore } from './sqlite-store';

/** The store the configuration names, migrated and ready. */
export async function openStore(database: Config['database']): Promise<IncidentStore> {
  switch (database.kind) {
    case 'memory':
      return new MemoryIncidentStore();
    case 'sqlite':
      return new SqliteIncidentStore(database.file);
    case 'postgres': {
      const store = new PostgresIncidentStore(database.url, database.schema);
      await store.migrate();
      return store;
    }
  }
}

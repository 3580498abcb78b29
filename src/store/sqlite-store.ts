import type Database from 'better-sqlite3';
import { ComposedIncidentStore } from './composed-store';
import { SqliteDispatchLeases } from './sqlite/dispatch-leases';
import { SqliteIncidentLog } from './sqlite/incident-log';
import { SqliteMessageRefs } from './sqlite/message-refs';
import { openDatabase } from './sqlite/open-database';
import { SqliteOutboxQueue } from './sqlite/outbox-queue';
import { SqliteReplicaLeases } from './sqlite/replica-leases';

/**
 * The embedded default store: one SQLite file (WAL mode). better-sqlite3 is synchronous;
 * the async port keeps callers ready for PostgreSQL. Its parts (sqlite/*.ts) share the one
 * connection, so that a write of one part can run inside another's transaction.
 */
export class SqliteIncidentStore extends ComposedIncidentStore {
  /** The one connection (the server commits groups of calls on it: group-commit-store.ts). */
  readonly db: Database.Database;

  constructor(file: string) {
    const db = openDatabase(file);
    super({
      log: new SqliteIncidentLog(db),
      dispatches: new SqliteDispatchLeases(db),
      replicas: new SqliteReplicaLeases(db),
      outbox: new SqliteOutboxQueue(db),
      refs: new SqliteMessageRefs(db),
    });
    this.db = db;
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

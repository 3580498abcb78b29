import type Database from 'better-sqlite3';
import type { ReplicaLeases } from '../incident-store';
import { inTransaction, statement } from './statements';

/** A replica's heartbeat and hand-over in SQLite: its dispatches and its outbox messages in one transaction. */
export class SqliteReplicaLeases implements ReplicaLeases {
  constructor(private readonly db: Database.Database) {}

  async renewLeases(owner: string, until: string): Promise<void> {
    inTransaction(this.db, () => {
      statement(this.db, `update dispatches set lease_until = ? where owner = ? and status <> 'done'`).run(
        until,
        owner,
      );
      statement(this.db, `update outbox set lease_until = ? where owner = ? and status = 'pending'`).run(
        until,
        owner,
      );
    });
  }

  async releaseLeases(owner: string): Promise<void> {
    inTransaction(this.db, () => {
      statement(this.db, `update dispatches set lease_until = null where owner = ? and status <> 'done'`).run(
        owner,
      );
      statement(
        this.db,
        `update outbox set owner = null, lease_until = null where owner = ? and status = 'pending'`,
      ).run(owner);
    });
  }
}

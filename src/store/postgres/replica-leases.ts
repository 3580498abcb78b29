import type { ReplicaLeases } from '../incident-store';
import type { PostgresConnection } from './connection';

/**
 * A replica's heartbeat and hand-over on PostgreSQL. Each takes locks 2 then 3 of the store's
 * lock order (lock-order.ts): its dispatch rows, then its outbox rows, each sorted by key —
 * issue 12's deadlock came from locking outbox rows here in heap order.
 */
export class PostgresReplicaLeases implements ReplicaLeases {
  constructor(private readonly db: PostgresConnection) {}

  async renewLeases(owner: string, until: string): Promise<void> {
    await this.db.transaction(async (db) => {
      await db.query(
        `with locked as (
           select incident_id, step_id, attempt from dispatches where owner = $1 and status <> 'done'
           order by incident_id, step_id, attempt for update)
         update dispatches d set lease_until = $2 from locked
         where (d.incident_id, d.step_id, d.attempt) = (locked.incident_id, locked.step_id, locked.attempt)`,
        [owner, until],
      );
      await db.query(
        `with locked as (select id from outbox where owner = $1 and status = 'pending' order by id for update)
         update outbox o set lease_until = $2 from locked where o.id = locked.id`,
        [owner, until],
      );
    });
  }

  async releaseLeases(owner: string): Promise<void> {
    await this.db.transaction(async (db) => {
      await db.query(
        `with locked as (
           select incident_id, step_id, attempt from dispatches where owner = $1 and status <> 'done'
           order by incident_id, step_id, attempt for update)
         update dispatches d set lease_until = null from locked
         where (d.incident_id, d.step_id, d.attempt) = (locked.incident_id, locked.step_id, locked.attempt)`,
        [owner],
      );
      await db.query(
        `with locked as (select id from outbox where owner = $1 and status = 'pending' order by id for update)
         update outbox o set owner = null, lease_until = null from locked where o.id = locked.id`,
        [owner],
      );
    });
  }
}

import type { OutboxClaim, OutboxItem, OutboxQueue } from '../incident-store';
import { type OutboxRow, toOutboxItem } from '../sql-rows';
import type { PostgresConnection, TransactionScope } from './connection';
import { OutboxLock } from './lock-order';

/**
 * The outbox on PostgreSQL. A claim takes locks 3 and 4 of the store's lock order
 * (lock-order.ts): the OutboxLock advisory lock, then the outbox rows by id; settling and
 * retrying take lock 4 only.
 */
export class PostgresOutboxQueue implements OutboxQueue {
  constructor(private readonly db: PostgresConnection) {}

  async claimOutbox(claim: OutboxClaim): Promise<OutboxItem[]> {
    return this.db.transaction(async (db) => {
      await db.query('select pg_advisory_xact_lock($1)', [OutboxLock]);
      // The oldest pending message of each incident decides: due, and not leased by another replica.
      const { rows } = await db.query<OutboxRow>(
        `with heads as (
           select distinct on (incident_id) incident_id, id, next_at, lease_until, owner from outbox
           where status = 'pending' and ($4::text is null or incident_id = $4)
           order by incident_id, id),
         ready as (
           select incident_id from heads
           where next_at <= $3 and (lease_until is null or lease_until < $3 or owner = $1)
           order by id limit $5),
         locked as (
           select id from outbox
           where status = 'pending' and incident_id in (select incident_id from ready)
           order by id for update)
         update outbox o set owner = $1, lease_until = $2, claims = o.claims + 1 from locked
         where o.id = locked.id
         returning o.id, o.incident_id, o.message, o.attempts, o.claims`,
        [claim.owner, claim.until, claim.now, claim.incidentId ?? null, claim.limit],
      );
      return rows
        .map(toOutboxItem)
        .sort((a, b) => (a.incidentId < b.incidentId ? -1 : a.incidentId > b.incidentId ? 1 : a.id - b.id));
    });
  }

  async settleOutbox(
    ids: number[],
    owner: string,
    status: 'sent' | 'failed',
    at: string,
    error?: string,
  ): Promise<void> {
    await this.db.write(
      `with locked as (
         select id from outbox
         where id = any($1::bigint[]) and status = 'pending' and ($3 = 'sent' or owner = $2)
         order by id for update)
       update outbox o set status = $3, settled_at = $4, last_error = $5, owner = null, lease_until = null
       from locked where o.id = locked.id`,
      [ids, owner, status, at, error ?? null],
    );
  }

  async retryOutbox(item: OutboxItem, owner: string, nextAt: string, error: string): Promise<void> {
    // One statement: the failed message and the incident's other claimed ones, locked by id.
    await this.db.write(
      `with locked as (
         select id from outbox
         where id = $1 or (incident_id = $2 and owner = $3 and status = 'pending')
         order by id for update)
       update outbox o set owner = null, lease_until = null,
         attempts = case when o.id = $1 then o.attempts + 1 else o.attempts end,
         next_at = case when o.id = $1 then $4 else o.next_at end,
         last_error = case when o.id = $1 then $5 else o.last_error end
       from locked where o.id = locked.id`,
      [item.id, item.incidentId, owner, nextAt, error],
    );
  }

  async outboxDepth(): Promise<number> {
    const { rows } = await this.db.read<{ n: string }>(
      `select count(*) as n from outbox where status = 'pending'`,
    );
    return Number(rows[0]?.n ?? 0);
  }
}

/**
 * Queues chat messages, in order, inside the caller's transaction (the one that writes the
 * transcript entries telling of them). Inserting takes no lock another statement waits for.
 */
export async function queueMessages(
  db: TransactionScope,
  incidentId: string,
  messages: readonly object[],
  at: string,
): Promise<void> {
  for (const message of messages) {
    await db.query(
      `insert into outbox (incident_id, message, status, next_at, created_at) values ($1, $2, 'pending', $3, $3)`,
      [incidentId, JSON.stringify(message), at],
    );
  }
}

import type Database from 'better-sqlite3';
import type { MessageRef, OutboxClaim, OutboxItem, OutboxQueue } from '../incident-store';
import { type OutboxRow, toOutboxItem } from '../sql-rows';
import { SqliteMessageRefs } from './message-refs';
import { inTransaction, statement } from './statements';

/** The outbox in SQLite. */
export class SqliteOutboxQueue implements OutboxQueue {
  constructor(private readonly db: Database.Database) {}

  async claimOutbox(claim: OutboxClaim): Promise<OutboxItem[]> {
    return inTransaction(this.db, () => {
      // The oldest pending message of each incident decides: due, and not leased by another replica.
      const ready = statement(
        this.db,
        `select o.incident_id from outbox o
           where o.status = 'pending'
             and o.id = (select min(id) from outbox h where h.incident_id = o.incident_id and h.status = 'pending')
             and o.next_at <= @now and (o.lease_until is null or o.lease_until < @now or o.owner = @owner)
             and (@incidentId is null or o.incident_id = @incidentId)
           order by o.id limit @limit`,
      )
        .pluck()
        .all({
          now: claim.now,
          owner: claim.owner,
          limit: claim.limit,
          incidentId: claim.incidentId ?? null,
        }) as string[];
      if (ready.length === 0) return [];
      const list = JSON.stringify(ready);
      statement(
        this.db,
        `update outbox set owner = ?, lease_until = ?, claims = claims + 1
           where status = 'pending' and incident_id in (select value from json_each(?))`,
      ).run(claim.owner, claim.until, list);
      const rows = statement(
        this.db,
        `select id, incident_id, message, attempts, claims from outbox
           where status = 'pending' and owner = ? and incident_id in (select value from json_each(?))
           order by incident_id, id`,
      ).all(claim.owner, list) as OutboxRow[];
      return rows.map(toOutboxItem);
    });
  }

  async failOutbox(ids: number[], owner: string, at: string, error: string): Promise<void> {
    statement(
      this.db,
      `update outbox set status = 'failed', settled_at = ?, last_error = ?, owner = null, lease_until = null
         where id in (select value from json_each(?)) and status = 'pending' and owner = ?`,
    ).run(at, error, JSON.stringify(ids), owner);
  }

  async markSent(ids: number[], at: string, refs: readonly MessageRef[] = []): Promise<void> {
    inTransaction(this.db, () => {
      statement(
        this.db,
        `update outbox set status = 'sent', settled_at = ?, last_error = null, owner = null, lease_until = null
           where id in (select value from json_each(?)) and status = 'pending'`,
      ).run(at, JSON.stringify(ids));
      for (const ref of refs) SqliteMessageRefs.write(this.db, ref, at);
    });
  }

  async retryOutbox(item: OutboxItem, owner: string, nextAt: string, error: string): Promise<void> {
    inTransaction(this.db, () => {
      statement(
        this.db,
        'update outbox set attempts = attempts + 1, next_at = ?, last_error = ? where id = ?',
      ).run(nextAt, error, item.id);
      statement(
        this.db,
        `update outbox set owner = null, lease_until = null
           where incident_id = ? and owner = ? and status = 'pending'`,
      ).run(item.incidentId, owner);
    });
  }

  async outboxDepth(): Promise<number> {
    return statement(this.db, `select count(*) from outbox where status = 'pending'`).pluck().get() as number;
  }
}

/** Queues chat messages, in order, inside the caller's transaction (the one that writes their transcript entries). */
export function queueMessages(
  db: Database.Database,
  incidentId: string,
  messages: readonly object[],
  at: string,
): void {
  const enqueue = statement(
    db,
    `insert into outbox (incident_id, message, status, next_at, created_at) values (?, ?, 'pending', ?, ?)`,
  );
  for (const message of messages) enqueue.run(incidentId, JSON.stringify(message), at, at);
}

import type { MessageRef, OutboxClaim, OutboxItem, OutboxQueue } from '../incident-store';
import { type OutboxRow, toOutboxItem } from '../sql-rows';
import type { PostgresConnection } from './connection';

/**
 * The outbox on PostgreSQL. A claim takes lock 3 of the store's lock order (lock-order.ts):
 * the pending rows of the incidents it claims, by id; settling and retrying take lock 3 too.
 */
export class PostgresOutboxQueue implements OutboxQueue {
  constructor(private readonly db: PostgresConnection) {}

  /**
   * One statement, no table-wide lock. Candidates are the incidents whose oldest pending
   * message looks due and free in the statement's snapshot; their pending rows are then
   * locked by id, and only incidents whose oldest locked row — as it is now, once locked —
   * is still due and free are claimed. Two replicas claiming one incident queue on its rows:
   * the second finds the first's lease on them and leaves the incident alone, so an
   * incident's messages are held by one replica and go out in order. Other incidents are
   * claimed side by side.
   */
  async claimOutbox(claim: OutboxClaim): Promise<OutboxItem[]> {
    const { rows } = await this.db.write<OutboxRow>(
      `with heads as (
         select distinct on (incident_id) incident_id, id, next_at, lease_until, owner from outbox
         where status = 'pending' and ($4::text is null or incident_id = $4)
         order by incident_id, id),
       candidates as (
         select incident_id from heads
         where next_at <= $3 and (lease_until is null or lease_until < $3 or owner = $1)
         order by id limit $5),
       -- Locked rows come back as they are now: a row another replica changed while this
       -- statement waited for it is read again (and dropped if it is no longer pending).
       locked as (
         select id, incident_id, next_at, lease_until, owner from outbox
         where status = 'pending' and incident_id in (select incident_id from candidates)
         order by id for update),
       ready as (
         select incident_id from (
           select distinct on (incident_id) incident_id, next_at, lease_until, owner from locked
           order by incident_id, id) head
         where next_at <= $3 and (lease_until is null or lease_until < $3 or owner = $1))
       update outbox o set owner = $1, lease_until = $2, claims = o.claims + 1 from locked
       where o.id = locked.id and locked.incident_id in (select incident_id from ready)
       returning o.id, o.incident_id, o.message, o.attempts, o.claims`,
      [claim.owner, claim.until, claim.now, claim.incidentId ?? null, claim.limit],
    );
    return rows
      .map(toOutboxItem)
      .sort((a, b) => (a.incidentId < b.incidentId ? -1 : a.incidentId > b.incidentId ? 1 : a.id - b.id));
  }

  async failOutbox(ids: number[], owner: string, at: string, error: string): Promise<void> {
    await this.db.write(
      `with locked as (
         select id from outbox
         where id = any($1::bigint[]) and status = 'pending' and owner = $2
         order by id for update)
       update outbox o set status = 'failed', settled_at = $3, last_error = $4, owner = null, lease_until = null
       from locked where o.id = locked.id`,
      [ids, owner, at, error],
    );
  }

  /**
   * One statement: the rows by id (lock 3), then the refs (lock 4, by key). The refs' upsert
   * is gated on the mark, so it runs after the outbox rows are locked, as the lock order says.
   * A key given twice is written once, with its last value (an upsert may not touch a row twice).
   */
  async markSent(ids: number[], at: string, refs: readonly MessageRef[] = []): Promise<void> {
    const last = new Map(refs.map((r) => [r.key, r.value]));
    const sorted = [...last].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    await this.db.write(
      `with locked as (
         select id from outbox where id = any($1::bigint[]) and status = 'pending' order by id for update),
       marked as (
         update outbox o set status = 'sent', settled_at = $2, last_error = null, owner = null, lease_until = null
         from locked where o.id = locked.id
         returning o.id)
       insert into message_refs (key, value, updated_at)
       select r.key, r.value, $2 from unnest($3::text[], $4::text[]) with ordinality as r (key, value, n)
       -- Always true, but a one-time filter over all of marked: the outbox rows are locked first.
       where (select count(*) from marked) >= 0
       order by r.n
       on conflict (key) do update set value = excluded.value, updated_at = excluded.updated_at`,
      [ids, at, sorted.map(([key]) => key), sorted.map(([, value]) => value)],
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

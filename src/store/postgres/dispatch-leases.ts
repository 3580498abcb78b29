import type { TranscriptDraft } from '../../core/transcript';
import type { DispatchLeases, DispatchRecord } from '../incident-store';
import { DispatchColumns, type DispatchRow, dispatchArgs, toDispatch } from '../sql-rows';
import { appendArgs, appendCtes, whileChainMoves } from './append-in-statement';
import type { PostgresConnection } from './connection';

/**
 * Run Commands in flight on PostgreSQL. finishDispatch takes locks 1 and 2 of the store's
 * lock order (lock-order.ts): the incident row, then the dispatch row.
 */
export class PostgresDispatchLeases implements DispatchLeases {
  constructor(private readonly db: PostgresConnection) {}

  async claimDispatch(record: DispatchRecord): Promise<boolean> {
    const { rowCount } = await this.db.write(
      `insert into dispatches (incident_id, step_id, attempt, status, poller_state, result, updated_at, owner, lease_until)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9) on conflict do nothing`,
      dispatchArgs(record),
    );
    return rowCount === 1;
  }

  /** Only while `record.owner` holds the dispatch and it is not done. */
  async updateDispatch(record: DispatchRecord): Promise<boolean> {
    const { rowCount } = await this.db.write(
      `update dispatches set status = $4, poller_state = $5, result = $6, updated_at = $7,
         lease_until = case when $4 = 'done' then null else lease_until end
       where incident_id = $1 and step_id = $2 and attempt = $3
         and owner is not distinct from $8 and status <> 'done'`,
      [
        record.incidentId,
        record.stepId,
        record.attempt,
        record.status,
        record.pollerState,
        record.result === null ? null : JSON.stringify(record.result),
        record.updatedAt,
        record.owner,
      ],
    );
    return rowCount === 1;
  }

  async finishDispatch(
    record: DispatchRecord,
    entries: TranscriptDraft[],
    at: string,
    outbox: readonly object[] = [],
  ): Promise<boolean> {
    // One statement. The incident row lock first, as save() takes it (the transcript chain
    // stays linear); the dispatch row is locked by the update, which the lock gates.
    const { rows } = await whileChainMoves(() =>
      this.db.write<{ done: string }>(
        `with recursive
         locked as (select id from incidents where id = $1 for update),
         done as (
           update dispatches set status = 'done', poller_state = $4, result = $5, updated_at = $6, lease_until = null
           where incident_id = $1 and step_id = $2 and attempt = $3
             and owner is not distinct from $7 and status <> 'done'
             and exists (select 1 from locked)
           returning 1),
         ${appendCtes('$1', '$6', 8, 'done')}
         select count(*) as done from done`,
        [
          record.incidentId,
          record.stepId,
          record.attempt,
          record.pollerState,
          record.result === null ? null : JSON.stringify(record.result),
          at,
          record.owner,
          ...appendArgs(record.incidentId, entries, at, outbox),
        ],
      ),
    );
    return Number(rows[0]?.done) === 1;
  }

  async getDispatch(
    incidentId: string,
    stepId: string,
    attempt: number,
  ): Promise<DispatchRecord | undefined> {
    const { rows } = await this.db.read<DispatchRow>(
      `select ${DispatchColumns} from dispatches where incident_id = $1 and step_id = $2 and attempt = $3`,
      [incidentId, stepId, attempt],
    );
    return rows[0] ? toDispatch(rows[0]) : undefined;
  }

  async takeOverDispatch(
    key: { incidentId: string; stepId: string; attempt: number },
    owner: string,
    until: string,
    now: string,
  ): Promise<DispatchRecord | undefined> {
    const { rows } = await this.db.write<DispatchRow>(
      `update dispatches set owner = $4, lease_until = $5
       where incident_id = $1 and step_id = $2 and attempt = $3 and status <> 'done'
         and (lease_until is null or lease_until < $6 or owner = $4)
       returning ${DispatchColumns}`,
      [key.incidentId, key.stepId, key.attempt, owner, until, now],
    );
    return rows[0] ? toDispatch(rows[0]) : undefined;
  }

  async lapsedDispatches(now: string, limit: number): Promise<DispatchRecord[]> {
    const { rows } = await this.db.read<DispatchRow>(
      `select ${DispatchColumns} from dispatches where status <> 'done' and (lease_until is null or lease_until < $1)
       order by updated_at limit $2`,
      [now, limit],
    );
    return rows.map(toDispatch);
  }
}

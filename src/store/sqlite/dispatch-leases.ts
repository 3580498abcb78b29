import type Database from 'better-sqlite3';
import type { TranscriptDraft } from '../../core/transcript';
import type { DispatchLeases, DispatchRecord } from '../incident-store';
import { DispatchColumns, type DispatchRow, dispatchArgs, toDispatch } from '../sql-rows';
import { insertEntries } from './incident-log';
import { inTransaction, statement } from './statements';

/** Run Commands in flight, in SQLite (one writer at a time, so no lock order to keep). */
export class SqliteDispatchLeases implements DispatchLeases {
  constructor(private readonly db: Database.Database) {}

  async claimDispatch(record: DispatchRecord): Promise<boolean> {
    const info = statement(
      this.db,
      `insert into dispatches (incident_id, step_id, attempt, status, poller_state, result, updated_at, owner, lease_until)
         values (?, ?, ?, ?, ?, ?, ?, ?, ?) on conflict do nothing`,
    ).run(...dispatchArgs(record));
    return info.changes === 1;
  }

  async updateDispatch(record: DispatchRecord): Promise<boolean> {
    return this.updateDispatchSync(record);
  }

  async finishDispatch(
    record: DispatchRecord,
    entries: TranscriptDraft[],
    at: string,
    outbox: readonly object[] = [],
  ): Promise<boolean> {
    return inTransaction(this.db, () => {
      const done = this.updateDispatchSync({ ...record, status: 'done', updatedAt: at });
      if (done) insertEntries(this.db, record.incidentId, entries, at, outbox);
      return done;
    });
  }

  async getDispatch(
    incidentId: string,
    stepId: string,
    attempt: number,
  ): Promise<DispatchRecord | undefined> {
    const row = statement(
      this.db,
      `select ${DispatchColumns} from dispatches where incident_id = ? and step_id = ? and attempt = ?`,
    ).get(incidentId, stepId, attempt) as DispatchRow | undefined;
    return row ? toDispatch(row) : undefined;
  }

  async takeOverDispatch(
    key: { incidentId: string; stepId: string; attempt: number },
    owner: string,
    until: string,
    now: string,
  ): Promise<DispatchRecord | undefined> {
    const row = statement(
      this.db,
      `update dispatches set owner = @owner, lease_until = @until
         where incident_id = @incidentId and step_id = @stepId and attempt = @attempt and status <> 'done'
           and (lease_until is null or lease_until < @now or owner = @owner)
         returning *`,
    ).get({ ...key, owner, until, now }) as DispatchRow | undefined;
    return row ? toDispatch(row) : undefined;
  }

  async lapsedDispatches(now: string, limit: number): Promise<DispatchRecord[]> {
    const rows = statement(
      this.db,
      `select ${DispatchColumns} from dispatches where status <> 'done' and (lease_until is null or lease_until < ?)
         order by updated_at limit ?`,
    ).all(now, limit) as DispatchRow[];
    return rows.map(toDispatch);
  }

  /** Only while `record.owner` holds the dispatch and it is not done; a done one drops its lease. */
  private updateDispatchSync(record: DispatchRecord): boolean {
    const info = statement(
      this.db,
      `update dispatches set status = @status, poller_state = @pollerState, result = @result,
           updated_at = @updatedAt, lease_until = case when @status = 'done' then null else lease_until end
         where incident_id = @incidentId and step_id = @stepId and attempt = @attempt
           and owner is @owner and status <> 'done'`,
    ).run({ ...record, result: record.result === null ? null : JSON.stringify(record.result) });
    return info.changes === 1;
  }
}

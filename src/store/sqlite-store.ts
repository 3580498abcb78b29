import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { ErrorCodes, RdpFixError } from '../core/errors';
import { chainEntries, type TranscriptDraft, type TranscriptEntry } from '../core/transcript';
import { DefaultListLimit } from './filter-incidents';
import type {
  DispatchRecord,
  IncidentFilter,
  IncidentPatch,
  IncidentRecord,
  IncidentStore,
  NewIncident,
} from './incident-store';
import {
  type DispatchRow,
  dispatchArgs,
  type EntryRow,
  type IncidentRow,
  toDispatch,
  toEntry,
  toRecord,
} from './sql-rows';

const Schema = `
create table if not exists incidents (
  id text primary key,
  playbook_id text not null,
  playbook_hash text not null,
  vm_name text not null,
  channel text not null,
  status text not null,
  created_at text not null,
  updated_at text not null,
  version integer not null,
  body text not null
);
create index if not exists incidents_status on incidents (status, created_at);
create index if not exists incidents_vm on incidents (vm_name, created_at);
create table if not exists transcript (
  incident_id text not null references incidents (id),
  seq integer not null,
  at text not null,
  kind text not null,
  actor text,
  data text not null,
  prev_hash text not null,
  hash text not null,
  primary key (incident_id, seq)
);
-- The transcript is append-only: the database itself refuses edits and deletions.
create trigger if not exists transcript_no_update before update on transcript
  begin select raise(abort, 'the transcript is append-only'); end;
create trigger if not exists transcript_no_delete before delete on transcript
  begin select raise(abort, 'the transcript is append-only'); end;
create table if not exists dispatches (
  incident_id text not null,
  step_id text not null,
  attempt integer not null,
  status text not null,
  poller_state text,
  result text,
  updated_at text not null,
  primary key (incident_id, step_id, attempt)
);
`;

/**
 * The embedded default store: one SQLite file (WAL mode). better-sqlite3 is synchronous;
 * the async port keeps callers ready for PostgreSQL. Columns that are filtered on are real
 * columns; the rest of the record is one JSON body.
 */
export class SqliteIncidentStore implements IncidentStore {
  private readonly db: Database.Database;

  constructor(file: string) {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    // FULL: a committed transition survives a power loss, not only a process crash.
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(Schema);
  }

  async create(incident: NewIncident, entries: TranscriptDraft[], at: string): Promise<IncidentRecord> {
    const record: IncidentRecord = { ...incident, version: 1, createdAt: at, updatedAt: at };
    this.db.transaction(() => {
      const exists = this.db.prepare('select 1 from incidents where id = ?').get(incident.id);
      if (exists) throw new RdpFixError(ErrorCodes.VersionConflict, `incident ${incident.id} already exists`);
      this.db
        .prepare(
          `insert into incidents (id, playbook_id, playbook_hash, vm_name, channel, status, created_at, updated_at, version, body)
           values (@id, @playbookId, @playbookHash, @vmName, @channel, @status, @createdAt, @updatedAt, 1, @body)`,
        )
        .run({
          id: record.id,
          playbookId: record.playbookId,
          playbookHash: record.playbookHash,
          vmName: record.vm.name,
          channel: record.channel.channel,
          status: record.status,
          createdAt: at,
          updatedAt: at,
          body: JSON.stringify(record),
        });
      this.insertEntries(incident.id, entries, at);
    })();
    return record;
  }

  async get(id: string): Promise<IncidentRecord | undefined> {
    const row = this.db
      .prepare('select body, version, created_at, updated_at from incidents where id = ?')
      .get(id) as IncidentRow | undefined;
    return row ? toRecord(row) : undefined;
  }

  async save(
    id: string,
    expectedVersion: number,
    patch: IncidentPatch,
    entries: TranscriptDraft[],
    at: string,
  ): Promise<IncidentRecord> {
    return this.db.transaction(() => {
      const row = this.db
        .prepare('select body, version, created_at, updated_at from incidents where id = ?')
        .get(id) as IncidentRow | undefined;
      if (!row) throw new RdpFixError(ErrorCodes.IncidentNotFound, `incident ${id} not found`);
      if (row.version !== expectedVersion) {
        throw new RdpFixError(ErrorCodes.VersionConflict, `incident ${id} changed meanwhile`, {
          expected: expectedVersion,
          actual: row.version,
        });
      }
      const next: IncidentRecord = { ...toRecord(row), ...patch, version: row.version + 1, updatedAt: at };
      this.db
        .prepare(
          `update incidents set status = @status, channel = @channel, updated_at = @updatedAt, version = @version, body = @body
           where id = @id and version = @expected`,
        )
        .run({
          id,
          status: next.status,
          channel: next.channel.channel,
          updatedAt: at,
          version: next.version,
          expected: expectedVersion,
          body: JSON.stringify(next),
        });
      this.insertEntries(id, entries, at);
      return next;
    })();
  }

  async append(id: string, entries: TranscriptDraft[], at: string): Promise<void> {
    this.db.transaction(() => {
      if (!this.db.prepare('select 1 from incidents where id = ?').get(id)) {
        throw new RdpFixError(ErrorCodes.IncidentNotFound, `incident ${id} not found`);
      }
      this.insertEntries(id, entries, at);
    })();
  }

  async setThread(id: string, thread: string): Promise<void> {
    const info = this.db
      .prepare(`update incidents set body = json_set(body, '$.channel.thread', ?) where id = ?`)
      .run(thread, id);
    if (info.changes !== 1) throw new RdpFixError(ErrorCodes.IncidentNotFound, `incident ${id} not found`);
  }

  async list(filter: IncidentFilter = {}): Promise<IncidentRecord[]> {
    const where: string[] = [];
    const args: Record<string, unknown> = { limit: filter.limit ?? DefaultListLimit };
    if (filter.status) {
      where.push('status = @status');
      args.status = filter.status;
    }
    if (filter.vmName) {
      where.push('vm_name = @vmName');
      args.vmName = filter.vmName;
    }
    if (filter.channel) {
      where.push('channel = @channel');
      args.channel = filter.channel;
    }
    const sql = `select body, version, created_at, updated_at from incidents
      ${where.length ? `where ${where.join(' and ')}` : ''} order by created_at desc, id desc limit @limit`;
    return (this.db.prepare(sql).all(args) as IncidentRow[]).map(toRecord);
  }

  async transcript(id: string): Promise<TranscriptEntry[]> {
    const rows = this.db
      .prepare('select * from transcript where incident_id = ? order by seq')
      .all(id) as EntryRow[];
    return rows.map(toEntry);
  }

  async claimDispatch(record: DispatchRecord): Promise<boolean> {
    const info = this.db
      .prepare(
        `insert into dispatches (incident_id, step_id, attempt, status, poller_state, result, updated_at)
         values (?, ?, ?, ?, ?, ?, ?) on conflict do nothing`,
      )
      .run(...dispatchArgs(record));
    return info.changes === 1;
  }

  async updateDispatch(record: DispatchRecord): Promise<void> {
    this.db
      .prepare(
        `insert into dispatches (incident_id, step_id, attempt, status, poller_state, result, updated_at)
         values (?, ?, ?, ?, ?, ?, ?)
         on conflict (incident_id, step_id, attempt) do update set
           status = excluded.status, poller_state = excluded.poller_state, result = excluded.result,
           updated_at = excluded.updated_at`,
      )
      .run(...dispatchArgs(record));
  }

  async getDispatch(
    incidentId: string,
    stepId: string,
    attempt: number,
  ): Promise<DispatchRecord | undefined> {
    const row = this.db
      .prepare('select * from dispatches where incident_id = ? and step_id = ? and attempt = ?')
      .get(incidentId, stepId, attempt) as DispatchRow | undefined;
    return row ? toDispatch(row) : undefined;
  }

  async close(): Promise<void> {
    this.db.close();
  }

  private insertEntries(id: string, drafts: TranscriptDraft[], at: string): void {
    if (drafts.length === 0) return;
    const last = this.db
      .prepare('select seq, hash from transcript where incident_id = ? order by seq desc limit 1')
      .get(id) as { seq: number; hash: string } | undefined;
    const insert = this.db.prepare(
      `insert into transcript (incident_id, seq, at, kind, actor, data, prev_hash, hash)
       values (@incidentId, @seq, @at, @kind, @actor, @data, @prevHash, @hash)`,
    );
    for (const entry of chainEntries(id, last, drafts, at)) {
      insert.run({ ...entry, data: JSON.stringify(entry.data) });
    }
  }
}

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
  OutboxClaim,
  OutboxItem,
} from './incident-store';
import { nextVersion } from './next-version';
import {
  type DispatchRow,
  dispatchArgs,
  type EntryRow,
  type IncidentRow,
  type OutboxRow,
  toDispatch,
  toEntry,
  toOutboxItem,
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

/** Changes after the first schema, applied once each (`pragma user_version` counts them). */
const Migrations: string[] = [
  `alter table dispatches add column owner text;
   alter table dispatches add column lease_until text;
   create table outbox (
     id integer primary key autoincrement, incident_id text not null, message text not null,
     status text not null, attempts integer not null default 0, next_at text not null,
     owner text, lease_until text, last_error text, created_at text not null, settled_at text);
   create index outbox_pending on outbox (status, incident_id, id);
   create table message_refs (key text primary key, value text not null, updated_at text not null);`,
  // Claims per message: a message claimed before by someone else may have been accepted already.
  'alter table outbox add column claims integer not null default 0;',
];

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
    this.migrate();
  }

  private migrate(): void {
    const applied = this.db.pragma('user_version', { simple: true }) as number;
    for (const [index, sql] of Migrations.entries()) {
      if (index < applied) continue;
      this.db.transaction(() => {
        this.db.exec(sql);
        this.db.pragma(`user_version = ${index + 1}`);
      })();
    }
  }

  async create(
    incident: NewIncident,
    entries: TranscriptDraft[],
    at: string,
    outbox: readonly object[] = [],
  ): Promise<IncidentRecord> {
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
      this.insertEntries(incident.id, entries, at, outbox);
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
    outbox: readonly object[] = [],
  ): Promise<IncidentRecord> {
    return this.db.transaction(() => {
      const row = this.db
        .prepare('select body, version, created_at, updated_at from incidents where id = ?')
        .get(id) as IncidentRow | undefined;
      const next = nextVersion(id, row && toRecord(row), expectedVersion, patch, at);
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
      this.insertEntries(id, entries, at, outbox);
      return next;
    })();
  }

  async append(
    id: string,
    entries: TranscriptDraft[],
    at: string,
    outbox: readonly object[] = [],
  ): Promise<void> {
    this.db.transaction(() => {
      if (!this.db.prepare('select 1 from incidents where id = ?').get(id)) {
        throw new RdpFixError(ErrorCodes.IncidentNotFound, `incident ${id} not found`);
      }
      this.insertEntries(id, entries, at, outbox);
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
        `insert into dispatches (incident_id, step_id, attempt, status, poller_state, result, updated_at, owner, lease_until)
         values (?, ?, ?, ?, ?, ?, ?, ?, ?) on conflict do nothing`,
      )
      .run(...dispatchArgs(record));
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
    return this.db.transaction(() => {
      const done = this.updateDispatchSync({ ...record, status: 'done', updatedAt: at });
      if (done) this.insertEntries(record.incidentId, entries, at, outbox);
      return done;
    })();
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

  async takeOverDispatch(
    key: { incidentId: string; stepId: string; attempt: number },
    owner: string,
    until: string,
    now: string,
  ): Promise<DispatchRecord | undefined> {
    const row = this.db
      .prepare(
        `update dispatches set owner = @owner, lease_until = @until
         where incident_id = @incidentId and step_id = @stepId and attempt = @attempt and status <> 'done'
           and (lease_until is null or lease_until < @now or owner = @owner)
         returning *`,
      )
      .get({ ...key, owner, until, now }) as DispatchRow | undefined;
    return row ? toDispatch(row) : undefined;
  }

  async lapsedDispatches(now: string, limit: number): Promise<DispatchRecord[]> {
    const rows = this.db
      .prepare(
        `select * from dispatches where status <> 'done' and (lease_until is null or lease_until < ?)
         order by updated_at limit ?`,
      )
      .all(now, limit) as DispatchRow[];
    return rows.map(toDispatch);
  }

  async renewLeases(owner: string, until: string): Promise<void> {
    this.db.transaction(() => {
      this.db
        .prepare(`update dispatches set lease_until = ? where owner = ? and status <> 'done'`)
        .run(until, owner);
      this.db
        .prepare(`update outbox set lease_until = ? where owner = ? and status = 'pending'`)
        .run(until, owner);
    })();
  }

  async releaseLeases(owner: string): Promise<void> {
    this.db.transaction(() => {
      this.db
        .prepare(`update dispatches set lease_until = null where owner = ? and status <> 'done'`)
        .run(owner);
      this.db
        .prepare(`update outbox set owner = null, lease_until = null where owner = ? and status = 'pending'`)
        .run(owner);
    })();
  }

  async claimOutbox(claim: OutboxClaim): Promise<OutboxItem[]> {
    return this.db.transaction(() => {
      // The oldest pending message of each incident decides: due, and not leased by another replica.
      const ready = this.db
        .prepare(
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
      this.db
        .prepare(
          `update outbox set owner = ?, lease_until = ?, claims = claims + 1
           where status = 'pending' and incident_id in (select value from json_each(?))`,
        )
        .run(claim.owner, claim.until, list);
      const rows = this.db
        .prepare(
          `select id, incident_id, message, attempts, claims from outbox
           where status = 'pending' and owner = ? and incident_id in (select value from json_each(?))
           order by incident_id, id`,
        )
        .all(claim.owner, list) as OutboxRow[];
      return rows.map(toOutboxItem);
    })();
  }

  async settleOutbox(
    ids: number[],
    owner: string,
    status: 'sent' | 'failed',
    at: string,
    error?: string,
  ): Promise<void> {
    this.db
      .prepare(
        `update outbox set status = ?, settled_at = ?, last_error = ?, owner = null, lease_until = null
         where id in (select value from json_each(?)) and status = 'pending' and (? = 'sent' or owner = ?)`,
      )
      .run(status, at, error ?? null, JSON.stringify(ids), status, owner);
  }

  async retryOutbox(item: OutboxItem, owner: string, nextAt: string, error: string): Promise<void> {
    this.db.transaction(() => {
      this.db
        .prepare('update outbox set attempts = attempts + 1, next_at = ?, last_error = ? where id = ?')
        .run(nextAt, error, item.id);
      this.db
        .prepare(
          `update outbox set owner = null, lease_until = null
           where incident_id = ? and owner = ? and status = 'pending'`,
        )
        .run(item.incidentId, owner);
    })();
  }

  async outboxDepth(): Promise<number> {
    return this.db.prepare(`select count(*) from outbox where status = 'pending'`).pluck().get() as number;
  }

  async getRef(key: string): Promise<string | undefined> {
    return this.db.prepare('select value from message_refs where key = ?').pluck().get(key) as
      | string
      | undefined;
  }

  async setRef(key: string, value: string, at: string): Promise<void> {
    this.db
      .prepare(
        `insert into message_refs (key, value, updated_at) values (?, ?, ?)
         on conflict (key) do update set value = excluded.value, updated_at = excluded.updated_at`,
      )
      .run(key, value, at);
  }

  async close(): Promise<void> {
    this.db.close();
  }

  private insertEntries(id: string, drafts: TranscriptDraft[], at: string, outbox: readonly object[]): void {
    if (drafts.length === 0 && outbox.length === 0) return;
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
    // Chat messages go to the outbox in the same transaction: a crash loses none of them.
    const enqueue = this.db.prepare(
      `insert into outbox (incident_id, message, status, next_at, created_at) values (?, ?, 'pending', ?, ?)`,
    );
    for (const message of outbox) enqueue.run(id, JSON.stringify(message), at, at);
  }

  /** Only while `record.owner` holds the dispatch and it is not done; a done one drops its lease. */
  private updateDispatchSync(record: DispatchRecord): boolean {
    const info = this.db
      .prepare(
        `update dispatches set status = @status, poller_state = @pollerState, result = @result,
           updated_at = @updatedAt, lease_until = case when @status = 'done' then null else lease_until end
         where incident_id = @incidentId and step_id = @stepId and attempt = @attempt
           and owner is @owner and status <> 'done'`,
      )
      .run({ ...record, result: record.result === null ? null : JSON.stringify(record.result) });
    return info.changes === 1;
  }
}

import type Database from 'better-sqlite3';
import { ErrorCodes, RdpFixError } from '../../core/errors';
import { chainEntries, type TranscriptDraft, type TranscriptEntry } from '../../core/transcript';
import { DefaultListLimit } from '../filter-incidents';
import type {
  IncidentFilter,
  IncidentLog,
  IncidentPatch,
  IncidentRecord,
  NewIncident,
  OpenIncident,
} from '../incident-store';
import { nextVersion } from '../next-version';
import { alreadyOpen, openVmKey } from '../open-vm-key';
import {
  EntryColumns,
  type EntryRow,
  IncidentColumns,
  type IncidentRow,
  type OpenIncidentRow,
  toEntry,
  toOpenIncident,
  toRecord,
} from '../sql-rows';
import { queueMessages } from './outbox-queue';
import { inTransaction, statement } from './statements';

/**
 * Incidents and their transcript in SQLite. Columns that are filtered on are real columns;
 * the rest of the record is one JSON body.
 */
export class SqliteIncidentLog implements IncidentLog {
  constructor(private readonly db: Database.Database) {}

  async create(
    incident: NewIncident,
    entries: TranscriptDraft[],
    at: string,
    outbox: readonly object[] = [],
  ): Promise<IncidentRecord> {
    const record: IncidentRecord = { ...incident, version: 1, createdAt: at, updatedAt: at };
    const openVm = record.status === 'open' ? openVmKey(record.vm) : null;
    try {
      inTransaction(this.db, () => {
        const exists = statement(this.db, 'select 1 from incidents where id = ?').get(incident.id);
        if (exists)
          throw new RdpFixError(ErrorCodes.VersionConflict, `incident ${incident.id} already exists`);
        statement(
          this.db,
          `insert into incidents (id, playbook_id, playbook_hash, vm_name, channel, status, created_at, updated_at, version, body, open_vm, requester_id)
             values (@id, @playbookId, @playbookHash, @vmName, @channel, @status, @createdAt, @updatedAt, 1, @body, @openVm, @requesterId)`,
        ).run({
          id: record.id,
          playbookId: record.playbookId,
          playbookHash: record.playbookHash,
          vmName: record.vm.name,
          channel: record.channel.channel,
          status: record.status,
          createdAt: at,
          updatedAt: at,
          body: JSON.stringify(record),
          openVm,
          requesterId: record.requester.id,
        });
        insertEntries(this.db, incident.id, entries, at, outbox);
      });
    } catch (err) {
      // The unique index on open_vm: the VM has an open incident (another replica's, maybe).
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE' && openVm !== null) {
        const open = statement(this.db, 'select id from incidents where open_vm = ?').get(openVm) as
          | { id: string }
          | undefined;
        if (open) throw alreadyOpen(open.id);
      }
      throw err;
    }
    return record;
  }

  async get(id: string): Promise<IncidentRecord | undefined> {
    const row = statement(this.db, `select ${IncidentColumns} from incidents where id = ?`).get(id) as
      | IncidentRow
      | undefined;
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
    return inTransaction(this.db, () => {
      const row = statement(this.db, `select ${IncidentColumns} from incidents where id = ?`).get(id) as
        | IncidentRow
        | undefined;
      const next = nextVersion(id, row && toRecord(row), expectedVersion, patch, at);
      statement(
        this.db,
        // A closed incident frees its VM for the next one.
        `update incidents set status = @status, channel = @channel, updated_at = @updatedAt, version = @version, body = @body,
             open_vm = case when @status = 'open' then open_vm else null end
           where id = @id and version = @expected`,
      ).run({
        id,
        status: next.status,
        channel: next.channel.channel,
        updatedAt: at,
        version: next.version,
        expected: expectedVersion,
        body: JSON.stringify(next),
      });
      insertEntries(this.db, id, entries, at, outbox);
      return next;
    });
  }

  async append(
    id: string,
    entries: TranscriptDraft[],
    at: string,
    outbox: readonly object[] = [],
  ): Promise<void> {
    inTransaction(this.db, () => {
      if (!statement(this.db, 'select 1 from incidents where id = ?').get(id)) {
        throw new RdpFixError(ErrorCodes.IncidentNotFound, `incident ${id} not found`);
      }
      insertEntries(this.db, id, entries, at, outbox);
    });
  }

  async setThread(id: string, thread: string): Promise<void> {
    const info = statement(
      this.db,
      `update incidents set body = json_set(body, '$.channel.thread', ?) where id = ?`,
    ).run(thread, id);
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
    if (filter.requester) {
      where.push('requester_id = @requester');
      args.requester = filter.requester;
    }
    const sql = `select ${IncidentColumns} from incidents
      ${where.length ? `where ${where.join(' and ')}` : ''} order by created_at desc, id desc limit @limit`;
    return (statement(this.db, sql).all(args) as IncidentRow[]).map(toRecord);
  }

  async openIncidents(): Promise<OpenIncident[]> {
    // SQLite reads the two fields out of the JSON itself (sqlite.org/json1.html: json_extract,
    // json_type), so no body becomes a JavaScript object.
    const rows = statement(
      this.db,
      `select id, updated_at, json_extract(body, '$.state') as state,
         json_type(body, '$.pending') = 'object' as waiting
       from incidents where status = 'open'`,
    ).all() as OpenIncidentRow[];
    return rows.map(toOpenIncident);
  }

  async transcript(id: string): Promise<TranscriptEntry[]> {
    const rows = statement(
      this.db,
      `select ${EntryColumns} from transcript where incident_id = ? order by seq`,
    ).all(id) as EntryRow[];
    return rows.map(toEntry);
  }
}

/** Appends transcript entries to the chain and queues their messages, inside the caller's transaction. */
export function insertEntries(
  db: Database.Database,
  id: string,
  drafts: TranscriptDraft[],
  at: string,
  outbox: readonly object[],
): void {
  if (drafts.length === 0 && outbox.length === 0) return;
  const last = statement(
    db,
    'select seq, hash from transcript where incident_id = ? order by seq desc limit 1',
  ).get(id) as { seq: number; hash: string } | undefined;
  const insert = statement(
    db,
    `insert into transcript (incident_id, seq, at, kind, actor, data, prev_hash, hash)
     values (@incidentId, @seq, @at, @kind, @actor, @data, @prevHash, @hash)`,
  );
  for (const entry of chainEntries(id, last, drafts, at)) {
    insert.run({ ...entry, data: JSON.stringify(entry.data) });
  }
  // Chat messages go to the outbox in the same transaction: a crash loses none of them.
  queueMessages(db, id, outbox, at);
}

import { ErrorCodes, RdpFixError } from '../../core/errors';
import { chainEntries, type TranscriptDraft, type TranscriptEntry } from '../../core/transcript';
import { DefaultListLimit } from '../filter-incidents';
import type {
  IncidentFilter,
  IncidentLog,
  IncidentPatch,
  IncidentRecord,
  NewIncident,
} from '../incident-store';
import { nextVersion } from '../next-version';
import { alreadyOpen, openVmKey } from '../open-vm-key';
import { type EntryRow, type IncidentRow, toEntry, toRecord } from '../sql-rows';
import type { PostgresConnection, TransactionScope } from './connection';
import { queueMessages } from './outbox-queue';

/**
 * Incidents and their transcript on PostgreSQL: one incident row lock per change. save,
 * append and setThread take lock 1 of the store's lock order (lock-order.ts) and no other
 * (inserting transcript and outbox rows locks nothing another statement waits for).
 */
export class PostgresIncidentLog implements IncidentLog {
  constructor(private readonly db: PostgresConnection) {}

  async create(
    incident: NewIncident,
    entries: TranscriptDraft[],
    at: string,
    outbox: readonly object[] = [],
  ): Promise<IncidentRecord> {
    const record: IncidentRecord = { ...incident, version: 1, createdAt: at, updatedAt: at };
    const openVm = record.status === 'open' ? openVmKey(record.vm) : null;
    try {
      return await this.db.transaction(async (db) => {
        const inserted = await db.query(
          `insert into incidents (id, playbook_id, playbook_hash, vm_name, channel, status, created_at, updated_at, version, body, open_vm, requester_id)
           values ($1, $2, $3, $4, $5, $6, $7, $7, 1, $8, $9, $10) on conflict (id) do nothing`,
          [
            record.id,
            record.playbookId,
            record.playbookHash,
            record.vm.name,
            record.channel.channel,
            record.status,
            at,
            JSON.stringify(record),
            openVm,
            record.requester.id,
          ],
        );
        if (inserted.rowCount !== 1)
          throw new RdpFixError(ErrorCodes.VersionConflict, `incident ${incident.id} already exists`);
        await insertEntries(db, incident.id, entries, at, outbox);
        return record;
      });
    } catch (err) {
      // 23505 unique_violation on open_vm: the VM has an open incident (another replica's, maybe).
      const e = err as { code?: string; constraint?: string };
      if (e.code === '23505' && e.constraint === 'incidents_open_vm' && openVm !== null) {
        const { rows } = await this.db.read<{ id: string }>('select id from incidents where open_vm = $1', [
          openVm,
        ]);
        if (rows[0]) throw alreadyOpen(rows[0].id);
      }
      throw err;
    }
  }

  async get(id: string): Promise<IncidentRecord | undefined> {
    const { rows } = await this.db.read<IncidentRow>(
      'select body, version, created_at, updated_at from incidents where id = $1',
      [id],
    );
    return rows[0] ? toRecord(rows[0]) : undefined;
  }

  async save(
    id: string,
    expectedVersion: number,
    patch: IncidentPatch,
    entries: TranscriptDraft[],
    at: string,
    outbox: readonly object[] = [],
  ): Promise<IncidentRecord> {
    return this.db.transaction(async (db) => {
      // The row lock makes one replica at a time change an incident; the version check
      // refuses a change computed from an older state.
      const { rows } = await db.query<IncidentRow>(
        'select body, version, created_at, updated_at from incidents where id = $1 for update',
        [id],
      );
      const next = nextVersion(id, rows[0] && toRecord(rows[0]), expectedVersion, patch, at);
      await db.query(
        // A closed incident frees its VM for the next one.
        `update incidents set status = $2, channel = $3, updated_at = $4, version = $5, body = $6,
           open_vm = case when $2 = 'open' then open_vm else null end where id = $1`,
        [id, next.status, next.channel.channel, at, next.version, JSON.stringify(next)],
      );
      await insertEntries(db, id, entries, at, outbox);
      return next;
    });
  }

  async append(
    id: string,
    entries: TranscriptDraft[],
    at: string,
    outbox: readonly object[] = [],
  ): Promise<void> {
    await this.db.transaction(async (db) => {
      const { rowCount } = await db.query('select 1 from incidents where id = $1 for update', [id]);
      if (rowCount !== 1) throw new RdpFixError(ErrorCodes.IncidentNotFound, `incident ${id} not found`);
      await insertEntries(db, id, entries, at, outbox);
    });
  }

  async setThread(id: string, thread: string): Promise<void> {
    await this.db.transaction(async (db) => {
      const { rows } = await db.query<{ body: string }>(
        'select body from incidents where id = $1 for update',
        [id],
      );
      if (!rows[0]) throw new RdpFixError(ErrorCodes.IncidentNotFound, `incident ${id} not found`);
      const body = JSON.parse(rows[0].body) as IncidentRecord;
      body.channel = { ...body.channel, thread };
      await db.query('update incidents set body = $2 where id = $1', [id, JSON.stringify(body)]);
    });
  }

  async list(filter: IncidentFilter = {}): Promise<IncidentRecord[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      args.push(value);
      where.push(sql.replace('?', `$${args.length}`));
    };
    if (filter.status) add('status = ?', filter.status);
    if (filter.vmName) add('vm_name = ?', filter.vmName);
    if (filter.channel) add('channel = ?', filter.channel);
    if (filter.requester) add('requester_id = ?', filter.requester);
    args.push(filter.limit ?? DefaultListLimit);
    const { rows } = await this.db.read<IncidentRow>(
      `select body, version, created_at, updated_at from incidents ${where.length ? `where ${where.join(' and ')}` : ''}
       order by created_at desc, id desc limit $${args.length}`,
      args,
    );
    return rows.map(toRecord);
  }

  async transcript(id: string): Promise<TranscriptEntry[]> {
    const { rows } = await this.db.read<EntryRow>(
      'select * from transcript where incident_id = $1 order by seq',
      [id],
    );
    return rows.map(toEntry);
  }
}

/**
 * Appends transcript entries to the chain and queues their messages, inside the caller's
 * transaction, which already holds the incident row lock (so the chain stays linear).
 */
export async function insertEntries(
  db: TransactionScope,
  id: string,
  drafts: TranscriptDraft[],
  at: string,
  outbox: readonly object[],
): Promise<void> {
  if (drafts.length === 0 && outbox.length === 0) return;
  const { rows } = await db.query<{ seq: number; hash: string }>(
    'select seq, hash from transcript where incident_id = $1 order by seq desc limit 1',
    [id],
  );
  for (const e of chainEntries(id, rows[0], drafts, at)) {
    await db.query(
      'insert into transcript (incident_id, seq, at, kind, actor, data, prev_hash, hash) values ($1, $2, $3, $4, $5, $6, $7, $8)',
      [e.incidentId, e.seq, e.at, e.kind, e.actor, JSON.stringify(e.data), e.prevHash, e.hash],
    );
  }
  // Chat messages go to the outbox in the same transaction: a crash loses none of them.
  await queueMessages(db, id, outbox, at);
}

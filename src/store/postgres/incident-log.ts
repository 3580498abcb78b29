import { createHash } from 'node:crypto';
import { ErrorCodes, RdpFixError } from '../../core/errors';
import type { TranscriptDraft, TranscriptEntry } from '../../core/transcript';
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
import { appendArgs, appendCtes, whileChainMoves } from './append-in-statement';
import type { PostgresConnection } from './connection';

/**
 * Incidents and their transcript on PostgreSQL: one incident row lock per change, held for
 * one statement. save, append and setThread take lock 1 of the store's lock order
 * (lock-order.ts) and no other (inserting transcript and outbox rows locks nothing another
 * statement waits for). create, append and finishDispatch are one round trip with their
 * entries and messages (append-in-statement.ts says how); save and setThread one after the
 * incident was read here (the command's `get`), two otherwise.
 */
export class PostgresIncidentLog implements IncidentLog {
  /**
   * Each incident's row as this store last read or wrote it (bounded). A command reads its
   * incident (`get`) and then saves it: save and setThread write against this row instead of
   * reading it a second time, so a transition is one round trip after the command's read.
   * The write itself checks the row is still this one (version and body hash), so a stale
   * entry costs only a read and a second try, never a lost change.
   */
  private readonly seen = new Map<string, IncidentRow>();

  constructor(private readonly db: PostgresConnection) {}

  async create(
    incident: NewIncident,
    entries: TranscriptDraft[],
    at: string,
    outbox: readonly object[] = [],
  ): Promise<IncidentRecord> {
    const record: IncidentRecord = { ...incident, version: 1, createdAt: at, updatedAt: at };
    const openVm = record.status === 'open' ? openVmKey(record.vm) : null;
    const body = JSON.stringify(record);
    try {
      // One statement: the incident, its first entries and messages (a new incident's chain
      // cannot move under it, so it never runs twice).
      const { rows } = await this.db.write<{ created: string }>(
        `with recursive
         created as (
           insert into incidents (id, playbook_id, playbook_hash, vm_name, channel, status, created_at, updated_at, version, body, open_vm, requester_id)
           values ($1, $2, $3, $4, $5, $6, $7, $7, 1, $8, $9, $10) on conflict (id) do nothing
           returning id),
         ${appendCtes('$1', '$7', 11, 'created')}
         select count(*) as created from created`,
        [
          record.id,
          record.playbookId,
          record.playbookHash,
          record.vm.name,
          record.channel.channel,
          record.status,
          at,
          body,
          openVm,
          record.requester.id,
          ...appendArgs(record.id, entries, at, outbox),
        ],
      );
      if (Number(rows[0]?.created) !== 1)
        throw new RdpFixError(ErrorCodes.VersionConflict, `incident ${incident.id} already exists`);
      this.remember(record.id, { body, version: 1, created_at: at, updated_at: at });
      return record;
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
    const row = await this.row(id);
    return row && toRecord(row);
  }

  /**
   * Two round trips, or one when the row was just read here (`seen`): the incident as it is
   * (a read, no lock), then one statement that writes
   * the new snapshot where the row is still that one — its version, and its body, which
   * setThread changes without a new version — and appends the entries and messages under the
   * row lock that update takes. A row that changed in between is read again: a new version
   * is a VersionConflict as before, a new thread is merged.
   */
  async save(
    id: string,
    expectedVersion: number,
    patch: IncidentPatch,
    entries: TranscriptDraft[],
    at: string,
    outbox: readonly object[] = [],
  ): Promise<IncidentRecord> {
    for (let attempt = 1; ; attempt++) {
      const row = this.take(id, expectedVersion) ?? (await this.row(id));
      const next = nextVersion(id, row && toRecord(row), expectedVersion, patch, at);
      const body = JSON.stringify(next);
      const { rows } = await whileChainMoves(() =>
        this.db.write<{ created_at: string }>(
          `with recursive
           saved as (
             -- A closed incident frees its VM for the next one.
             update incidents set status = $3, channel = $4, updated_at = $5, version = $6, body = $7,
               open_vm = case when $3 = 'open' then open_vm else null end
             where id = $1 and version = $2 and ${BodyHashSql} = $8
             returning created_at),
           ${appendCtes('$1', '$5', 9, 'saved')}
           select created_at from saved`,
          [
            id,
            expectedVersion,
            next.status,
            next.channel.channel,
            at,
            next.version,
            body,
            bodyHash(row?.body ?? ''),
            ...appendArgs(id, entries, at, outbox),
          ],
        ),
      );
      if (rows[0]) {
        const written = { body, version: next.version, created_at: rows[0].created_at, updated_at: at };
        this.remember(id, written);
        return toRecord(written);
      }
      if (attempt >= RowRetries) throw keptChanging(id);
    }
  }

  /** One statement: the row lock, then the entries and messages after the last entry. */
  async append(
    id: string,
    entries: TranscriptDraft[],
    at: string,
    outbox: readonly object[] = [],
  ): Promise<void> {
    const { rows } = await whileChainMoves(() =>
      this.db.write<{ found: string }>(
        `with recursive
         locked as (select id from incidents where id = $1 for update),
         ${appendCtes('$1', '$2', 3, 'locked')}
         select count(*) as found from locked`,
        [id, at, ...appendArgs(id, entries, at, outbox)],
      ),
    );
    if (Number(rows[0]?.found) !== 1)
      throw new RdpFixError(ErrorCodes.IncidentNotFound, `incident ${id} not found`);
  }

  /** The body as read, written back with the thread where it is still that body (as save does). */
  async setThread(id: string, thread: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const row = this.take(id) ?? (await this.row(id));
      if (!row) throw new RdpFixError(ErrorCodes.IncidentNotFound, `incident ${id} not found`);
      const body = JSON.parse(row.body) as IncidentRecord;
      body.channel = { ...body.channel, thread };
      const text = JSON.stringify(body);
      const { rowCount } = await this.db.write(
        `update incidents set body = $2 where id = $1 and ${BodyHashSql} = $3`,
        [id, text, bodyHash(row.body)],
      );
      if (rowCount === 1) {
        this.remember(id, { ...row, body: text });
        return;
      }
      if (attempt >= RowRetries) throw keptChanging(id);
    }
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
      `select ${IncidentColumns} from incidents ${where.length ? `where ${where.join(' and ')}` : ''}
       order by created_at desc, id desc limit $${args.length}`,
      args,
    );
    return rows.map(toRecord);
  }

  async openIncidents(): Promise<OpenIncident[]> {
    // PostgreSQL reads the two fields out of the JSON (its json operators and json_typeof):
    // the bodies never cross the wire.
    const { rows } = await this.db.read<OpenIncidentRow>(
      `select id, updated_at, j->>'state' as state, json_typeof(j->'pending') = 'object' as waiting
       from (select id, updated_at, body::json as j from incidents where status = 'open') open_incidents`,
    );
    return rows.map(toOpenIncident);
  }

  private async row(id: string): Promise<IncidentRow | undefined> {
    const { rows } = await this.db.read<IncidentRow>(
      `select ${IncidentColumns} from incidents where id = $1`,
      [id],
    );
    if (rows[0]) this.remember(id, rows[0]);
    else this.seen.delete(id);
    return rows[0];
  }

  private remember(id: string, row: IncidentRow): void {
    this.seen.delete(id);
    this.seen.set(id, row);
    if (this.seen.size > Remembered) this.seen.delete(this.seen.keys().next().value as string);
  }

  /**
   * The row last seen, once (a write that fails reads the row again); only at `version` when
   * given, as a save expecting another version must learn the row's actual state.
   */
  private take(id: string, version?: number): IncidentRow | undefined {
    const row = this.seen.get(id);
    this.seen.delete(id);
    return row && (version === undefined || row.version === version) ? row : undefined;
  }

  async transcript(id: string): Promise<TranscriptEntry[]> {
    const { rows } = await this.db.read<EntryRow>(
      `select ${EntryColumns} from transcript where incident_id = $1 order by seq`,
      [id],
    );
    return rows.map(toEntry);
  }
}

/** Incidents whose last row is kept (`seen`): more than are usually worked on at once; a miss costs one read. */
const Remembered = 512;

/** Reads of a row that keeps changing before it can be written; each lost race means another write went through. */
const RowRetries = 8;

/** Another write won every race: the caller decides again on the incident as it is now. */
function keptChanging(id: string): RdpFixError {
  return new RdpFixError(ErrorCodes.VersionConflict, `incident ${id} kept changing while it was written`);
}

/**
 * A write that depends on the body it read compares hashes, not the body (which would cross
 * the wire twice): SHA-256 of its UTF-8 text, the same in the app and in PostgreSQL.
 */
const BodyHashSql = `encode(sha256(convert_to(body, 'UTF8')), 'hex')`;

function bodyHash(body: string): string {
  return createHash('sha256').update(body).digest('hex');
}

import { Pool, type PoolClient } from 'pg';
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

/**
 * Versioned migrations, applied in order at start-up under an advisory lock, so that
 * several replicas starting together do not race. Bodies are JSON text, not jsonb: the
 * transcript must read back exactly as it was hashed (jsonb refuses \u0000, reorders keys).
 */
const Migrations: string[] = [
  `create table incidents (
     id text primary key, playbook_id text not null, playbook_hash text not null,
     vm_name text not null, channel text not null, status text not null,
     created_at text not null, updated_at text not null, version integer not null, body text not null);
   create index incidents_status on incidents (status, created_at);
   create index incidents_vm on incidents (vm_name, created_at);
   create table transcript (
     incident_id text not null references incidents (id), seq integer not null, at text not null,
     kind text not null, actor text, data text not null, prev_hash text not null, hash text not null,
     primary key (incident_id, seq));
   create function rdpfix_transcript_append_only() returns trigger language plpgsql as
     $$ begin raise exception 'the transcript is append-only'; end $$;
   create trigger transcript_no_change before update or delete on transcript
     for each row execute function rdpfix_transcript_append_only();
   create table dispatches (
     incident_id text not null, step_id text not null, attempt integer not null, status text not null,
     poller_state text, result text, updated_at text not null, primary key (incident_id, step_id, attempt));`,
];

const MigrationLock = 0x52_44_50_46; // "RDPF"

/** The scale-out store: PostgreSQL (`DATABASE_URL=postgres://…`), one row lock per change. */
export class PostgresIncidentStore implements IncidentStore {
  private readonly pool: Pool;

  /** `schema` isolates a store in a shared database (tests); it is created if missing. */
  constructor(
    url: string,
    private readonly schema = 'public',
  ) {
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`invalid schema name ${schema}`);
    this.pool = new Pool({ connectionString: url, max: 10 });
    this.pool.on('connect', (client) => {
      void client.query(`set search_path to ${schema}`);
    });
  }

  /** Applies the migrations not applied yet. */
  async migrate(): Promise<void> {
    await this.transaction(async (db) => {
      await db.query('select pg_advisory_xact_lock($1)', [MigrationLock]);
      await db.query(`create schema if not exists ${this.schema}`);
      await db.query(`set local search_path to ${this.schema}`);
      await db.query(
        'create table if not exists rdpfix_migrations (version integer primary key, applied_at text not null)',
      );
      const done = new Set(
        (await db.query<{ version: number }>('select version from rdpfix_migrations')).rows.map(
          (r) => r.version,
        ),
      );
      for (const [index, sql] of Migrations.entries()) {
        if (done.has(index + 1)) continue;
        await db.query(sql);
        await db.query('insert into rdpfix_migrations (version, applied_at) values ($1, $2)', [
          index + 1,
          new Date().toISOString(),
        ]);
      }
    });
  }

  async create(incident: NewIncident, entries: TranscriptDraft[], at: string): Promise<IncidentRecord> {
    const record: IncidentRecord = { ...incident, version: 1, createdAt: at, updatedAt: at };
    return this.transaction(async (db) => {
      const inserted = await db.query(
        `insert into incidents (id, playbook_id, playbook_hash, vm_name, channel, status, created_at, updated_at, version, body)
         values ($1, $2, $3, $4, $5, $6, $7, $7, 1, $8) on conflict (id) do nothing`,
        [
          record.id,
          record.playbookId,
          record.playbookHash,
          record.vm.name,
          record.channel.channel,
          record.status,
          at,
          JSON.stringify(record),
        ],
      );
      if (inserted.rowCount !== 1)
        throw new RdpFixError(ErrorCodes.VersionConflict, `incident ${incident.id} already exists`);
      await this.insertEntries(db, incident.id, entries, at);
      return record;
    });
  }

  async get(id: string): Promise<IncidentRecord | undefined> {
    const { rows } = await this.pool.query<IncidentRow>(
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
  ): Promise<IncidentRecord> {
    return this.transaction(async (db) => {
      // The row lock makes one replica at a time change an incident; the version check
      // refuses a change computed from an older state.
      const { rows } = await db.query<IncidentRow>(
        'select body, version, created_at, updated_at from incidents where id = $1 for update',
        [id],
      );
      const row = rows[0];
      if (!row) throw new RdpFixError(ErrorCodes.IncidentNotFound, `incident ${id} not found`);
      if (row.version !== expectedVersion) {
        throw new RdpFixError(ErrorCodes.VersionConflict, `incident ${id} changed meanwhile`, {
          expected: expectedVersion,
          actual: row.version,
        });
      }
      const next: IncidentRecord = { ...toRecord(row), ...patch, version: row.version + 1, updatedAt: at };
      await db.query(
        'update incidents set status = $2, channel = $3, updated_at = $4, version = $5, body = $6 where id = $1',
        [id, next.status, next.channel.channel, at, next.version, JSON.stringify(next)],
      );
      await this.insertEntries(db, id, entries, at);
      return next;
    });
  }

  async append(id: string, entries: TranscriptDraft[], at: string): Promise<void> {
    await this.transaction(async (db) => {
      const { rowCount } = await db.query('select 1 from incidents where id = $1 for update', [id]);
      if (rowCount !== 1) throw new RdpFixError(ErrorCodes.IncidentNotFound, `incident ${id} not found`);
      await this.insertEntries(db, id, entries, at);
    });
  }

  async setThread(id: string, thread: string): Promise<void> {
    await this.transaction(async (db) => {
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
    args.push(filter.limit ?? DefaultListLimit);
    const { rows } = await this.pool.query<IncidentRow>(
      `select body, version, created_at, updated_at from incidents ${where.length ? `where ${where.join(' and ')}` : ''}
       order by created_at desc, id desc limit $${args.length}`,
      args,
    );
    return rows.map(toRecord);
  }

  async transcript(id: string): Promise<TranscriptEntry[]> {
    const { rows } = await this.pool.query<EntryRow>(
      'select * from transcript where incident_id = $1 order by seq',
      [id],
    );
    return rows.map(toEntry);
  }

  async claimDispatch(record: DispatchRecord): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `insert into dispatches (incident_id, step_id, attempt, status, poller_state, result, updated_at)
       values ($1, $2, $3, $4, $5, $6, $7) on conflict do nothing`,
      dispatchArgs(record),
    );
    return rowCount === 1;
  }

  async updateDispatch(record: DispatchRecord): Promise<void> {
    await this.pool.query(
      `insert into dispatches (incident_id, step_id, attempt, status, poller_state, result, updated_at)
       values ($1, $2, $3, $4, $5, $6, $7)
       on conflict (incident_id, step_id, attempt) do update set
         status = excluded.status, poller_state = excluded.poller_state, result = excluded.result, updated_at = excluded.updated_at`,
      dispatchArgs(record),
    );
  }

  async getDispatch(
    incidentId: string,
    stepId: string,
    attempt: number,
  ): Promise<DispatchRecord | undefined> {
    const { rows } = await this.pool.query<DispatchRow>(
      'select * from dispatches where incident_id = $1 and step_id = $2 and attempt = $3',
      [incidentId, stepId, attempt],
    );
    return rows[0] ? toDispatch(rows[0]) : undefined;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  private async insertEntries(
    db: PoolClient,
    id: string,
    drafts: TranscriptDraft[],
    at: string,
  ): Promise<void> {
    if (drafts.length === 0) return;
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
  }

  private async transaction<T>(work: (db: PoolClient) => Promise<T>): Promise<T> {
    const db = await this.pool.connect();
    try {
      await db.query('begin');
      await db.query(`set local search_path to ${this.schema}`);
      const result = await work(db);
      await db.query('commit');
      return result;
    } catch (err) {
      await db.query('rollback').catch(() => undefined);
      throw err;
    } finally {
      db.release();
    }
  }
}

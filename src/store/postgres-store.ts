import { Pool, type PoolClient, type QueryResult, type QueryResultRow } from 'pg';
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
  `alter table dispatches add column owner text;
   alter table dispatches add column lease_until text;
   create table outbox (
     id bigserial primary key, incident_id text not null, message text not null,
     status text not null, attempts integer not null default 0, next_at text not null,
     owner text, lease_until text, last_error text, created_at text not null, settled_at text);
   create index outbox_pending on outbox (status, incident_id, id);
   create table message_refs (key text primary key, value text not null, updated_at text not null);`,
  // Claims per message: a message claimed before by someone else may have been accepted already.
  'alter table outbox add column claims integer not null default 0;',
];

/*
 * Lock order. Every transaction here takes its locks in this order, and each statement that
 * locks several rows of one table locks them in ascending key order (a `for update` CTE
 * sorted by the key, whose rows are locked after the sort):
 *   1. one incident row (`incidents ... for update`): save, append, setThread, finishDispatch;
 *   2. dispatch rows, by (incident_id, step_id, attempt): finishDispatch, renewLeases, releaseLeases;
 *   3. the OutboxLock advisory lock (claims only, so that one incident's messages go out in order);
 *   4. outbox rows, by id: claimOutbox, settleOutbox, retryOutbox, renewLeases, releaseLeases.
 * Inserting outbox or transcript rows takes no lock another statement waits for.
 * Why it is written down: renewLeases (outbox rows in heap order, `where owner = $1`) and
 * settleOutbox (rows by primary key) of one replica once locked the same two rows in
 * opposite orders and PostgreSQL killed one with "deadlock detected" (issue 12). A deadlock
 * or serialisation failure that still happens is retried here, never handed to the engine.
 */
const MigrationLock = 0x52_44_50_46; // "RDPF"
/** Serialises outbox claims across replicas, so that one incident's messages go out in order. */
const OutboxLock = 0x52_44_50_4f; // "RDPO"

/** Connections a replica opens at most when the configuration does not say (`RDPFIX_PG_POOL_SIZE`). */
export const DefaultPoolSize = 10;

const ConnectionRetries = 5;
const ConflictRetries = 8;

/**
 * SQLSTATE 40P01 deadlock_detected and 40001 serialization_failure: PostgreSQL rolled the
 * whole transaction back, so running it again is safe (PostgreSQL docs, "Serialization
 * Failure Handling": applications should retry transactions that fail with these codes).
 */
export function isRetryableConflict(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '40P01' || code === '40001';
}

/** Errors that mean the connection (not the statement) failed: the server restarted, the network dropped. */
function isConnectionLost(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | null;
  if (!e) return false;
  if (e.code && /^(08|57P0[123])/.test(e.code)) return true;
  if (e.code && ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT'].includes(e.code)) return true;
  return /Connection terminated|connection timeout|Client has encountered a connection error/i.test(
    e.message ?? '',
  );
}

/**
 * Runs `attempt` again (bounded, with a growing pause) while `mayRetry` says its failure
 * allows it: a lost connection (pause 200 ms × n), or a deadlock / serialisation failure
 * (a short random pause, so that the two losers do not meet again in step).
 */
async function reconnecting<T>(
  attempt: () => Promise<T>,
  mayRetry: (err: unknown) => boolean,
  onConflict: (err: unknown) => void = () => {},
): Promise<T> {
  let lost = 0;
  let conflicts = 0;
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      if (!mayRetry(err)) throw err;
      if (isRetryableConflict(err)) {
        if (++conflicts >= ConflictRetries) throw err;
        onConflict(err);
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * conflicts));
      } else {
        if (++lost >= ConnectionRetries) throw err;
        await new Promise((resolve) => setTimeout(resolve, 200 * lost));
      }
    }
  }
}

/** The scale-out store: PostgreSQL (`DATABASE_URL=postgres://…`), one row lock per change. */
export class PostgresIncidentStore implements IncidentStore {
  private readonly pool: Pool;

  /**
   * `schema` isolates a store in a shared database (tests); it is created if missing.
   * `poolSize` comes from the configuration (`RDPFIX_PG_POOL_SIZE`).
   */
  constructor(
    url: string,
    private readonly schema = 'public',
    { poolSize = DefaultPoolSize }: { poolSize?: number } = {},
  ) {
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`invalid schema name ${schema}`);
    this.pool = new Pool({
      connectionString: url,
      max: poolSize,
      connectionTimeoutMillis: 10_000,
      // Named, so that an operator (or a test) can find this store's sessions in pg_stat_activity.
      application_name: `rdp-fix:${schema}`,
      // Every connection starts in the store's schema (a startup parameter, not a racing query).
      options: `-c search_path=${schema}`,
    });
    // An idle connection the server closed (restart, failover): the pool drops it and opens
    // a new one on the next query. Without a listener, Node would end the process.
    this.pool.on('error', (err) => this.onConnectionError(err));
  }

  /** Told when an idle connection is lost; the server logs it (the store recovers by itself). */
  onConnectionError: (err: Error) => void = () => {};

  /**
   * Told when PostgreSQL rolled a statement or transaction back for a deadlock or a
   * serialisation failure and the store runs it again (the server logs it; tests count them:
   * with the lock order above there should be none).
   */
  onConflictRetry: (err: Error) => void = () => {};

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

  async create(
    incident: NewIncident,
    entries: TranscriptDraft[],
    at: string,
    outbox: readonly object[] = [],
  ): Promise<IncidentRecord> {
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
      await this.insertEntries(db, incident.id, entries, at, outbox);
      return record;
    });
  }

  async get(id: string): Promise<IncidentRecord | undefined> {
    const { rows } = await this.read<IncidentRow>(
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
    return this.transaction(async (db) => {
      // The row lock makes one replica at a time change an incident; the version check
      // refuses a change computed from an older state.
      const { rows } = await db.query<IncidentRow>(
        'select body, version, created_at, updated_at from incidents where id = $1 for update',
        [id],
      );
      const next = nextVersion(id, rows[0] && toRecord(rows[0]), expectedVersion, patch, at);
      await db.query(
        'update incidents set status = $2, channel = $3, updated_at = $4, version = $5, body = $6 where id = $1',
        [id, next.status, next.channel.channel, at, next.version, JSON.stringify(next)],
      );
      await this.insertEntries(db, id, entries, at, outbox);
      return next;
    });
  }

  async append(
    id: string,
    entries: TranscriptDraft[],
    at: string,
    outbox: readonly object[] = [],
  ): Promise<void> {
    await this.transaction(async (db) => {
      const { rowCount } = await db.query('select 1 from incidents where id = $1 for update', [id]);
      if (rowCount !== 1) throw new RdpFixError(ErrorCodes.IncidentNotFound, `incident ${id} not found`);
      await this.insertEntries(db, id, entries, at, outbox);
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
    const { rows } = await this.read<IncidentRow>(
      `select body, version, created_at, updated_at from incidents ${where.length ? `where ${where.join(' and ')}` : ''}
       order by created_at desc, id desc limit $${args.length}`,
      args,
    );
    return rows.map(toRecord);
  }

  async transcript(id: string): Promise<TranscriptEntry[]> {
    const { rows } = await this.read<EntryRow>(
      'select * from transcript where incident_id = $1 order by seq',
      [id],
    );
    return rows.map(toEntry);
  }

  async claimDispatch(record: DispatchRecord): Promise<boolean> {
    const { rowCount } = await this.write(
      `insert into dispatches (incident_id, step_id, attempt, status, poller_state, result, updated_at, owner, lease_until)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9) on conflict do nothing`,
      dispatchArgs(record),
    );
    return rowCount === 1;
  }

  async updateDispatch(record: DispatchRecord): Promise<boolean> {
    return this.updateDispatchIn(undefined, record);
  }

  async finishDispatch(
    record: DispatchRecord,
    entries: TranscriptDraft[],
    at: string,
    outbox: readonly object[] = [],
  ): Promise<boolean> {
    return this.transaction(async (db) => {
      // The incident row lock first, as save() takes it: the transcript chain stays linear.
      await db.query('select 1 from incidents where id = $1 for update', [record.incidentId]);
      const done = await this.updateDispatchIn(db, { ...record, status: 'done', updatedAt: at });
      if (done) await this.insertEntries(db, record.incidentId, entries, at, outbox);
      return done;
    });
  }

  async getDispatch(
    incidentId: string,
    stepId: string,
    attempt: number,
  ): Promise<DispatchRecord | undefined> {
    const { rows } = await this.read<DispatchRow>(
      'select * from dispatches where incident_id = $1 and step_id = $2 and attempt = $3',
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
    const { rows } = await this.write<DispatchRow>(
      `update dispatches set owner = $4, lease_until = $5
       where incident_id = $1 and step_id = $2 and attempt = $3 and status <> 'done'
         and (lease_until is null or lease_until < $6 or owner = $4)
       returning *`,
      [key.incidentId, key.stepId, key.attempt, owner, until, now],
    );
    return rows[0] ? toDispatch(rows[0]) : undefined;
  }

  async lapsedDispatches(now: string, limit: number): Promise<DispatchRecord[]> {
    const { rows } = await this.read<DispatchRow>(
      `select * from dispatches where status <> 'done' and (lease_until is null or lease_until < $1)
       order by updated_at limit $2`,
      [now, limit],
    );
    return rows.map(toDispatch);
  }

  async renewLeases(owner: string, until: string): Promise<void> {
    await this.transaction(async (db) => {
      await db.query(
        `with locked as (
           select incident_id, step_id, attempt from dispatches where owner = $1 and status <> 'done'
           order by incident_id, step_id, attempt for update)
         update dispatches d set lease_until = $2 from locked
         where (d.incident_id, d.step_id, d.attempt) = (locked.incident_id, locked.step_id, locked.attempt)`,
        [owner, until],
      );
      await db.query(
        `with locked as (select id from outbox where owner = $1 and status = 'pending' order by id for update)
         update outbox o set lease_until = $2 from locked where o.id = locked.id`,
        [owner, until],
      );
    });
  }

  async releaseLeases(owner: string): Promise<void> {
    await this.transaction(async (db) => {
      await db.query(
        `with locked as (
           select incident_id, step_id, attempt from dispatches where owner = $1 and status <> 'done'
           order by incident_id, step_id, attempt for update)
         update dispatches d set lease_until = null from locked
         where (d.incident_id, d.step_id, d.attempt) = (locked.incident_id, locked.step_id, locked.attempt)`,
        [owner],
      );
      await db.query(
        `with locked as (select id from outbox where owner = $1 and status = 'pending' order by id for update)
         update outbox o set owner = null, lease_until = null from locked where o.id = locked.id`,
        [owner],
      );
    });
  }

  async claimOutbox(claim: OutboxClaim): Promise<OutboxItem[]> {
    return this.transaction(async (db) => {
      await db.query('select pg_advisory_xact_lock($1)', [OutboxLock]);
      // The oldest pending message of each incident decides: due, and not leased by another replica.
      const { rows } = await db.query<OutboxRow>(
        `with heads as (
           select distinct on (incident_id) incident_id, id, next_at, lease_until, owner from outbox
           where status = 'pending' and ($4::text is null or incident_id = $4)
           order by incident_id, id),
         ready as (
           select incident_id from heads
           where next_at <= $3 and (lease_until is null or lease_until < $3 or owner = $1)
           order by id limit $5),
         locked as (
           select id from outbox
           where status = 'pending' and incident_id in (select incident_id from ready)
           order by id for update)
         update outbox o set owner = $1, lease_until = $2, claims = o.claims + 1 from locked
         where o.id = locked.id
         returning o.id, o.incident_id, o.message, o.attempts, o.claims`,
        [claim.owner, claim.until, claim.now, claim.incidentId ?? null, claim.limit],
      );
      return rows
        .map(toOutboxItem)
        .sort((a, b) => (a.incidentId < b.incidentId ? -1 : a.incidentId > b.incidentId ? 1 : a.id - b.id));
    });
  }

  async settleOutbox(
    ids: number[],
    owner: string,
    status: 'sent' | 'failed',
    at: string,
    error?: string,
  ): Promise<void> {
    await this.write(
      `with locked as (
         select id from outbox
         where id = any($1::bigint[]) and status = 'pending' and ($3 = 'sent' or owner = $2)
         order by id for update)
       update outbox o set status = $3, settled_at = $4, last_error = $5, owner = null, lease_until = null
       from locked where o.id = locked.id`,
      [ids, owner, status, at, error ?? null],
    );
  }

  async retryOutbox(item: OutboxItem, owner: string, nextAt: string, error: string): Promise<void> {
    // One statement: the failed message and the incident's other claimed ones, locked by id.
    await this.write(
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
    const { rows } = await this.read<{ n: string }>(
      `select count(*) as n from outbox where status = 'pending'`,
    );
    return Number(rows[0]?.n ?? 0);
  }

  async getRef(key: string): Promise<string | undefined> {
    const { rows } = await this.read<{ value: string }>('select value from message_refs where key = $1', [
      key,
    ]);
    return rows[0]?.value;
  }

  async setRef(key: string, value: string, at: string): Promise<void> {
    await this.write(
      `insert into message_refs (key, value, updated_at) values ($1, $2, $3)
       on conflict (key) do update set value = excluded.value, updated_at = excluded.updated_at`,
      [key, value, at],
    );
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  private async insertEntries(
    db: PoolClient,
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
    for (const message of outbox) {
      await db.query(
        `insert into outbox (incident_id, message, status, next_at, created_at) values ($1, $2, 'pending', $3, $3)`,
        [id, JSON.stringify(message), at],
      );
    }
  }

  /** Only while `record.owner` holds the dispatch and it is not done; a done one drops its lease. */
  private async updateDispatchIn(db: PoolClient | undefined, record: DispatchRecord): Promise<boolean> {
    const query = <R extends QueryResultRow>(sql: string, args: unknown[]) =>
      db ? db.query<R>(sql, args) : this.write<R>(sql, args);
    const { rowCount } = await query(
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

  /** A read: safe to try again on a fresh connection when the one it used was lost. */
  private read<R extends QueryResultRow>(sql: string, args: unknown[] = []): Promise<QueryResult<R>> {
    return reconnecting(() => this.pool.query<R>(sql, args), isConnectionLost);
  }

  /**
   * One write statement in its own implicit transaction. A deadlock or serialisation failure
   * rolled it back, so it runs again; a lost connection does not (its outcome is unknown).
   */
  private write<R extends QueryResultRow>(sql: string, args: unknown[] = []): Promise<QueryResult<R>> {
    return reconnecting(
      () => this.pool.query<R>(sql, args),
      isRetryableConflict,
      (err) => this.onConflictRetry(err as Error),
    );
  }

  /**
   * Runs `work` in a transaction. A connection lost before the commit was sent rolled the
   * transaction back, so it is tried again (bounded); one lost during the commit is not
   * (its outcome is unknown) and the error goes to the caller. Every connection already
   * starts in the store's schema (the pool's `search_path` option).
   */
  private transaction<T>(work: (db: PoolClient) => Promise<T>): Promise<T> {
    let committing = false;
    return reconnecting(
      async () => {
        committing = false;
        const db = await this.pool.connect();
        try {
          await db.query('begin');
          const result = await work(db);
          committing = true;
          await db.query('commit');
          db.release();
          return result;
        } catch (err) {
          const lost = isConnectionLost(err);
          if (!lost) await db.query('rollback').catch(() => undefined);
          db.release(lost ? (err as Error) : undefined);
          throw err;
        }
      },
      // A conflict means PostgreSQL rolled back (even at commit), so it is always retried.
      (err) => isRetryableConflict(err) || (!committing && isConnectionLost(err)),
      (err) => this.onConflictRetry(err as Error),
    );
  }
}

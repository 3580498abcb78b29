import { createHash } from 'node:crypto';
import { Pool, type PoolClient, type QueryResult, type QueryResultRow } from 'pg';

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

/**
 * What a transaction's work runs its statements on: the transaction's connection, one round
 * trip per statement (counted, see `PostgresConnection.roundTrips`).
 */
export interface TransactionScope {
  query<R extends QueryResultRow>(sql: string, args?: unknown[]): Promise<QueryResult<R>>;
}

/**
 * The PostgreSQL store's one pool, and the three ways its parts run statements: a read, a
 * single write, a transaction. Each decides what a lost connection or a conflict allows (run
 * again, or hand the error on), so that no part decides it again.
 */
export class PostgresConnection {
  private readonly pool: Pool;
  private sent = 0;

  /** `schema` must already be a checked SQL name (the store checks it). */
  constructor(url: string, schema: string, poolSize: number) {
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

  /** Told when an idle connection is lost (the store recovers by itself). */
  onConnectionError: (err: Error) => void = () => {};

  /** Told when a deadlock or serialisation failure rolled a statement or transaction back and it runs again. */
  onConflictRetry: (err: Error) => void = () => {};

  /**
   * Statements sent to PostgreSQL so far, `begin`, `commit`, `rollback` and retries included:
   * each is one round trip (node-postgres sends a parameterised statement and waits for its
   * answer). Tests and benchmarks take the difference around an operation.
   */
  get roundTrips(): number {
    return this.sent;
  }

  /** A read: safe to try again on a fresh connection when the one it used was lost. */
  read<R extends QueryResultRow>(sql: string, args: unknown[] = []): Promise<QueryResult<R>> {
    return reconnecting(() => this.send(this.pool, sql, args), isConnectionLost);
  }

  /**
   * One write statement in its own implicit transaction. A deadlock or serialisation failure
   * rolled it back, so it runs again; a lost connection does not (its outcome is unknown).
   */
  write<R extends QueryResultRow>(sql: string, args: unknown[] = []): Promise<QueryResult<R>> {
    return reconnecting(
      () => this.send(this.pool, sql, args),
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
  transaction<T>(work: (db: TransactionScope) => Promise<T>): Promise<T> {
    let committing = false;
    return reconnecting(
      async () => {
        committing = false;
        const client = await this.pool.connect();
        const db: TransactionScope = {
          query: <R extends QueryResultRow>(sql: string, args: unknown[] = []) =>
            this.send<R>(client, sql, args),
        };
        try {
          await db.query('begin');
          const result = await work(db);
          committing = true;
          await db.query('commit');
          client.release();
          return result;
        } catch (err) {
          const lost = isConnectionLost(err);
          if (!lost) await db.query('rollback').catch(() => undefined);
          client.release(lost ? (err as Error) : undefined);
          throw err;
        }
      },
      // A conflict means PostgreSQL rolled back (even at commit), so it is always retried.
      (err) => isRetryableConflict(err) || (!committing && isConnectionLost(err)),
      (err) => this.onConflictRetry(err as Error),
    );
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  private send<R extends QueryResultRow>(
    on: Pool | PoolClient,
    sql: string,
    args: unknown[],
  ): Promise<QueryResult<R>> {
    this.sent += 1;
    // Without parameters node-postgres uses the simple protocol (begin, commit, migrations).
    if (args.length === 0) return on.query<R>(sql);
    return on.query<R>({ name: statementName(sql), text: sql, values: args });
  }
}

const statementNames = new Map<string, string>();

/**
 * A named statement is parsed once per connection and its plan can be cached: PostgreSQL
 * parses and plans an unnamed statement at every execution (PostgreSQL docs, "Message Flow",
 * extended query: "the unnamed prepared statement … is planned at Bind"; PREPARE: a named
 * one may use a generic plan after five executions). Under the replicas benchmark, parse and
 * bind were 40% of the server time of the store's statements (log_min_duration_statement).
 * The name is derived from the text, so one text always has one name on every connection
 * (node-postgres refuses one name for two texts).
 */
function statementName(sql: string): string {
  let name = statementNames.get(sql);
  if (name === undefined) {
    name = `rdpfix_${createHash('sha256').update(sql).digest('hex').slice(0, 24)}`;
    statementNames.set(sql, name);
  }
  return name;
}

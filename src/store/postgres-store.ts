import { ComposedIncidentStore } from './composed-store';
import { DefaultPoolSize, PostgresConnection } from './postgres/connection';
import { PostgresDispatchLeases } from './postgres/dispatch-leases';
import { PostgresIncidentLog } from './postgres/incident-log';
import { PostgresMessageRefs } from './postgres/message-refs';
import { migrate } from './postgres/migrations';
import { PostgresOutboxQueue } from './postgres/outbox-queue';
import { PostgresReplicaLeases } from './postgres/replica-leases';

export { isRetryableConflict } from './postgres/connection';

/**
 * The scale-out store: PostgreSQL (`DATABASE_URL=postgres://…`), one row lock per change.
 * Its parts (postgres/*.ts) share one pool and take their locks in the order written down in
 * postgres/lock-order.ts.
 */
export class PostgresIncidentStore extends ComposedIncidentStore {
  private readonly db: PostgresConnection;

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
    const db = new PostgresConnection(url, schema, poolSize);
    super({
      log: new PostgresIncidentLog(db),
      dispatches: new PostgresDispatchLeases(db),
      replicas: new PostgresReplicaLeases(db),
      outbox: new PostgresOutboxQueue(db),
      refs: new PostgresMessageRefs(db),
    });
    this.db = db;
  }

  /** Told when an idle connection is lost; the server logs it (the store recovers by itself). */
  get onConnectionError(): (err: Error) => void {
    return this.db.onConnectionError;
  }
  set onConnectionError(hook: (err: Error) => void) {
    this.db.onConnectionError = hook;
  }

  /**
   * Told when PostgreSQL rolled a statement or transaction back for a deadlock or a
   * serialisation failure and the store runs it again (the server logs it; tests count them:
   * with the lock order (postgres/lock-order.ts) there should be none).
   */
  get onConflictRetry(): (err: Error) => void {
    return this.db.onConflictRetry;
  }
  set onConflictRetry(hook: (err: Error) => void) {
    this.db.onConflictRetry = hook;
  }

  /**
   * Statements sent to PostgreSQL so far, each one round trip (`begin` and `commit` included):
   * the difference around an operation is what it costs (test/store/postgres-round-trips.test.ts).
   */
  get roundTrips(): number {
    return this.db.roundTrips;
  }

  /** Applies the migrations not applied yet. */
  async migrate(): Promise<void> {
    await migrate(this.db, this.schema);
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}

import { Client } from 'pg';
import { PostgresIncidentStore } from '../../src/store/postgres-store';
import { until } from '../helpers/until';

/**
 * Stores on the machine's PostgreSQL (127.0.0.1:5432, database test; .ci/run starts it when
 * it is down), each in a schema of its own; `dropSchemas` closes them and drops the schemas.
 */
export const PostgresUrl = process.env.RDPFIX_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const schemas: string[] = [];
const opened: PostgresIncidentStore[] = [];

/** A new schema's name; `dropSchemas` drops it. */
export function freshSchema(label: string): string {
  const schema = `rdpfix_test_${label}_${process.pid}_${schemas.length + 1}`;
  schemas.push(schema);
  return schema;
}

/** A migrated store in a new schema, and (`other`) another replica's store on the same one. */
export async function freshStores(label: string): Promise<{
  store: PostgresIncidentStore;
  other: PostgresIncidentStore;
  schema: string;
}> {
  const schema = freshSchema(label);
  const store = new PostgresIncidentStore(PostgresUrl, schema);
  const other = new PostgresIncidentStore(PostgresUrl, schema);
  opened.push(store, other);
  await store.migrate();
  return { store, other, schema };
}

/** A session of its own (to hold locks, or look at pg_stat_activity), in `schema`. */
export async function session(schema: string, name = 'test'): Promise<Client> {
  const client = new Client({ connectionString: PostgresUrl, application_name: `${name}:${schema}` });
  await client.connect();
  await client.query(`set search_path to ${schema}`);
  return client;
}

/** Until `n` of the sessions of the stores on `schema` wait for a lock. */
async function waiting(monitor: Client, schema: string, n: number): Promise<void> {
  await until(`${n} store sessions waiting for a lock`, async () => {
    const { rows } = await monitor.query<{ n: string }>(
      `select count(*) as n from pg_stat_activity where application_name = $1 and wait_event_type = 'Lock'`,
      [`rdp-fix:${schema}`],
    );
    return Number(rows[0]?.n) >= n ? true : undefined;
  });
}

export interface Held {
  /** The session holding the locks: `rollback` or `commit` lets the store's statements go on. */
  blocker: Client;
  /** Until `n` of the store's sessions wait for a lock. */
  waiting(n: number): Promise<void>;
}

/**
 * Runs `work` while an outside session (`blocker`) holds the row locks `lock` takes (a
 * `select … for update`), with another watching the store's sessions. The blocker's session
 * ends whatever happened, so that a failed expectation leaves no statement of the store waiting.
 */
export async function whileHeld(
  schema: string,
  lock: string,
  args: unknown[],
  work: (held: Held) => Promise<void>,
): Promise<void> {
  const blocker = await session(schema, 'blocker');
  const monitor = await session(schema, 'monitor');
  try {
    await blocker.query('begin');
    await blocker.query(lock, args);
    await work({ blocker, waiting: (n) => waiting(monitor, schema, n) });
  } finally {
    await Promise.all([blocker.end(), monitor.end()]);
  }
}

/** Closes the stores `freshStores` opened and drops the schemas (afterAll). */
export async function dropSchemas(): Promise<void> {
  await Promise.all(opened.splice(0).map((store) => store.close()));
  const client = new Client({ connectionString: PostgresUrl });
  await client.connect();
  for (const schema of schemas) await client.query(`drop schema if exists ${schema} cascade`);
  await client.end();
}

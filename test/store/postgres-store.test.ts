import { Client } from 'pg';
import { PostgresIncidentStore } from '../../src/store/postgres-store';
import { describeStoreContract, newIncident } from './store-contract';

/**
 * The same contract against the machine's PostgreSQL (127.0.0.1:5432, database test;
 * .ci/run starts it when it is down). Each store gets a schema of its own, dropped at the end.
 */
const url = process.env.RDPFIX_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schemas: string[] = [];
let n = 0;

async function fresh(): Promise<PostgresIncidentStore> {
  const schema = `rdpfix_test_${process.pid}_${++n}`;
  schemas.push(schema);
  const store = new PostgresIncidentStore(url, schema);
  await store.migrate();
  return store;
}

afterAll(async () => {
  const client = new Client({ connectionString: url });
  await client.connect();
  for (const schema of schemas) await client.query(`drop schema if exists ${schema} cascade`);
  await client.end();
});

describeStoreContract('postgres', fresh);

describe('PostgreSQL specifics', () => {
  test('migrations run once, also when two replicas start together', async () => {
    const schema = `rdpfix_test_${process.pid}_${++n}`;
    schemas.push(schema);
    const a = new PostgresIncidentStore(url, schema);
    const b = new PostgresIncidentStore(url, schema);
    await Promise.all([a.migrate(), b.migrate()]);
    await a.migrate();
    await a.create(newIncident('i1'), [{ kind: 'incident.started', actor: 'U1', data: {} }], 't');
    expect((await b.get('i1'))?.id).toBe('i1');
    await Promise.all([a.close(), b.close()]);
  });

  test('the database refuses edits of the transcript', async () => {
    const store = await fresh();
    await store.create(newIncident('i1'), [{ kind: 'incident.started', actor: 'U1', data: {} }], 't');
    const client = new Client({ connectionString: url });
    await client.connect();
    await expect(client.query(`update ${schemas.at(-1)}.transcript set actor = 'x'`)).rejects.toThrow(
      /append-only/,
    );
    await expect(client.query(`delete from ${schemas.at(-1)}.transcript`)).rejects.toThrow(/append-only/);
    await client.end();
    await store.close();
  });

  test('two replicas saving the same version: exactly one wins, nothing is lost', async () => {
    const schema = `rdpfix_test_${process.pid}_${++n}`;
    schemas.push(schema);
    const a = new PostgresIncidentStore(url, schema);
    const b = new PostgresIncidentStore(url, schema);
    await a.migrate();
    await a.create(newIncident('i1'), [], 't0');
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) =>
        (i % 2 ? a : b).save(
          'i1',
          1,
          { state: `s${i}` },
          [{ kind: 'step.approved', actor: `U${i}`, data: { i } }],
          `t${i}`,
        ),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect((await a.get('i1'))?.version).toBe(2);
    expect(await a.transcript('i1')).toHaveLength(1);
    await Promise.all([a.close(), b.close()]);
  });
});

test('a whole incident on PostgreSQL, continued by a second engine (another replica) on the same database', async () => {
  const { driveToEnd, makeHarness, startIncident, AllThreeSteps } = await import('../helpers/engine-harness');
  const { SimulatedVmOperations } = await import('../../src/simulator/simulated-vm-operations');
  const { verifyChain } = await import('../../src/core/transcript');
  const schema = `rdpfix_test_${process.pid}_${++n}`;
  schemas.push(schema);
  const sim = new SimulatedVmOperations();
  const a = new PostgresIncidentStore(url, schema);
  await a.migrate();
  const first = makeHarness({ store: a, sim });
  const id = await startIncident(first, 'sim-all-three');
  await first.engine.handle({
    type: 'approve',
    incidentId: id,
    stepId: 'diagnose',
    attempt: 1,
    user: { id: 'U_BOB', name: 'bob' },
  });
  await first.engine.idle();
  first.engine.close();
  const b = new PostgresIncidentStore(url, schema);
  const second = makeHarness({ store: b, sim });
  await second.engine.recover();
  await driveToEnd(second, id);
  expect((await b.get(id))?.outcome).toBe('resolved');
  expect(sim.calls.map((c) => c.stepId)).toEqual(AllThreeSteps);
  expect(verifyChain(await b.transcript(id)).ok).toBe(true);
  await Promise.all([a.close(), b.close()]);
});

test('connections lost under it (server restart, failover): the next reads and writes go through', async () => {
  const store = await fresh();
  const lost: Error[] = [];
  store.onConnectionError = (err) => lost.push(err);
  await store.create(newIncident('i1'), [{ kind: 'incident.started', actor: 'U1', data: {} }], 't0');
  // Open a few pooled connections, then have the server end every one of them.
  await Promise.all([store.get('i1'), store.transcript('i1'), store.list(), store.outboxDepth()]);
  const admin = new Client({ connectionString: url });
  await admin.connect();
  const killed = await admin.query(
    'select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1',
    [`rdp-fix:${schemas.at(-1)}`],
  );
  await admin.end();
  expect(killed.rowCount).toBeGreaterThan(0);
  expect((await store.get('i1'))?.id).toBe('i1');
  const saved = await store.save(
    'i1',
    1,
    { state: 'diagnose.awaiting' },
    [{ kind: 'error', actor: null, data: {} }],
    't1',
  );
  expect(saved.version).toBe(2);
  expect((await store.transcript('i1')).map((e) => e.kind)).toEqual(['incident.started', 'error']);
  expect(lost.length).toBeGreaterThan(0);
  await store.close();
});

import { Client } from 'pg';
import { ErrorCodes } from '../../src/core/errors';
import { verifyChain } from '../../src/core/transcript';
import { PostgresIncidentStore } from '../../src/store/postgres-store';
import { until } from '../helpers/until';
import { describeStoreContracts } from './contract';
import { dispatch, newIncident, T0, T1, T2 } from './contract/fixtures';

/**
 * The same contract against the machine's PostgreSQL (127.0.0.1:5432, database test;
 * .ci/run starts it when it is down). Each store gets a schema of its own, dropped at the end.
 */
const url = process.env.RDPFIX_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schemas: string[] = [];
let n = 0;

/** A store in a new schema; `settings` (`-c name=value …`) start its sessions with them too. */
async function fresh(settings?: string): Promise<PostgresIncidentStore> {
  const schema = `rdpfix_test_${process.pid}_${++n}`;
  schemas.push(schema);
  // Startup options in the URL take the place of the store's own (its search_path), so both go here.
  const connection = settings
    ? `${url}${url.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema} ${settings}`)}`
    : url;
  const store = new PostgresIncidentStore(connection, schema);
  await store.migrate();
  return store;
}

afterAll(async () => {
  const client = new Client({ connectionString: url });
  await client.connect();
  for (const schema of schemas) await client.query(`drop schema if exists ${schema} cascade`);
  await client.end();
});

describeStoreContracts('postgres', fresh);

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

  test('the one-open-incident-per-VM migration keeps a database that already has two open incidents of one VM', async () => {
    const schema = `rdpfix_test_${process.pid}_${++n}`;
    schemas.push(schema);
    const vm = { subscriptionId: 'sub-1', resourceGroup: 'rg-a', name: 'vm-web-01' };
    const first = new PostgresIncidentStore(url, schema);
    await first.migrate();
    await first.create(newIncident('old', { vm }), [], '2026-11-01T10:00:00.000Z');
    await first.close();
    // As the previous version left it: no open_vm/requester_id, a second open incident of the VM.
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(`set search_path to ${schema}`);
      await client.query(
        'alter table incidents drop column open_vm; alter table incidents drop column requester_id; delete from rdpfix_migrations where version = 4',
      );
      const { rows } = await client.query<{ body: string }>("select body from incidents where id = 'old'");
      await client.query(
        `insert into incidents (id, playbook_id, playbook_hash, vm_name, channel, status, created_at, updated_at, version, body)
         values ('newer', 'p', 'h', 'vm-web-01', 'C1', 'open', '2026-11-02T10:00:00.000Z', '2026-11-02T10:00:00.000Z', 1, $1)`,
        [JSON.stringify({ ...JSON.parse(rows[0]!.body), id: 'newer' })],
      );
    } finally {
      await client.end();
    }
    const migrated = new PostgresIncidentStore(url, schema);
    try {
      await migrated.migrate();
      expect((await migrated.list({ status: 'open' })).map((r) => r.id)).toEqual(['newer', 'old']);
      await expect(migrated.create(newIncident('third', { vm }), [], 't')).rejects.toMatchObject({
        details: { incidentId: 'newer' },
      });
      expect((await migrated.list({ requester: 'U1' })).map((r) => r.id)).toEqual(['newer', 'old']);
      await migrated.save('newer', 1, { status: 'closed' }, [], 't');
      await migrated.create(newIncident('third', { vm }), [], 't');
    } finally {
      await migrated.close();
    }
  });
});

test('a whole incident on PostgreSQL, continued by a second engine (another replica) on the same database', async () => {
  const { driveToEnd, makeHarness, startIncident, AllThreeSteps, card } = await import(
    '../helpers/engine-harness'
  );
  const { SimulatedVmOperations } = await import('../support/simulated-vm-operations');
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
    ...card('diagnose'),
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

describe('lock order (issue 12: a heartbeat and a settlement deadlocked)', () => {
  const T0 = '2026-11-25T10:00:00.000Z';
  const T1 = '2026-11-25T10:01:00.000Z';
  const message = (n: number) => ({ kind: 'message.posted' as const, actor: null, data: { message: { n } } });

  /**
   * Two pending messages claimed by r1: `low` (the lower id) of incident i-z, `high` of
   * incident i-a, so that both the outbox_pending index (status, incident_id, id) and the heap
   * after an update list `high` first — the order the old heartbeat locked them in, while a
   * settlement by primary key locked `low` first.
   */
  async function twoClaimed() {
    // Which side of a deadlock PostgreSQL rolls back is the session whose deadlock check runs
    // once the cycle exists; each checks once, deadlock_timeout after it began to wait. With
    // the default 1 s for both, a loaded machine could form the cycle after the store's check
    // had passed, and the blocker's check then found it (the test failed with the blocker's
    // "deadlock detected"). The store's sessions check after 3 s, the blocker's after 60 s: the
    // store's check is the one that finds it, however slowly the blocker reaches its wait.
    const store = await fresh('-c deadlock_timeout=3s');
    const schema = schemas.at(-1)!;
    await store.create(newIncident('i-z'), [message(1)], T0, [{ n: 1 }]);
    await store.create(newIncident('i-a'), [message(2)], T0, [{ n: 2 }]);
    const claimed = await store.claimOutbox({ owner: 'r1', until: T1, now: T0, limit: 10 });
    const [low, high] = [...claimed].sort((a, b) => a.id - b.id);
    const conflicts: Error[] = [];
    store.onConflictRetry = (err) => conflicts.push(err);
    const blocker = new Client({ connectionString: url, application_name: `blocker:${schema}` });
    await blocker.connect();
    await blocker.query(`set deadlock_timeout = '60s'`);
    // A session of its own: inside the blocker's transaction pg_stat_activity would be a snapshot.
    const monitor = new Client({ connectionString: url });
    await monitor.connect();
    /** Waits until `n` of the store's sessions wait for a row lock. */
    const waiting = (n: number) =>
      until(`${n} store sessions waiting for a lock`, async () => {
        const { rows } = await monitor.query<{ n: string }>(
          `select count(*) as n from pg_stat_activity where application_name = $1 and wait_event_type = 'Lock'`,
          [`rdp-fix:${schema}`],
        );
        return Number(rows[0]?.n) >= n ? true : undefined;
      });
    const end = async () => {
      await Promise.all([blocker.end(), monitor.end(), store.close()]);
    };
    return { store, schema, low: low!, high: high!, conflicts, blocker, waiting, end };
  }

  test('a heartbeat and a settlement of the same rows, driven into the old deadlock, both go through without one', async () => {
    const { store, schema, low, high, conflicts, blocker, waiting, end } = await twoClaimed();
    // Hold `high`: the heartbeat queues for it first, then the settlement.
    await blocker.query('begin');
    await blocker.query(`select id from ${schema}.outbox where id = $1 for update`, [high.id]);
    const renewed = store.renewLeases('r1', '2026-11-25T10:02:00.000Z');
    await waiting(1);
    const settled = store.markSent([low.id, high.id], T1);
    await waiting(2);
    // Let go. Before the fix the heartbeat got `high` and waited for `low`, which the
    // settlement held while it waited for `high`: PostgreSQL killed one ("deadlock detected").
    await blocker.query('rollback');
    await Promise.all([renewed, settled]);
    expect(conflicts).toEqual([]);
    expect(await store.outboxDepth()).toBe(0);
    await end();
  });

  test("a round's mark takes its outbox rows before its refs (lock 3, then 4): a ref's writer never waits behind a mark that waits", async () => {
    const { store, schema, low, high, conflicts, blocker, waiting, end } = await twoClaimed();
    await blocker.query('begin');
    await blocker.query(`set local lock_timeout = '2s'`);
    await blocker.query(`select id from ${schema}.outbox where id = $1 for update`, [high.id]);
    const marked = store.markSent([low.id, high.id], T1, [{ key: 'slack:card:k', value: 'ts-mark' }]);
    await waiting(1);
    // The mark waits for `high` and holds no ref yet: a write of its ref goes through (were the
    // refs written first, this would wait for the mark, which waits for this session: a cycle).
    const wrote = await blocker
      .query(
        `insert into ${schema}.message_refs (key, value, updated_at) values ('slack:card:k', 'ts-other', $1)`,
        [T0],
      )
      .then(
        () => 'written',
        (err: Error) => err.message,
      );
    await blocker.query('commit'); // a rollback, if the insert failed
    await marked;
    expect(wrote).toBe('written');
    expect(conflicts).toEqual([]);
    expect(await store.outboxDepth()).toBe(0);
    expect(await store.getRef('slack:card:k')).toBe('ts-mark');
    await end();
  });

  test('a deadlock that still happens (here with an outside session) is retried by the store, not thrown', async () => {
    const { store, schema, low, high, conflicts, blocker, waiting, end } = await twoClaimed();
    await blocker.query('begin');
    await blocker.query(`select id from ${schema}.outbox where id = $1 for update`, [high.id]);
    // The settlement takes `low`, then waits for `high`...
    const settled = store.markSent([low.id, high.id], T1);
    await waiting(1);
    // ...and the outside session now waits for `low`: a cycle, which the store's session finds
    // (after its deadlock_timeout: twoClaimed says why it is the store's) and PostgreSQL rolls it back.
    const crossing = blocker.query(`select id from ${schema}.outbox where id = $1 for update`, [low.id]);
    await crossing;
    await blocker.query('commit');
    await settled;
    expect(conflicts.map((e) => (e as { code?: string }).code)).toEqual(['40P01']);
    expect(await store.outboxDepth()).toBe(0);
    await end();
  });
});

describe('a row read by one replica, then changed by another (the store writes against the row it read)', () => {
  const started = { kind: 'incident.started' as const, actor: 'U1', data: {} };
  const approved = (by: string) => ({ kind: 'step.approved' as const, actor: by, data: {} });

  async function twoReplicas(): Promise<[PostgresIncidentStore, PostgresIncidentStore]> {
    const schema = `rdpfix_test_${process.pid}_${++n}`;
    schemas.push(schema);
    const a = new PostgresIncidentStore(url, schema);
    const b = new PostgresIncidentStore(url, schema);
    await a.migrate();
    await a.create(newIncident('i1'), [started], 't0');
    return [a, b];
  }

  test('a thread set since the read is kept by the save', async () => {
    const [a, b] = await twoReplicas();
    expect((await a.get('i1'))?.version).toBe(1);
    await b.setThread('i1', '1700000000.000100');
    const saved = await a.save('i1', 1, { state: 'diagnose.awaiting' }, [approved('U2')], 't1');
    expect(saved).toMatchObject({ version: 2, state: 'diagnose.awaiting' });
    expect(saved.channel.thread).toBe('1700000000.000100');
    expect(await b.get('i1')).toMatchObject({ version: 2, channel: { thread: '1700000000.000100' } });
    expect(verifyChain(await b.transcript('i1')).ok).toBe(true);
    await Promise.all([a.close(), b.close()]);
  });

  test('a version saved since the read is a conflict, and nothing of the losing save is written', async () => {
    const [a, b] = await twoReplicas();
    await a.get('i1');
    await b.save('i1', 1, { state: 'by-b' }, [approved('U2')], 't1', [{ n: 1 }]);
    await expect(
      a.save('i1', 1, { state: 'by-a' }, [approved('U3')], 't2', [{ n: 2 }]),
    ).rejects.toMatchObject({
      code: ErrorCodes.VersionConflict,
    });
    expect(await a.get('i1')).toMatchObject({ version: 2, state: 'by-b' });
    expect((await a.transcript('i1')).map((e) => e.actor)).toEqual(['U1', 'U2']);
    expect(await a.outboxDepth()).toBe(1);
    await Promise.all([a.close(), b.close()]);
  });

  test('a thread set on a row saved since the read keeps that save', async () => {
    const [a, b] = await twoReplicas();
    await a.get('i1');
    await b.save('i1', 1, { state: 'by-b' }, [approved('U2')], 't1');
    await a.setThread('i1', '1700000000.000200');
    expect(await b.get('i1')).toMatchObject({
      version: 2,
      state: 'by-b',
      channel: { thread: '1700000000.000200' },
    });
    await Promise.all([a.close(), b.close()]);
  });
});

test('statements prepared before a newer replica adds columns still run (no `select *` in a prepared statement)', async () => {
  const store = await fresh();
  const schema = schemas.at(-1)!;
  await store.create(newIncident('i1'), [{ kind: 'incident.started', actor: 'U1', data: {} }], T0);
  await store.claimDispatch(dispatch());
  // The lease (until T1) has lapsed at T2; replica-b takes it over and keeps it lapsed.
  const key = { incidentId: 'i1', stepId: 'enable-tls', attempt: 1 };
  const reads = () =>
    Promise.all([
      store.transcript('i1'),
      store.getDispatch('i1', 'enable-tls', 1),
      store.lapsedDispatches(T2, 10),
      store.takeOverDispatch(key, 'replica-b', T1, T2),
    ]);
  // Every connection of the pool prepares them (ten at once: the pool holds at most ten).
  for (let i = 0; i < 3; i++) await Promise.all(Array.from({ length: 10 }, reads));
  const client = new Client({ connectionString: url });
  await client.connect();
  await client.query(`alter table ${schema}.transcript add column later text`);
  await client.query(`alter table ${schema}.dispatches add column later text`);
  await client.end();
  const [entries, found, lapsed, taken] = await reads();
  expect(entries).toHaveLength(1);
  expect(found).toMatchObject(key);
  expect(lapsed).toHaveLength(1);
  expect(taken).toMatchObject({ ...key, owner: 'replica-b' });
  await store.close();
});

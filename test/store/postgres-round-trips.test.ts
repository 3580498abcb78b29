import { Client } from 'pg';
import { verifyChain } from '../../src/core/transcript';
import { PostgresIncidentStore } from '../../src/store/postgres-store';
import { dispatch, newIncident, T0, T1, T2 } from './contract/fixtures';

/**
 * What each store operation costs in round trips to PostgreSQL (issue 20, part 3), counted by
 * the store's connection (`roundTrips`: every statement sent, `begin` and `commit` included).
 * The figures are exact so that a change that adds a round trip to the path of every
 * transition shows here rather than only in the benchmark.
 */
const url = process.env.RDPFIX_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `rdpfix_test_trips_${process.pid}`;
let store: PostgresIncidentStore;
let other: PostgresIncidentStore;

beforeAll(async () => {
  store = new PostgresIncidentStore(url, schema);
  other = new PostgresIncidentStore(url, schema);
  await store.migrate();
});

afterAll(async () => {
  await Promise.all([store.close(), other.close()]);
  const client = new Client({ connectionString: url });
  await client.connect();
  await client.query(`drop schema if exists ${schema} cascade`);
  await client.end();
});

const Later = '2026-11-25T10:02:00.000Z';
const posted = (n: number) => ({ kind: 'message.posted' as const, actor: null, data: { message: { n } } });

/** Round trips `operation` took on `on`'s connection. */
async function trips(operation: () => Promise<unknown>, on = store): Promise<number> {
  const before = on.roundTrips;
  await operation();
  return on.roundTrips - before;
}

test('round trips per operation: a transition with its entries and messages, a create, a finished dispatch, a claim, a settlement', async () => {
  const counts = {
    // An incident, its first entry and its first message.
    create: await trips(() => store.create(newIncident('i1'), [posted(1)], T0, [{ n: 1 }])),
    // A command reads its incident first (CommandHandler), …
    get: await trips(() => store.get('i1')),
    // … then its transition: snapshot, three entries, two messages, written against that read.
    save: await trips(() =>
      store.save(
        'i1',
        1,
        { state: 'diagnose.awaiting' },
        [{ kind: 'step.approved', actor: 'U1', data: {} }, posted(2), posted(3)],
        T0,
        [{ n: 2 }, { n: 3 }],
      ),
    ),
    // A refusal told in the thread.
    append: await trips(() => store.append('i1', [posted(4)], T0, [{ n: 4 }])),
    setThread: await trips(() => store.setThread('i1', '1700000000.000100')),
    claimDispatch: await trips(() => store.claimDispatch(dispatch())),
    // A Run Command's end: the dispatch done, its output and its result message.
    finishDispatch: await trips(() =>
      store.finishDispatch(
        dispatch({ result: { outcome: 'ok' } }),
        [{ kind: 'step.output', actor: null, data: { stdout: 'ok' } }, posted(5)],
        T0,
        [{ n: 5 }],
      ),
    ),
    // Delivery right after a transition (one incident), then a sweep over all of them.
    claimOneIncident: await trips(() =>
      store.claimOutbox({ owner: 'replica-a', until: T1, now: T0, limit: 10, incidentId: 'i1' }),
    ),
    // Another replica's sweep, once replica-a's lease has lapsed.
    claimAll: await trips(() => store.claimOutbox({ owner: 'replica-b', until: Later, now: T2, limit: 10 })),
    renewLeases: await trips(() => store.renewLeases('replica-b', Later)),
    // Another replica (another store) saving an incident it has not read itself reads it first.
    saveUnread: await trips(() => other.save('i1', 2, { state: 'diagnose.running' }, [], T0), other),
  };
  // The messages replica-b claimed, accepted by the platform.
  const claimed = await store.claimOutbox({ owner: 'replica-b', until: Later, now: T2, limit: 10 });
  expect(claimed.map((m) => m.message)).toEqual([1, 2, 3, 4, 5].map((n) => ({ n })));
  const settle = await trips(() =>
    store.markSent(
      claimed.map((m) => m.id),
      T1,
    ),
  );
  expect(counts).toEqual({
    // Each one statement with its entries and messages (before issue 20: 6, 10, 6, 4, 1, 8).
    create: 1,
    get: 1,
    // The statement alone: the row the command read is the one it writes against (setThread
    // the same; before: the incident read again, then the statement).
    save: 1,
    append: 1,
    setThread: 1,
    claimDispatch: 1,
    finishDispatch: 1,
    // One statement, no advisory lock (before: begin, the lock, the claim, commit).
    claimOneIncident: 1,
    claimAll: 1,
    renewLeases: 4,
    saveUnread: 2,
  });
  expect(settle).toBe(1);
  // A delivery round's mark: its messages and the refs the channel kept on them, one statement
  // (before: one statement per message and one per ref).
  await store.append('i1', [posted(6), posted(7)], T0, [{ n: 6 }, { n: 7 }]);
  const round = await store.claimOutbox({ owner: 'replica-b', until: Later, now: T2, limit: 10 });
  const refs = [
    { key: 'slack:card:i1:a:1', value: '{"ts":"1.1"}' },
    { key: 'slack:progress:i1:a:1', value: '"1.2"' },
  ];
  expect(
    await trips(() =>
      store.markSent(
        round.map((m) => m.id),
        T1,
        refs,
      ),
    ),
  ).toBe(1);
  expect(await store.getRef('slack:progress:i1:a:1')).toBe('"1.2"');
  // What was counted was done: the chain holds, every message went out in order.
  expect(verifyChain(await store.transcript('i1')).ok).toBe(true);
  expect((await store.transcript('i1')).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  expect(await store.outboxDepth()).toBe(0);
});

import { chainEntries, type TranscriptDraft, verifyChain } from '../../src/core/transcript';
import type { PostgresIncidentStore } from '../../src/store/postgres-store';
import { dispatch, newIncident, T0, T1, T2 } from './contract/fixtures';
import { dropSchemas, freshStores, session, whileHeld } from './postgres-fixtures';

/**
 * A write and its transcript entries and messages in one statement (issue 20, part 3): the
 * hash chain PostgreSQL finishes, and what the statements do when another write gets to the
 * incident first — the chain moved, the thread was set, the row lock was held.
 */
afterAll(dropSchemas);

/** Text that has broken JSON, hashing or encodings before. */
const hostile = {
  text: 'it\'s "quoted" \\ back\\slash \u0000 nul, \ud800 lone surrogate, 😀 é ✓ \u2028 ‮rtl',
  numbers: [1.5, -0, 1e21, 0.1 + 0.2, -1e-7],
  nested: { z: 1, a: [null, true, {}], é: 'x', Z: 2, '': 'empty key' },
};

const drafts = (n: number, actor: string | null = null): TranscriptDraft[] =>
  Array.from({ length: n }, (_, i) => ({ kind: 'step.output', actor, data: { i, ...hostile } }));

test('the chain PostgreSQL finishes is the one the app computes, hostile text included', async () => {
  const { store } = await freshStores('chain');
  const first = drafts(2, 'U_ÄLICE');
  const second = drafts(3);
  const third = drafts(1, 'U_ünï😀');
  await store.create(newIncident('i1'), first, T0);
  await store.save('i1', 1, { state: 'x' }, second, T1);
  await store.claimDispatch(dispatch());
  await store.finishDispatch(dispatch(), third, T2);
  const expected = chainEntries('i1', undefined, first, T0);
  expected.push(...chainEntries('i1', expected.at(-1), second, T1));
  expected.push(...chainEntries('i1', expected.at(-1), third, T2));
  const stored = await store.transcript('i1');
  expect(stored).toEqual(expected);
  expect(verifyChain(stored)).toEqual({ ok: true, entries: 6 });
});

const HoldIncident = 'select 1 from incidents where id = $1 for update';

const trips = (store: PostgresIncidentStore, before: number) => store.roundTrips - before;

test('a write that waited for the row lock while another appended goes after it: the chain moved, the statement runs again', async () => {
  const { store, other, schema } = await freshStores('moved');
  await store.create(newIncident('i1'), drafts(1), T0);
  await whileHeld(schema, HoldIncident, ['i1'], async (held) => {
    // The save queues for the row first, then the append: the save wins, and the append's
    // statement, whose snapshot predates the save, collides with the save's entries.
    const saved = store.save('i1', 1, { state: 'x' }, drafts(2), T1, [{ n: 1 }]);
    await held.waiting(1);
    const before = other.roundTrips;
    const appended = other.append('i1', drafts(1, 'U_LATE'), T1, [{ n: 2 }]);
    await held.waiting(2);
    await held.blocker.query('rollback');
    await Promise.all([saved, appended]);
    expect(trips(other, before)).toBe(2);
    const entries = await store.transcript('i1');
    expect(entries.map((e) => [e.seq, e.actor])).toEqual([
      [1, null],
      [2, null],
      [3, null],
      [4, 'U_LATE'],
    ]);
    expect(verifyChain(entries).ok).toBe(true);
    const claimed = await store.claimOutbox({ owner: 'r', until: T2, now: T1, limit: 10 });
    expect(claimed.map((m) => m.message)).toEqual([{ n: 1 }, { n: 2 }]);
  });
});

test('a save and a setThread racing: the thread set meanwhile is kept, the save is not refused', async () => {
  const { store, other, schema } = await freshStores('thread');
  await store.create(newIncident('i1'), [], T0);
  await whileHeld(schema, HoldIncident, ['i1'], async (held) => {
    // Both read the body before either writes; the thread's write goes first.
    const threaded = other.setThread('i1', '1700000000.000100');
    await held.waiting(1);
    const saved = store.save('i1', 1, { state: 'diagnose.awaiting' }, drafts(1), T1);
    await held.waiting(2);
    await held.blocker.query('rollback');
    await threaded;
    expect(await saved).toMatchObject({ version: 2, state: 'diagnose.awaiting' });
    expect(await store.get('i1')).toMatchObject({
      version: 2,
      state: 'diagnose.awaiting',
      channel: { channel: 'C1', thread: '1700000000.000100' },
    });
  });
});

test('two saves of one version at once on two replicas: one wins, the other is a VersionConflict', async () => {
  const { store, other, schema } = await freshStores('versions');
  await store.create(newIncident('i1'), [], T0);
  await whileHeld(schema, HoldIncident, ['i1'], async (held) => {
    const first = store.save('i1', 1, { state: 'a' }, drafts(1), T1, [{ n: 1 }]);
    await held.waiting(1);
    const second = other.save('i1', 1, { state: 'b' }, drafts(1), T1, [{ n: 2 }]);
    await held.waiting(2);
    await held.blocker.query('rollback');
    expect(await first).toMatchObject({ version: 2, state: 'a' });
    await expect(second).rejects.toMatchObject({ code: 'VERSION_CONFLICT' });
    expect((await store.transcript('i1')).length).toBe(1);
    expect(await store.outboxDepth()).toBe(1);
  });
});

test('lock order in one statement: finishDispatch locks the dispatch row only once it holds the incident row', async () => {
  const { store, schema } = await freshStores('order');
  await store.create(newIncident('i1'), [], T0);
  await store.claimDispatch(dispatch());
  await whileHeld(schema, HoldIncident, ['i1'], async (held) => {
    const finished = store.finishDispatch(dispatch({ result: { outcome: 'ok' } }), drafts(1), T1, [{ n: 1 }]);
    await held.waiting(1);
    // While it waits for the incident row, the dispatch row is free.
    const probe = await session(schema, 'probe');
    await probe.query('begin');
    const free = await probe.query(
      `select 1 from dispatches where incident_id = 'i1' and step_id = 'enable-tls' and attempt = 1 for update nowait`,
    );
    expect(free.rowCount).toBe(1);
    await probe.query('rollback');
    await probe.end();
    await held.blocker.query('rollback');
    expect(await finished).toBe(true);
  });
});

test('messages are queued only once the row lock is held: a message queued by the holder meanwhile goes first', async () => {
  const { store, schema } = await freshStores('after');
  await store.create(newIncident('i1'), [], T0);
  await whileHeld(schema, HoldIncident, ['i1'], async (held) => {
    const appended = store.append('i1', [], T1, [{ n: 'second' }]);
    await held.waiting(1);
    await held.blocker.query(
      `insert into outbox (incident_id, message, status, next_at, created_at) values ('i1', '{"n":"first"}', 'pending', $1, $1)`,
      [T0],
    );
    await held.blocker.query('commit');
    await appended;
    const claimed = await store.claimOutbox({ owner: 'r', until: T2, now: T1, limit: 10 });
    expect(claimed.map((m) => m.message)).toEqual([{ n: 'first' }, { n: 'second' }]);
  });
});

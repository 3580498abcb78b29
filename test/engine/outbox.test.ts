import { noMetrics } from '../../src/engine/engine-metrics';
import type { Delivery, OutMessage } from '../../src/engine/messages';
import { Outbox } from '../../src/engine/outbox';
import type { IncidentRecord, NewIncident } from '../../src/store/incident-store';
import { MemoryIncidentStore } from '../../src/store/memory-store';
import { alice } from '../helpers/engine-harness';
import { T0 } from '../helpers/incident-records';

/**
 * The Outbox over the real memory store and a sink that records, as a channel would: the
 * root message ('opened') gets a thread, which the store records (setThread). The fault
 * cases (a failed claim or mark, maybeSent) are in outbox-faults.test.ts.
 */
const at = T0.toISOString();
const id = 'inc-1';

const incident: NewIncident = {
  id,
  playbookId: 'rdp-internal-error',
  playbookHash: 'h',
  vm: { subscriptionId: 'sub-1', resourceGroup: 'rg-test', name: 'sim-healthy' },
  requester: alice,
  channel: { platform: 'cli', channel: 'unit' },
  locale: 'it',
  status: 'open',
  outcome: null,
  state: 'preflight',
  causes: [],
  snapshot: {},
  pending: null,
};

const opened: OutMessage = { kind: 'opened', key: `${id}:root`, text: { en: 'opened', it: 'aperto' } };
const notice = (n: number): OutMessage => ({
  kind: 'notice',
  text: { en: `notice ${n}`, it: `avviso ${n}` },
});

function rig() {
  const store = new MemoryIncidentStore();
  const gets: string[] = [];
  const calls: string[] = [];
  // A sink a test makes fail, or keep refs as a channel does (slack-sink.ts); a store call a test makes fail.
  const hooks: { sink?: (delivery: Delivery) => Promise<void>; store?: (name: string) => void } = {};
  // Counts the incident reads and names every call; each goes straight to the store.
  const counted = new Proxy(store, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.push(String(name));
        hooks.store?.(String(name));
        if (name === 'get') gets.push(String(args[0]));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  const delivered: Delivery[] = [];
  const errors: unknown[] = [];
  const outbox = new Outbox({
    store: counted,
    sink: async (delivery) => {
      await hooks.sink?.(delivery);
      delivered.push(delivery);
      // What a channel does once the root message is posted: the thread is recorded.
      if (delivery.message.kind === 'opened') await store.setThread(delivery.incidentId, 'thread-1');
    },
    owner: 'replica-a',
    leaseMs: 30_000,
    now: () => T0,
    metrics: noMetrics,
    onError: (err) => void errors.push(err),
  });
  return { store, outbox, gets, calls, hooks, delivered, errors };
}

/** A transition saved with its messages, as CommandHandler saves one. */
function save(store: MemoryIncidentStore, record: IncidentRecord, messages: OutMessage[]) {
  return store.save(id, record.version, { state: 'diagnose.awaiting' }, [], at, messages);
}

test('messages queued by two saves are delivered once each, in the order they were saved', async () => {
  const { store, outbox, delivered, errors } = rig();
  const created = await store.create(incident, [], at, [opened, notice(1)]);
  await save(store, created, [notice(2), notice(3)]);
  await outbox.flush(id);
  expect(delivered.map((d) => d.message)).toEqual([opened, notice(1), notice(2), notice(3)]);
  expect(delivered.map((d) => d.outboxId)).toEqual([1, 2, 3, 4]);
  expect(await store.outboxDepth()).toBe(0);
  await outbox.flush(id);
  expect(delivered).toHaveLength(4);
  expect(errors).toEqual([]);
});

test('a flush per save, the second asked for while the first delivers: still in order, none twice', async () => {
  const { store, outbox, delivered } = rig();
  const created = await store.create(incident, [], at, [opened, notice(1)]);
  const first = outbox.flush(id, created);
  const saved = await save(store, created, [notice(2)]);
  expect(outbox.busy).toBe(true);
  const second = outbox.flush(id, saved);
  await Promise.all([first, second]);
  await outbox.idle();
  expect(delivered.map((d) => d.message)).toEqual([opened, notice(1), notice(2)]);
});

test('a flush with the saved record reads no incident; one without it reads it once per round', async () => {
  const { store, outbox, gets, delivered } = rig();
  const created = await store.create(incident, [], at);
  await store.setThread(id, 'thread-0');
  const threaded = (await store.get(id))!;

  const saved = await save(store, threaded, [notice(1), notice(2), notice(3)]);
  await outbox.flush(id, saved);
  expect(gets).toEqual([]);
  expect(delivered.map((d) => d.channel.thread)).toEqual(['thread-0', 'thread-0', 'thread-0']);

  const again = await save(store, saved, [notice(4), notice(5)]);
  expect(again.version).toBe(created.version + 2);
  await outbox.flush(id);
  expect(gets).toEqual([id]);
  await save(store, again, [notice(6)]);
  await outbox.flush(id);
  expect(gets).toEqual([id, id]);
  expect(delivered.map((d) => (d.message as { text: { en: string } }).text.en)).toEqual(
    [1, 2, 3, 4, 5, 6].map((n) => `notice ${n}`),
  );
});

test('a flush asked for while a delivery runs keeps its saved record for the next round: no read', async () => {
  const { store, outbox, gets, delivered } = rig();
  await store.create(incident, [], at);
  await store.setThread(id, 'thread-0');
  const threaded = (await store.get(id))!;
  const saved = await save(store, threaded, [notice(1)]);
  const first = outbox.flush(id, saved);
  const later = await save(store, saved, [notice(2)]);
  const newer = await save(store, later, [notice(3)]);
  expect(outbox.busy).toBe(true);
  // Two flushes during the first round, the newer record first: the round after it uses that one.
  const second = outbox.flush(id, newer);
  const third = outbox.flush(id, later);
  await Promise.all([first, second, third]);
  await outbox.idle();
  expect(gets).toEqual([]);
  expect(delivered.map((d) => (d.message as { text: { en: string } }).text.en)).toEqual(
    [1, 2, 3].map((n) => `notice ${n}`),
  );
  expect(delivered.map((d) => d.channel.thread)).toEqual(['thread-0', 'thread-0', 'thread-0']);
});

test('after the root message the incident is read again: the next messages go into the thread the channel recorded', async () => {
  const { store, outbox, gets, delivered } = rig();
  const created = await store.create(incident, [], at, [opened, notice(1), notice(2)]);
  await outbox.flush(id, created);
  expect(gets).toEqual([id]);
  const where = { incidentId: id, locale: 'it', vm: incident.vm };
  // Each delivery reads and keeps its refs through the round's (delivery-round.ts).
  const refs = { getRef: expect.any(Function), setRef: expect.any(Function) };
  expect(delivered).toEqual([
    { ...where, channel: { platform: 'cli', channel: 'unit' }, message: opened, outboxId: 1, refs },
    {
      ...where,
      channel: { platform: 'cli', channel: 'unit', thread: 'thread-1' },
      message: notice(1),
      outboxId: 2,
      refs,
    },
    {
      ...where,
      channel: { platform: 'cli', channel: 'unit', thread: 'thread-1' },
      message: notice(2),
      outboxId: 3,
      refs,
    },
  ]);
});

test("another incident's record is not used for a delivery: it is read", async () => {
  const { store, outbox, gets, delivered } = rig();
  await store.create(incident, [], at, [notice(1)]);
  const other = await store.create(
    { ...incident, id: 'inc-2', locale: 'en', vm: { ...incident.vm, name: 'vm-other' } },
    [],
    at,
  );
  await outbox.flush(id, other);
  expect(gets).toEqual([id]);
  expect(delivered).toMatchObject([{ incidentId: id, locale: 'it' }]);
});

describe('a replica that stalled past its lease', () => {
  /** Two replicas' outboxes on one store, each with its own clock (a stall is a clock jump). */
  function twoReplicas() {
    const store = new MemoryIncidentStore();
    const delivered: { by: string; delivery: Delivery }[] = [];
    const clocks = { a: T0.getTime(), b: T0.getTime() };
    const outbox = (owner: 'a' | 'b', stall?: () => void) =>
      new Outbox({
        store,
        sink: async (delivery) => {
          delivered.push({ by: owner, delivery });
        },
        owner,
        leaseMs: 30_000,
        now: () => {
          const now = new Date(clocks[owner]);
          stall?.();
          return now;
        },
        metrics: noMetrics,
        onError: () => {},
      });
    return { store, delivered, clocks, outbox };
  }

  test('does not send under a lease about to lapse: the replica that takes the message over sends it once', async () => {
    const { store, delivered, clocks, outbox } = twoReplicas();
    await store.create(incident, [], at, [notice(1)]);
    // Replica a claims at T0, then stalls for 25 s (of a 30 s lease) before it would send.
    let reads = 0;
    const a = outbox('a', () => {
      if (++reads === 1) clocks.a += 25_000;
    });
    await a.flush(id);
    expect(delivered).toEqual([]);
    // Its lease lapses; replica b's round takes the message and sends it, flagged maybeSent
    // because someone else held it (the channel then looks for it in the thread first).
    clocks.b += 31_000;
    await outbox('b').poll();
    expect(delivered.map((d) => [d.by, d.delivery.outboxId !== undefined, d.delivery.maybeSent])).toEqual([
      ['b', true, true],
    ]);
    expect(await store.outboxDepth()).toBe(0);
  });

  test.each([
    ['a heartbeat extends the lease: the round goes on', true, ['a:notice 1', 'a:notice 2']],
    [
      'no heartbeat: the rest waits, and the replica that takes it over sends it',
      false,
      ['a:notice 1', 'b:notice 2'],
    ],
  ])('a long round (the first send takes 25 s): %s', async (_what, heartbeat, expected) => {
    const { store, delivered, clocks, outbox } = twoReplicas();
    await store.create(incident, [], at, [notice(1), notice(2)]);
    const a = new Outbox({
      store,
      sink: async (delivery) => {
        delivered.push({ by: 'a', delivery });
        clocks.a += 25_000;
        // The heartbeat's write ended now, while the lease (until T0 + 30 s) still held.
        if (heartbeat) a.leasesRenewed(new Date(clocks.a + 30_000).toISOString(), new Date(clocks.a));
      },
      owner: 'a',
      leaseMs: 30_000,
      now: () => new Date(clocks.a),
      metrics: noMetrics,
      onError: () => {},
    });
    await a.flush(id);
    clocks.b += 31_000;
    await outbox('b').poll();
    expect(
      delivered.map((d) => `${d.by}:${(d.delivery.message as { text: { en: string } }).text.en}`),
    ).toEqual(expected);
    expect(await store.outboxDepth()).toBe(0);
  });
});

test('a transition saved while another replica posts the root message: its messages still go into the thread', async () => {
  // Reproduces a review finding. The thread is metadata (setThread raises no version), so a
  // record saved on replica b before replica a recorded the thread has none; b must read the
  // incident again instead of posting at the channel's root.
  const store = new MemoryIncidentStore();
  const created = await store.create(incident, [], at, [opened]);
  const threads: (string | undefined)[] = [];
  let savedOnB: IncidentRecord | undefined;
  const outbox = (owner: string, beforeThread?: () => Promise<void>) =>
    new Outbox({
      store,
      sink: async (delivery) => {
        threads.push(delivery.channel.thread);
        if (delivery.message.kind === 'opened') {
          await beforeThread?.();
          await store.setThread(delivery.incidentId, 'thread-1');
        }
      },
      owner,
      leaseMs: 30_000,
      now: () => T0,
      metrics: noMetrics,
      onError: () => {},
    });
  await outbox('a', async () => {
    savedOnB = await save(store, created, [notice(1)]);
  }).flush(id);
  expect(savedOnB?.channel.thread).toBeUndefined();
  await outbox('b').flush(id, savedOnB);
  expect(threads).toEqual([undefined, 'thread-1']);
});

describe('a round writes what the platform accepted once, with the refs the channel kept', () => {
  const card = (n: number): OutMessage => ({
    kind: 'cardClosed',
    key: `${id}:step-${n}:1`,
    stepId: `step-${n}`,
    attempt: 1,
    text: { en: `closed ${n}`, it: `chiuso ${n}` },
  });

  test('one mark for the round; a ref kept earlier in the round is read from it, an older one from the store', async () => {
    const { store, outbox, calls, hooks } = rig();
    await store.setRef('cli:card:old', 'ts-old', at);
    const read: (string | undefined)[] = [];
    // Each notice keeps a ref, as a posted card does; each closing reads one back.
    hooks.sink = async (d) => {
      const m = d.message;
      if (m.kind === 'notice') await d.refs!.setRef(`cli:card:${m.text.en}`, `ts-${m.text.en}`, at);
      if (m.kind === 'cardClosed')
        read.push(await d.refs!.getRef(m.key === `${id}:step-1:1` ? 'cli:card:notice 1' : 'cli:card:old'));
    };
    const created = await store.create(incident, [], at, [opened, notice(1), card(1), card(2)]);
    await outbox.flush(id, created);
    expect(read).toEqual(['ts-notice 1', 'ts-old']);
    // Apart from the incident reads: one claim, one read of the old ref (the new one is the round's), one mark.
    expect(calls.filter((c) => c !== 'get')).toEqual(['claimOutbox', 'getRef', 'markSent']);
    expect(await store.outboxDepth()).toBe(0);
    expect(await store.getRef('cli:card:notice 1')).toBe('ts-notice 1');
  });

  test('a failure mid-round: what was accepted before it is marked (with its refs) before the retry lets go of the claim', async () => {
    const { store, outbox, calls, hooks, delivered, errors } = rig();
    let failures = 1;
    hooks.sink = async (d) => {
      const m = d.message;
      if (m.kind === 'notice' && m.text.en === 'notice 1') await d.refs!.setRef('cli:card:1', 'ts-1', at);
      if (m.kind === 'notice' && m.text.en === 'notice 2' && failures-- > 0)
        throw new Error('slack said 500');
    };
    const created = await store.create(incident, [], at, [opened, notice(1), notice(2)]);
    await outbox.flush(id, created);
    expect(errors).toHaveLength(1);
    expect(calls.filter((c) => c !== 'get')).toEqual(['claimOutbox', 'markSent', 'retryOutbox']);
    // The two accepted are settled and their ref written; the failed one waits for its retry.
    expect(await store.outboxDepth()).toBe(1);
    expect(await store.getRef('cli:card:1')).toBe('ts-1');
    expect(delivered.map((d) => d.message)).toEqual([opened, notice(1)]);
  });

  test('a mark that failed (the database away): the refs it held are written with the held-back marks, before the next round reads them', async () => {
    const { store, outbox, calls, hooks, delivered, errors } = rig();
    let away = 1;
    hooks.store = (name) => {
      if (name === 'markSent' && away-- > 0) throw new Error('Connection terminated unexpectedly');
    };
    const read: (string | undefined)[] = [];
    hooks.sink = async (d) => {
      const m = d.message;
      if (m.kind === 'notice') await d.refs!.setRef('cli:card:notice 1', 'ts-notice 1', at);
      if (m.kind === 'cardClosed') read.push(await d.refs!.getRef('cli:card:notice 1'));
    };
    const created = await store.create(incident, [], at, [opened, notice(1)]);
    await outbox.flush(id, created);
    await outbox.idle();
    expect(errors).toHaveLength(1);
    // The failed mark, then the held-back one (messages and ref) before the retry's claim.
    expect(calls.filter((c) => c !== 'get')).toEqual(['claimOutbox', 'markSent', 'markSent', 'claimOutbox']);
    expect(await store.getRef('cli:card:notice 1')).toBe('ts-notice 1');
    // A later round (here or on another replica) closes the card: it reads the ref from the store.
    await outbox.flush(id, await save(store, created, [card(1)]));
    expect(read).toEqual(['ts-notice 1']);
    expect(delivered.map((d) => d.message)).toEqual([opened, notice(1), card(1)]);
    expect(await store.outboxDepth()).toBe(0);
  });
});

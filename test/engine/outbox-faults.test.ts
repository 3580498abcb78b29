import { IncidentEngine } from '../../src/engine/incident-engine';
import type { Delivery } from '../../src/engine/messages';
import type { IncidentStore } from '../../src/store/incident-store';
import { MemoryIncidentStore } from '../../src/store/memory-store';
import { openEngines, rdpPlaybook, twoPersonPolicy } from '../helpers/engine-harness';
import { until } from '../helpers/until';
import { SimulatedVmOperations } from '../support/simulated-vm-operations';

/**
 * Faults between an outbox claim and its mark (issue 12): the replica holding the claim
 * must not sit on it until the lease runs out. Each fault is injected once into a real
 * store (the outbox under test is the engine's own).
 */
type Fault = { method: 'claimOutbox' | 'markSent'; error: Error };

function faultyStore(inner: IncidentStore, faults: Fault[]): IncidentStore {
  return new Proxy(inner, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const at = faults.findIndex((f) => f.method === name);
        if (at >= 0) throw faults.splice(at, 1)[0]!.error;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

function engineOn(store: IncidentStore, sink: (d: Delivery) => void, errors: string[]) {
  const engine = new IncidentEngine({
    store,
    playbooks: [rdpPlaybook()],
    vm: new SimulatedVmOperations(),
    policy: twoPersonPolicy,
    sink,
    progressIntervalMs: 0,
    onError: (err, where) => {
      errors.push(`${where}: ${String(err)}`);
    },
  });
  openEngines.add(engine);
  return engine;
}

async function openIncident(engine: IncidentEngine): Promise<string> {
  const started = await engine.handle({
    type: 'start',
    vm: { subscriptionId: 's', resourceGroup: 'rg', name: 'sim-all-three' },
    requester: { id: 'U_ALICE', name: 'alice' },
    channel: { platform: 'cli', channel: 'faults' },
    locale: 'en',
  });
  if (!started.ok) throw new Error(started.message.en);
  return started.incidentId;
}

/** What the transcript says went to the chat, in order. */
async function written(store: IncidentStore, id: string): Promise<string[]> {
  return (await store.transcript(id))
    .filter((e) => e.kind === 'message.posted')
    .map((e) => JSON.stringify(e.data.message));
}

test.each<[string, Fault['method']]>([
  ['the mark after the platform accepted a message', 'markSent'],
  ['the claim itself', 'claimOutbox'],
])(
  'a failure of %s: the messages still go out once, in order, without waiting for a lease',
  async (_what, method) => {
    const inner = new MemoryIncidentStore();
    const faults: Fault[] = [{ method, error: new Error('Connection terminated unexpectedly') }];
    const delivered: Delivery[] = [];
    const errors: string[] = [];
    const engine = engineOn(faultyStore(inner, faults), (d) => void delivered.push(d), errors);
    const id = await openIncident(engine);
    // No background polling runs here (recover() was not called): only the outbox's own retry
    // can deliver what the failed round left.
    await until(
      'the outbox empty',
      async () => ((await inner.outboxDepth()) === 0 ? true : undefined),
      5_000,
    );
    await engine.idle();
    expect(faults).toEqual([]);
    expect(errors).toEqual(['outbox: Error: Connection terminated unexpectedly']);
    expect(delivered.map((d) => JSON.stringify(d.message))).toEqual(await written(inner, id));
  },
);

test('a sink that failed after the platform may have taken the message: the retry is flagged maybeSent', async () => {
  const store = new MemoryIncidentStore();
  const delivered: Delivery[] = [];
  const errors: string[] = [];
  let failures = 1;
  const engine = engineOn(
    store,
    (d) => {
      delivered.push(d);
      // A timeout after Slack stored it: the sender cannot tell whether it went out.
      if (failures-- > 0) throw Object.assign(new Error('socket hang up'), { retryAfter: 0 });
    },
    errors,
  );
  const id = await openIncident(engine);
  await until('the message retried', () => (delivered.length >= 2 ? true : undefined), 5_000);
  expect(delivered[0]!.maybeSent).toBeUndefined();
  expect(delivered[1]).toMatchObject({ outboxId: delivered[0]!.outboxId, maybeSent: true });
  expect(errors).toEqual(['sink: Error: socket hang up']);
  await engine.idle();
  expect((await written(store, id)).length).toBeGreaterThan(0);
});

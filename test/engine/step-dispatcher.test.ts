import { ErrorCodes } from '../../src/core/errors';
import type { Command } from '../../src/engine/commands';
import { DirectMessages } from '../../src/engine/direct-messages';
import { type EngineMetrics, noMetrics } from '../../src/engine/engine-metrics';
import type { Delivery, OutMessage } from '../../src/engine/messages';
import { StepDispatcher } from '../../src/engine/step-dispatcher';
import type { IncidentEvent } from '../../src/playbook/machine-types';
import type { IncidentRecord, IncidentStore } from '../../src/store/incident-store';
import { MemoryIncidentStore } from '../../src/store/memory-store';
import { bob, rdpPlaybook } from '../helpers/engine-harness';
import { approve, recordAfter, recordAwaiting, T0, vmReady } from '../helpers/incident-records';
import { until } from '../helpers/until';
import { SimulatedVmOperations } from '../support/simulated-vm-operations';

/**
 * The dispatcher on its own: a real in-memory store, the simulated VMs, an inbox and a chat
 * sink that only collect. What it reports (stepResult commands) and what it wrote (dispatch
 * record, transcript, outbox) are the assertions; nothing is mocked.
 */
const LeaseMs = 30_000;
const vm = { subscriptionId: 'sub-1', resourceGroup: 'rg-test', name: 'sim-tls-disabled' };

/** A store whose calls are counted by method name (the store itself is the real memory twin). */
function countingStore(inner: IncidentStore, calls: string[]): IncidentStore {
  return new Proxy(inner, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.push(String(name));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

interface Rig {
  dispatcher: StepDispatcher;
  store: MemoryIncidentStore;
  sim: SimulatedVmOperations;
  /** What the dispatcher reported to its inbox. */
  commands: Command[];
  /** What it said directly (progress while running), not queued. */
  said: Delivery[];
  /** Store methods it called, in order. */
  storeCalls: string[];
  errors: string[];
  clock: { now: Date };
}

function rig(
  options: {
    store?: MemoryIncidentStore;
    sim?: SimulatedVmOperations;
    owner?: string;
    clock?: { now: Date };
  } = {},
): Rig {
  const store = options.store ?? new MemoryIncidentStore();
  const sim = options.sim ?? new SimulatedVmOperations({ now: () => T0 });
  const clock = options.clock ?? { now: T0 };
  const commands: Command[] = [];
  const said: Delivery[] = [];
  const storeCalls: string[] = [];
  const errors: string[] = [];
  const metrics: EngineMetrics = { ...noMetrics, error: (code) => void errors.push(code) };
  const dispatcher = new StepDispatcher({
    store: countingStore(store, storeCalls),
    owner: options.owner ?? 'replica-a',
    leaseMs: LeaseMs,
    vm: sim,
    now: () => clock.now,
    progressIntervalMs: 0,
    messages: new DirectMessages(
      (d) => void said.push(d),
      metrics,
      (err) => {
        throw err;
      },
    ),
    results: { submit: (c) => void commands.push(c) },
    metrics,
  });
  return { dispatcher, store, sim, commands, said, storeCalls, errors, clock };
}

/** The record after `events`, saved in the store as CommandHandler would have saved it. */
async function saved(store: MemoryIncidentStore, events: readonly IncidentEvent[]): Promise<IncidentRecord> {
  const { version: _v, createdAt: _c, updatedAt: _u, ...incident } = { ...recordAfter(events).record, vm };
  return store.create(incident, [], T0.toISOString());
}

const diagnoseApproved = [vmReady, approve('diagnose')];

/** Attempt 1 of `stepId` dispatched by another replica, its lease ending `leaseMs` after T0 (negative: lapsed). */
async function claimedBy(store: MemoryIncidentStore, stepId: string, owner: string, leaseMs: number) {
  await store.claimDispatch({
    incidentId: 'inc-1',
    stepId,
    attempt: 1,
    status: 'dispatching',
    pollerState: null,
    result: null,
    updatedAt: T0.toISOString(),
    owner,
    leaseUntil: new Date(T0.getTime() + leaseMs).toISOString(),
  });
}

/** Everything queued in the store's outbox (claimed as another replica would). */
async function queued(store: MemoryIncidentStore): Promise<unknown[]> {
  const until = new Date(T0.getTime() + 3_600_000).toISOString();
  const items = await store.claimOutbox({ owner: 'reader', now: until, until, limit: 100 });
  return items.map((i) => i.message);
}

describe('an approved step', () => {
  test('runs once, reports one ok stepResult, and stores its output with its result message in one write', async () => {
    const r = rig();
    const record = await saved(r.store, diagnoseApproved);
    await r.dispatcher.dispatch(record, rdpPlaybook(), 'diagnose', 1);

    expect(r.sim.calls).toEqual([
      {
        op: 'runScript',
        vm: 'sim-tls-disabled',
        stepId: 'diagnose',
        attempt: 1,
        script: 'diagnose.ps1',
        params: {},
        approvedBy: bob.id,
      },
    ]);
    expect(r.commands).toHaveLength(1);
    expect(r.commands[0]).toEqual({
      type: 'stepResult',
      incidentId: 'inc-1',
      stepId: 'diagnose',
      attempt: 1,
      result: expect.objectContaining({ outcome: 'ok', data: expect.objectContaining({ rdpPort: 3389 }) }),
    });
    const result = (r.commands[0] as Extract<Command, { type: 'stepResult' }>).result;
    expect((result.data as { tls: Record<string, number> }).tls['TLS 1.2']).toBe(0);

    // Claimed, its poller state saved, then finished: output and message in that one write.
    expect(r.storeCalls).toEqual(['claimDispatch', 'updateDispatch', 'finishDispatch']);
    const entries = await r.store.transcript('inc-1');
    expect(entries.map((e) => e.kind)).toEqual(['step.output', 'message.posted']);
    expect(entries[0]!.data).toMatchObject({
      stepId: 'diagnose',
      attempt: 1,
      script: 'diagnose.ps1',
      scriptSha256: rdpPlaybook().scripts['diagnose.ps1']!.sha256,
      params: {},
      startedAt: T0.toISOString(),
      endedAt: T0.toISOString(),
      durationMs: 0,
      outcome: 'ok',
      stdout: expect.stringContaining('RDPFIX-RESULT'),
    });
    expect(entries[1]!.at).toBe(entries[0]!.at);
    const message = entries[1]!.data.message as OutMessage;
    expect(message).toMatchObject({
      kind: 'progress',
      key: 'inc-1:diagnose:1:progress',
      stepId: 'diagnose',
      done: true,
      elapsedMs: 0,
      text: { en: expect.stringMatching(/^"Diagnose the VM \(read-only\)" succeeded\. RDP port 3389/) },
    });
    expect(await queued(r.store)).toEqual([message]);

    const dispatch = await r.store.getDispatch('inc-1', 'diagnose', 1);
    expect(dispatch).toMatchObject({ status: 'done', owner: 'replica-a', leaseUntil: null, result });
    // Only the "running" line was said directly; the result went through the outbox. The
    // attempt was claimed just now, so nobody posted its line before: the channel need not look.
    expect(r.said.map((d) => d.message)).toEqual([
      expect.objectContaining({
        kind: 'progress',
        key: 'inc-1:diagnose:1:progress',
        done: false,
        unposted: true,
      }),
    ]);
    expect(r.errors).toEqual([]);
  });

  test('dispatching the same attempt twice (a repeated delivery) sends it once and reports once', async () => {
    const r = rig();
    const record = await saved(r.store, diagnoseApproved);
    await Promise.all([
      r.dispatcher.dispatch(record, rdpPlaybook(), 'diagnose', 1),
      r.dispatcher.dispatch(record, rdpPlaybook(), 'diagnose', 1),
    ]);
    await r.dispatcher.dispatch(record, rdpPlaybook(), 'diagnose', 1);
    expect(r.sim.calls).toHaveLength(1);
    expect(r.commands).toHaveLength(1);
    expect((await r.store.transcript('inc-1')).filter((e) => e.kind === 'step.output')).toHaveLength(1);
  });

  test('resume of a done dispatch reports the stored result again, without running the step again', async () => {
    const r = rig();
    const record = await saved(r.store, diagnoseApproved);
    await r.dispatcher.dispatch(record, rdpPlaybook(), 'diagnose', 1);
    // Another replica (or this one after a restart) finds the dispatch done.
    const other = rig({ store: r.store, sim: r.sim, owner: 'replica-b' });
    await other.dispatcher.resume(record, rdpPlaybook(), 'diagnose', 1);
    expect(r.sim.calls).toHaveLength(1);
    expect(other.commands).toEqual(r.commands);
    expect(other.storeCalls).toEqual(['getDispatch']);
  });
});

describe('leases', () => {
  test('a replica whose lease was taken over while the step ran reports nothing and writes nothing', async () => {
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let first = true;
    const sim = new SimulatedVmOperations({
      now: () => T0,
      delay: async () => {
        if (!first) return;
        first = false;
        await held; // replica A stalls in the middle of the Run Command
      },
    });
    const a = rig({ sim });
    const record = await saved(a.store, diagnoseApproved);
    const running = a.dispatcher.dispatch(record, rdpPlaybook(), 'diagnose', 1);
    await until('replica A inside the Run Command', () =>
      a.storeCalls.includes('updateDispatch') ? true : undefined,
    );

    // Replica B, a lease later, takes the dispatch over (what its LeaseSweeper does).
    const later = new Date(T0.getTime() + LeaseMs + 1);
    const taken = await a.store.takeOverDispatch(
      { incidentId: 'inc-1', stepId: 'diagnose', attempt: 1 },
      'replica-b',
      new Date(later.getTime() + LeaseMs).toISOString(),
      later.toISOString(),
    );
    expect(taken).toMatchObject({ status: 'polling', owner: 'replica-b' });

    release();
    await running;
    expect(a.commands).toEqual([]);
    expect(a.errors).toEqual([ErrorCodes.LeaseLost]);
    expect(sim.calls).toHaveLength(1);
    expect(await a.store.transcript('inc-1')).toEqual([]);
    expect(await queued(a.store)).toEqual([]);
    expect(await a.store.getDispatch('inc-1', 'diagnose', 1)).toMatchObject({
      status: 'polling',
      owner: 'replica-b',
      result: null,
    });
  });

  test('a dispatch whose owner still holds its lease is left alone by resume', async () => {
    const a = rig();
    const record = await saved(a.store, diagnoseApproved);
    await claimedBy(a.store, 'diagnose', 'replica-b', LeaseMs);
    await a.dispatcher.resume(record, rdpPlaybook(), 'diagnose', 1);
    expect(a.commands).toEqual([]);
    expect(a.sim.calls).toEqual([]);
  });

  test('a lapsed dispatch of a read-only step runs again; its running line may exist, so it is looked up', async () => {
    const r = rig();
    const record = await saved(r.store, diagnoseApproved);
    await claimedBy(r.store, 'diagnose', 'replica-gone', -1);
    await r.dispatcher.resume(record, rdpPlaybook(), 'diagnose', 1);
    expect(r.sim.calls).toHaveLength(1);
    const running = r.said.map((d) => d.message).filter((m) => m.kind === 'progress' && !m.done);
    expect(running).toEqual([expect.objectContaining({ key: 'inc-1:diagnose:1:progress' })]);
    expect(running[0]).not.toHaveProperty('unposted');
  });

  test('a lapsed dispatch of a changing step is never sent again: its outcome is reported unknown', async () => {
    const r = rig();
    const { events } = recordAwaiting('enable-tls');
    const record = await saved(r.store, [...events, approve('enable-tls')]);
    expect(record.state).toBe('enable-tls.running');
    await claimedBy(r.store, 'enable-tls', 'replica-gone', -1);
    await r.dispatcher.resume(record, rdpPlaybook(), 'enable-tls', 1);
    expect(r.sim.calls).toEqual([]);
    expect(r.commands).toEqual([
      {
        type: 'stepResult',
        incidentId: 'inc-1',
        stepId: 'enable-tls',
        attempt: 1,
        result: { outcome: 'unknown' },
      },
    ]);
  });
});

describe('fails closed', () => {
  test.each<[string, readonly IncidentEvent[], string]>([
    ['a VM step that was not approved', [vmReady], 'diagnose'],
    ['a question (nothing to run)', [{ type: 'VM_STATUS', status: 'agentNotReady' }], 'offline-attach-disk'],
    ['a step the playbook does not have', diagnoseApproved, 'format-c'],
  ])('%s: nothing is sent, the result is INVALID_COMMAND', async (_what, events, stepId) => {
    const r = rig();
    const record = await saved(r.store, events);
    await r.dispatcher.dispatch(record, rdpPlaybook(), stepId, 1);
    expect(r.sim.calls).toEqual([]);
    expect(r.commands).toEqual([
      {
        type: 'stepResult',
        incidentId: 'inc-1',
        stepId,
        attempt: 1,
        result: {
          outcome: 'failed',
          error: {
            code: ErrorCodes.InvalidCommand,
            message: `step ${stepId} is not an approved VM or Azure step`,
          },
        },
      },
    ]);
    expect(r.said).toEqual([]);
  });
});

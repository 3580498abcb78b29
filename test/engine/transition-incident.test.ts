import { createActor, initialTransition, log, setup, transition } from 'xstate';
import { initialIncident, transitionIncident } from '../../src/engine/transition-incident';
import type { IncidentMachine } from '../../src/playbook/compile-playbook';
import type { IncidentEvent } from '../../src/playbook/machine-types';
import { alice, bob } from '../helpers/engine-harness';
import { approve, evidence, rdpMachine, resultOk, T0, vmReady } from '../helpers/incident-records';

/**
 * The pure step of the engine, checked by what it returns (as xstate's
 * packages/core/test/transition.test.ts checks the actions `transition` returns): the
 * effects it asks for, the events the machine emits, the snapshot to save. Nothing runs.
 */
const input = { incidentId: 'inc-1', requester: alice, walkAll: false };

function drive(events: readonly IncidentEvent[], machine: IncidentMachine = rdpMachine()) {
  let run = initialIncident(machine, input);
  for (const event of events) run = transitionIncident(machine, run.snapshot, event);
  return run;
}

describe('what a transition returns', () => {
  test('a new incident is in preflight and asks for the VM check, which is returned, not run', () => {
    const run = initialIncident(rdpMachine(), input);
    expect(run).toMatchObject({ state: 'preflight', done: false, emitted: [] });
    expect(run.effects).toEqual([{ effect: 'checkVm', stepId: '' }]);
    expect(run.context).toMatchObject({
      incidentId: 'inc-1',
      requester: alice,
      walkAll: false,
      current: null,
      steps: {},
      vmStatus: null,
    });
  });

  test('VM_STATUS ready leads to diagnose.awaiting and returns the stepAwaiting emit, with no effect', () => {
    const run = drive([vmReady]);
    expect(run.state).toBe('diagnose.awaiting');
    expect(run.emitted).toEqual([
      { type: 'stepAwaiting', stepId: 'diagnose', attempt: 1, afterUnknown: false },
    ]);
    expect(run.effects).toEqual([]);
    expect(run.context.current).toEqual({ stepId: 'diagnose', attempt: 1 });
    expect(run.context.vmStatus).toEqual({ status: 'ready' });
  });

  test('VM_STATUS agentNotReady goes to the offline path; notFound ends the incident as failed', () => {
    expect(drive([{ type: 'VM_STATUS', status: 'agentNotReady', detail: 'agent down' }])).toMatchObject({
      state: 'offline-attach-disk.awaiting',
      emitted: [{ type: 'stepAwaiting', stepId: 'offline-attach-disk', attempt: 1 }],
      effects: [],
    });
    const failed = drive([{ type: 'VM_STATUS', status: 'notFound', detail: 'no such VM' }]);
    expect(failed).toMatchObject({ state: 'failed', done: true, effects: [] });
    expect(failed.emitted).toEqual([{ type: 'incidentEnded', outcome: 'failed', reason: 'no such VM' }]);
  });

  test('approving diagnose returns a runStep effect for that step and records the approval', () => {
    const run = drive([vmReady, approve('diagnose', 1, bob)]);
    expect(run.state).toBe('diagnose.running');
    expect(run.effects).toEqual([{ effect: 'runStep', stepId: 'diagnose' }]);
    expect(run.emitted).toEqual([]);
    expect(run.context.steps.diagnose).toMatchObject({
      attempt: 1,
      approvedBy: { by: bob, at: T0.toISOString() },
      params: {},
    });
  });

  test('an approval of another attempt changes nothing and asks for nothing', () => {
    const before = drive([vmReady]);
    const after = transitionIncident(rdpMachine(), before.snapshot, approve('diagnose', 2));
    expect(after).toMatchObject({ state: 'diagnose.awaiting', effects: [], emitted: [] });
    expect(after.snapshot).toEqual(before.snapshot);
  });

  test("the diagnosis result returns the finished step's causes and the next card, in that order", () => {
    const run = drive([vmReady, approve('diagnose'), resultOk('diagnose', evidence('all-three-domain'))]);
    // The first card after the causes: "Check RDP security", read-only, from Azure.
    expect(run.state).toBe('check-rdp-security.awaiting');
    expect(run.effects).toEqual([]);
    expect(run.emitted.map((e) => e.type)).toEqual(['stepFinished', 'stepAwaiting']);
    expect(run.emitted[0]).toMatchObject({ stepId: 'diagnose', attempt: 1, outcome: 'causes' });
    expect(run.context.causes.map((c) => c.id)).toEqual([
      'certificate-invalid',
      'machinekeys-acl',
      'tls-disabled',
    ]);
  });

  test('an Azure step returns its action by name (checkRdpSecurity, snapshotDisk), not runStep', () => {
    const diagnosed = [vmReady, approve('diagnose'), resultOk('diagnose', evidence('all-three-domain'))];
    expect(drive([...diagnosed, approve('check-rdp-security')]).effects).toEqual([
      { effect: 'checkRdpSecurity', stepId: 'check-rdp-security' },
    ]);
    const run = drive([
      ...diagnosed,
      approve('check-rdp-security'),
      resultOk('check-rdp-security', { port: 3389, groups: [], openToAnyone: false }),
      approve('snapshot-os-disk'),
    ]);
    expect(run.effects).toEqual([{ effect: 'snapshotDisk', stepId: 'snapshot-os-disk' }]);
  });

  test('ABORT ends the incident: done, the end emitted, no effect', () => {
    const run = drive([vmReady, { type: 'ABORT', decision: { by: alice, at: T0.toISOString() } }]);
    expect(run).toMatchObject({ state: 'aborted', done: true, effects: [] });
    expect(run.context).toMatchObject({ outcome: 'aborted', current: null, endReason: 'aborted by alice' });
    expect(run.emitted).toEqual([{ type: 'incidentEnded', outcome: 'aborted', reason: 'aborted by alice' }]);
  });
});

describe('the snapshot it returns', () => {
  const events: IncidentEvent[] = [vmReady, approve('diagnose')];

  test('is plain JSON: a JSON round trip gives the same value', () => {
    for (let n = 0; n <= events.length; n++) {
      const { snapshot } = drive(events.slice(0, n));
      expect(JSON.parse(JSON.stringify(snapshot))).toStrictEqual(snapshot);
    }
  });

  test('transitions after a JSON round trip (as the store keeps it) exactly as the returned object', () => {
    const machine = rdpMachine();
    const running = drive(events);
    const stored = JSON.parse(JSON.stringify(running.snapshot)) as unknown;
    const result = resultOk('diagnose', evidence('port-w3svc'));
    expect(transitionIncident(machine, stored, result)).toStrictEqual(
      transitionIncident(machine, running.snapshot, result),
    );
  });

  test('continues as the in-memory xstate snapshot would (no round trip at all)', () => {
    const machine = rdpMachine();
    // The reference: xstate's own pure functions on the live snapshot objects.
    let [live] = initialTransition(machine, input);
    for (const event of events) [live] = transition(machine, live, event);
    const result = resultOk('diagnose', evidence('port-w3svc'));
    const [fromMemory, actions] = transition(machine, live, result);

    const fromStore = transitionIncident(machine, drive(events).snapshot, result);
    expect(fromStore.state).toBe('check-rdp-security.awaiting');
    expect(fromStore.snapshot).toStrictEqual(
      JSON.parse(JSON.stringify(machine.getPersistedSnapshot(fromMemory))),
    );
    // The same actions, sorted: two emits (stepFinished, stepAwaiting), no side effect.
    expect(actions.map((a) => a.type)).toEqual(['xstate.emit', 'xstate.emit']);
    expect(fromStore.emitted).toEqual(actions.map((a) => (a.params as { event: unknown }).event));
    expect(fromStore.effects).toEqual([]);
  });
});

describe('nothing is executed', () => {
  test("the machine's provided side effects are never called: they come back as effects", () => {
    const calls: string[] = [];
    const record = (name: string) => () => void calls.push(name);
    const provided = rdpMachine().provide({
      actions: {
        checkVm: record('checkVm'),
        runStep: record('runStep'),
        snapshotDisk: record('snapshotDisk'),
        restartVm: record('restartVm'),
        updateNsgRule: record('updateNsgRule'),
      },
    });
    const started = initialIncident(provided, input);
    const ready = transitionIncident(provided, started.snapshot, vmReady);
    const approved = transitionIncident(provided, ready.snapshot, approve('diagnose'));
    expect(calls).toEqual([]);
    expect([started, ready, approved].flatMap((r) => r.effects)).toEqual([
      { effect: 'checkVm', stepId: '' },
      { effect: 'runStep', stepId: 'diagnose' },
    ]);
    // The control: an actor does run them, so the recorder would have seen a call.
    createActor(provided, { input }).start().stop();
    expect(calls).toEqual(['checkVm']);
  });
});

describe('a machine asking for an action the engine does not run', () => {
  // Machines the engine was not built for: their type is not IncidentMachine, which is the point.
  const asIncidentMachine = (machine: unknown) => machine as IncidentMachine;

  test('a log action: initialIncident throws, naming the action', () => {
    const machine = setup({}).createMachine({ initial: 'a', states: { a: { entry: log('hello') } } });
    expect(() => initialIncident(asIncidentMachine(machine), input)).toThrow(
      'the incident machine asked for an action the engine does not run: xstate.log',
    );
  });

  test('a named action outside SideEffects: transitionIncident throws, and its implementation is not run', () => {
    const calls: string[] = [];
    const machine = setup({
      actions: { sendEmail: () => void calls.push('sendEmail') },
    }).createMachine({
      initial: 'a',
      states: { a: { on: { GO: { target: 'b' } } }, b: { entry: 'sendEmail' } },
    });
    const started = initialIncident(asIncidentMachine(machine), input);
    expect(started).toMatchObject({ state: 'a', effects: [], emitted: [] });
    expect(() =>
      transitionIncident(asIncidentMachine(machine), started.snapshot, {
        type: 'GO',
      } as unknown as IncidentEvent),
    ).toThrow('the incident machine asked for an action the engine does not run: sendEmail');
    expect(calls).toEqual([]);
  });
});

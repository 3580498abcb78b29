import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ApprovedStep, RunHooks, ScriptToRun, VmOperations } from '../../src/azure/vm-operations';
import { verifyChain } from '../../src/core/transcript';
import { SqliteIncidentStore } from '../../src/store/sqlite-store';
import {
  AllThreeSteps,
  bob,
  card,
  currentStep,
  driveToEnd,
  makeHarness,
  startIncident,
} from '../helpers/engine-harness';
import { SimulatedVmOperations } from '../support/simulated-vm-operations';

const dir = mkdtempSync(join(tmpdir(), 'rdpfix-restart-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const dbFile = () => join(dir, `restart-${++n}.db`);

/** Approves whatever waits until `stepId` is the current step, then approves it too. */
async function approveThrough(h: ReturnType<typeof makeHarness>, id: string, stepId: string) {
  for (let i = 0; i < 20; i++) {
    const now = await currentStep(h, id);
    if (!now.stepId) throw new Error('no step waiting');
    const result = await h.engine.handle({
      type: 'approve',
      incidentId: id,
      stepId: now.stepId,
      attempt: now.attempt,
      user: bob,
      ...card(now.stepId),
    });
    expect(result.ok).toBe(true);
    if (now.stepId === stepId) return;
    await h.engine.idle();
  }
  throw new Error(`never reached ${stepId}`);
}

/**
 * A process dying in the middle of a step: the wrapper hangs forever for one script,
 * either before Azure accepted it (`beforeDispatch`) or after it ran there (`afterDispatch`).
 */
function dyingVm(
  sim: SimulatedVmOperations,
  script: string,
  when: 'beforeDispatch' | 'afterDispatch',
): VmOperations {
  return {
    resolveVm: (name, rg) => sim.resolveVm(name, rg),
    checkVm: (vm) => sim.checkVm(vm),
    resumeScript: (state) => sim.resumeScript(state),
    snapshotOsDisk: (step) => sim.snapshotOsDisk(step),
    restart: (step) => sim.restart(step),
    start: (step) => sim.start(step),
    updateNsgRule: (step) => sim.updateNsgRule(step),
    checkRdpSecurity: (step) => sim.checkRdpSecurity(step),
    runScript: async (step: ApprovedStep, s: ScriptToRun, hooks: RunHooks) => {
      if (s.name !== script) return sim.runScript(step, s, hooks);
      if (when === 'afterDispatch') await sim.runScript(step, s, hooks);
      return new Promise(() => {});
    },
  };
}

test('persist mid-incident, build a new engine on the same database, continue to the end', async () => {
  const file = dbFile();
  const sim = new SimulatedVmOperations();
  const first = makeHarness({ store: new SqliteIncidentStore(file), sim });
  const id = await startIncident(first, 'sim-all-three');
  await approveThrough(first, id, 'snapshot-os-disk');
  await first.engine.idle();
  first.engine.close();
  await first.store.close();

  const second = makeHarness({ store: new SqliteIncidentStore(file), sim });
  await second.engine.recover();
  expect((await currentStep(second, id)).stepId).toBe('renew-rdp-certificate');
  await driveToEnd(second, id);
  expect((await second.store.get(id))?.outcome).toBe('resolved');
  expect(sim.calls.map((c) => c.stepId)).toEqual(AllThreeSteps);
  expect(verifyChain(await second.store.transcript(id)).ok).toBe(true);
  await second.store.close();
});

test('a crash while a change was being sent: its outcome is unknown, so a person decides again', async () => {
  const file = dbFile();
  const sim = new SimulatedVmOperations();
  const first = makeHarness({
    store: new SqliteIncidentStore(file),
    sim,
    vm: dyingVm(sim, 'enable-tls.ps1', 'beforeDispatch'),
  });
  const id = await startIncident(first, 'sim-tls-disabled');
  await approveThrough(first, id, 'enable-tls');
  await new Promise((r) => setTimeout(r, 50));
  first.engine.close(); // the process "dies" with the command in flight

  const second = makeHarness({ store: new SqliteIncidentStore(file), sim });
  await second.engine.recover();
  await second.engine.idle();
  const now = await currentStep(second, id);
  expect(now).toMatchObject({ stepId: 'enable-tls', attempt: 2 });
  const card = second.messages('stepCard').at(-1);
  expect(card).toMatchObject({
    stepId: 'enable-tls',
    attempt: 2,
    notice: { en: expect.stringContaining('cannot tell whether it ran') },
  });
  expect((await second.store.transcript(id)).some((e) => e.kind === 'step.outcomeUnknown')).toBe(true);
  expect(sim.calls.filter((c) => c.stepId === 'enable-tls')).toHaveLength(0);

  await driveToEnd(second, id);
  expect(sim.calls.filter((c) => c.stepId === 'enable-tls')).toHaveLength(1);
  expect((await second.store.get(id))?.outcome).toBe('resolved');
  await second.store.close();
  await first.store.close();
});

test('a crash while polling: the restarted process resumes the poll and posts the result once', async () => {
  const file = dbFile();
  const sim = new SimulatedVmOperations();
  const first = makeHarness({
    store: new SqliteIncidentStore(file),
    sim,
    vm: dyingVm(sim, 'enable-tls.ps1', 'afterDispatch'),
  });
  const id = await startIncident(first, 'sim-tls-disabled');
  await approveThrough(first, id, 'enable-tls');
  await new Promise((r) => setTimeout(r, 50));
  first.engine.close();

  const second = makeHarness({ store: new SqliteIncidentStore(file), sim });
  await second.engine.recover();
  await second.engine.idle();
  expect((await currentStep(second, id)).stepId).toBe('restart-vm');
  const transcript = await second.store.transcript(id);
  expect(transcript.filter((e) => e.kind === 'step.output' && e.data.stepId === 'enable-tls')).toHaveLength(
    1,
  );
  expect(transcript.filter((e) => e.kind === 'step.finished' && e.data.stepId === 'enable-tls')).toHaveLength(
    1,
  );
  expect(sim.calls.filter((c) => c.stepId === 'enable-tls')).toHaveLength(1);
  // A second recovery (another restart) changes nothing.
  await second.engine.recover();
  await second.engine.idle();
  expect(sim.calls.filter((c) => c.stepId === 'enable-tls')).toHaveLength(1);
  await driveToEnd(second, id);
  expect((await second.store.get(id))?.outcome).toBe('resolved');
  await second.store.close();
  await first.store.close();
});

test('approval deadlines are re-armed from the store after a restart', async () => {
  const file = dbFile();
  const first = makeHarness({ store: new SqliteIncidentStore(file) });
  const id = await startIncident(first, 'sim-healthy');
  first.engine.close();
  await first.store.close();

  const armed: number[] = [];
  let expire: (() => void) | undefined;
  const second = makeHarness({
    store: new SqliteIncidentStore(file),
    schedule: (ms: number, run: () => void) => {
      armed.push(ms);
      expire = run;
      return () => {};
    },
  });
  await second.engine.recover();
  expect(armed).toHaveLength(1);
  expect(armed[0]).toBeGreaterThan(3_500_000);
  expire?.();
  await second.engine.idle();
  expect(await second.store.get(id)).toMatchObject({ outcome: 'expired' });
  await second.store.close();
});

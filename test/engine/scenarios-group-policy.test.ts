import { ErrorCodes, RdpFixError } from '../../src/core/errors';
import {
  alice,
  bob,
  card,
  currentStep,
  driveToEnd,
  makeHarness,
  startIncident,
  testConversation,
} from '../helpers/engine-harness';

/**
 * enable-tls pauses Group Policy (gpsvc Start=4) until after the restart. verify switches it back
 * on; every other way to the end offers restore-group-policy first, then ends as it was going to.
 */
const ran = (h: ReturnType<typeof makeHarness>) => h.vm.calls.map((c) => c.stepId);

/** Drives the incident (approving as bob) until `stepId` waits for a person. */
async function until(h: ReturnType<typeof makeHarness>, id: string, stepId: string) {
  for (let i = 0; i < 20; i++) {
    const at = await currentStep(h, id);
    if (at.stepId === stepId) return at;
    if (!at.stepId) throw new Error(`the incident ended before ${stepId}`);
    await h.engine.handle({
      type: 'approve',
      incidentId: id,
      stepId: at.stepId,
      ...card(at.stepId),
      attempt: at.attempt,
      user: bob,
    });
    await h.engine.idle();
  }
  throw new Error(`${stepId} never came`);
}

const cards = (h: ReturnType<typeof makeHarness>) =>
  h.messages('stepCard').map((m) => (m.kind === 'stepCard' ? m.stepId : ''));

test('TLS disabled: three Run Commands, Group Policy back on in the verification', async () => {
  const h = makeHarness();
  const id = await startIncident(h, 'sim-tls-disabled');
  await driveToEnd(h, id);
  expect(ran(h)).toEqual([
    'diagnose',
    'check-rdp-security',
    'snapshot-os-disk',
    'enable-tls',
    'restart-vm',
    'verify',
  ]);
  expect(h.vm.calls.filter((c) => c.op === 'runScript')).toHaveLength(3);
  expect(h.vm.vm('sim-tls-disabled').state).toMatchObject({ gpsvcStart: 2, gpsvcSavedStart: null });
  expect(cards(h)).not.toContain('restore-group-policy');
  expect((await h.store.get(id))?.outcome).toBe('resolved');
});

test('abort after enable-tls: the restore card comes first, then the incident ends aborted', async () => {
  const h = makeHarness();
  const id = await startIncident(h, 'sim-tls-disabled');
  await until(h, id, 'restart-vm');
  expect(h.vm.vm('sim-tls-disabled').state.gpsvcStart).toBe(4);
  await h.engine.handle({
    type: 'abort',
    incidentId: id,
    from: testConversation,
    user: alice,
    reason: 'change window closed',
  });
  await h.engine.idle();
  const at = await currentStep(h, id);
  expect(at.stepId).toBe('restore-group-policy');
  expect(at.record.status).not.toBe('closed');
  await h.engine.handle({
    type: 'approve',
    incidentId: id,
    stepId: at.stepId!,
    ...card(at.stepId!),
    attempt: at.attempt,
    user: bob,
  });
  await h.engine.idle();
  expect(ran(h)).toEqual([
    'diagnose',
    'check-rdp-security',
    'snapshot-os-disk',
    'enable-tls',
    'restore-group-policy',
  ]);
  expect(h.vm.vm('sim-tls-disabled').state).toMatchObject({ gpsvcStart: 2, gpsvcSavedStart: null });
  expect(await h.store.get(id)).toMatchObject({ status: 'closed', outcome: 'aborted' });
  expect(h.messages('summary')[0]).toMatchObject({ outcome: 'aborted', reason: 'change window closed' });
});

test('abort on the restore card itself ends the incident: the offer is made once', async () => {
  const h = makeHarness();
  const id = await startIncident(h, 'sim-tls-disabled');
  await until(h, id, 'restart-vm');
  await h.engine.handle({ type: 'abort', incidentId: id, from: testConversation, user: alice });
  await h.engine.idle();
  expect((await currentStep(h, id)).stepId).toBe('restore-group-policy');
  await h.engine.handle({ type: 'abort', incidentId: id, from: testConversation, user: alice });
  await h.engine.idle();
  expect(await h.store.get(id)).toMatchObject({ status: 'closed', outcome: 'aborted' });
  expect(h.vm.vm('sim-tls-disabled').state.gpsvcStart).toBe(4);
});

test('a failed restart: restore-group-policy, then unresolved', async () => {
  const h = makeHarness();
  h.vm.restart = async () => {
    throw new RdpFixError(ErrorCodes.AzureOperationFailed, 'the restart did not finish');
  };
  const id = await startIncident(h, 'sim-tls-disabled');
  await driveToEnd(h, id);
  expect(ran(h)).toEqual([
    'diagnose',
    'check-rdp-security',
    'snapshot-os-disk',
    'enable-tls',
    'restore-group-policy',
  ]);
  expect(h.vm.vm('sim-tls-disabled').state.gpsvcStart).toBe(2);
  expect((await h.store.get(id))?.outcome).toBe('unresolved');
});

test('verification skipped: the operator tests RDP, restore-group-policy comes before the end', async () => {
  const h = makeHarness();
  const id = await startIncident(h, 'sim-tls-disabled');
  const at = await until(h, id, 'verify');
  await h.engine.handle({
    type: 'skip',
    incidentId: id,
    stepId: 'verify',
    ...card('verify'),
    attempt: at.attempt,
    user: bob,
  });
  await h.engine.idle();
  await driveToEnd(h, id);
  expect(cards(h).slice(-2)).toEqual(['test-rdp', 'restore-group-policy']);
  expect(ran(h).at(-1)).toBe('restore-group-policy');
  expect(h.vm.vm('sim-tls-disabled').state.gpsvcStart).toBe(2);
  expect((await h.store.get(id))?.outcome).toBe('resolved');
});

test('the verification could not switch Group Policy back on: restore-group-policy is offered before the end', async () => {
  const h = makeHarness();
  const id = await startIncident(h, 'sim-tls-disabled');
  await until(h, id, 'verify');
  h.vm.vm('sim-tls-disabled').state.gpsvcConfigDenied = true;
  await driveToEnd(h, id, bob, { 'verify-failed': 'test' });
  expect(ran(h).slice(-2)).toEqual(['verify', 'restore-group-policy']);
  const failed = h
    .messages('progress')
    .find((m) => m.kind === 'progress' && m.done && m.stepId === 'restore-group-policy');
  expect(failed?.kind === 'progress' && failed.text.en).toContain(
    'sc.exe config gpsvc failed with exit code 5',
  );
  expect(h.vm.vm('sim-tls-disabled').state.gpsvcStart).toBe(4);
  expect((await h.store.get(id))?.outcome).toBe('resolved');
});

test('enable-tls without pausing Group Policy owes nothing to restore', async () => {
  const h = makeHarness();
  const id = await startIncident(h, 'sim-tls-disabled');
  const at = await until(h, id, 'enable-tls');
  await h.engine.handle({
    type: 'approve',
    incidentId: id,
    stepId: 'enable-tls',
    ...card('enable-tls'),
    attempt: at.attempt,
    user: bob,
    params: { PauseGroupPolicy: false },
  });
  await h.engine.idle();
  await h.engine.handle({ type: 'abort', incidentId: id, from: testConversation, user: alice });
  await h.engine.idle();
  // The card is still offered (approving enable-tls may have paused it); the script finds nothing saved.
  const offered = await currentStep(h, id);
  expect(offered.stepId).toBe('restore-group-policy');
  await h.engine.handle({
    type: 'approve',
    incidentId: id,
    stepId: 'restore-group-policy',
    ...card('restore-group-policy'),
    attempt: offered.attempt,
    user: bob,
  });
  await h.engine.idle();
  expect(h.vm.vm('sim-tls-disabled').state.gpsvcStart).toBe(2);
  expect((await h.store.get(id))?.outcome).toBe('aborted');
});

import {
  approveStep,
  bob,
  currentStep,
  driveToEnd,
  makeHarness,
  startIncident,
  testConversation,
} from '../helpers/engine-harness';
import { until } from '../helpers/until';
import { SimulatedVmOperations } from '../support/simulated-vm-operations';

/** Whole incidents on the scenarios of the fix-script defects (issue 16): a shared svchost, a missing firewall rule. */
const ran = (h: ReturnType<typeof makeHarness>) => h.vm.calls.map((c) => c.stepId);

test('port held by a process hosting several services: nothing is stopped, the port change is proposed', async () => {
  const h = makeHarness();
  const id = await startIncident(h, 'sim-port-shared-svchost');
  await driveToEnd(h, id);
  expect(ran(h)).toEqual([
    'diagnose',
    'check-rdp-security',
    'snapshot-os-disk',
    'change-rdp-port',
    'update-nsg-rule',
    'verify',
  ]);
  expect(h.messages('stepCard').some((m) => m.kind === 'stepCard' && m.stepId === 'free-rdp-port')).toBe(
    false,
  );
  expect(h.vm.vm('sim-port-shared-svchost').state.rdpPort).toBe(3390);
  expect((await h.store.get(id))?.outcome).toBe('resolved');
});

test('the firewall rule is missing: the port change fails whole, RDP stays on its port', async () => {
  const h = makeHarness();
  const id = await startIncident(h, 'sim-port-no-firewall-rule');
  await driveToEnd(h, id);
  expect(ran(h)).toEqual(['diagnose', 'check-rdp-security', 'snapshot-os-disk', 'change-rdp-port']);
  const failed = h
    .messages('progress')
    .find((m) => m.kind === 'progress' && m.done && m.stepId === 'change-rdp-port');
  expect(failed?.kind === 'progress' && failed.text.en).toContain(
    "No MSFT_NetFirewallRule objects found with property 'Name' equal to 'RemoteDesktop-UserMode-In-TCP'",
  );
  expect(h.vm.vm('sim-port-no-firewall-rule').state).toMatchObject({ rdpPort: 3389, firewallPort: 3389 });
  expect((await h.store.get(id))?.outcome).toBe('unresolved');
});

test('the fixes did not help (a domain GPO): "Undo the changes" puts the VM back as it was, Group Policy on, unresolved', async () => {
  const h = makeHarness();
  const before = structuredClone(h.vm.vm('sim-tls-gpo').state);
  const id = await startIncident(h, 'sim-tls-gpo');
  await driveToEnd(h, id, bob, { 'gpo-enforced': 'undo' });
  expect(ran(h).slice(-3)).toEqual(['restart-vm', 'verify', 'undo-changes']);
  expect(await h.store.get(id)).toMatchObject({ status: 'closed', outcome: 'unresolved' });
  const after = h.vm.vm('sim-tls-gpo').state;
  expect({
    tls: after.tls,
    schannel: after.schannelServerOther,
    gpsvc: after.gpsvcStart,
    saved: after.gpsvcSavedStart,
  }).toEqual({
    tls: before.tls,
    schannel: before.schannelServerOther,
    gpsvc: before.gpsvcStart,
    saved: before.gpsvcSavedStart,
  });
  expect(after.undoJournal).toEqual([]);
  const undone = h
    .messages('progress')
    .find((m) => m.kind === 'progress' && m.done && m.stepId === 'undo-changes');
  expect(undone?.kind === 'progress' && undone.text.en).toContain('Undone: enable-tls. Not restored: none.');
});

test('"undo" while a script runs on the VM is refused with its name; once the result is in, it is accepted', async () => {
  let release: () => void = () => {};
  let holding = false;
  const sim = new SimulatedVmOperations({
    // enable-tls's Run Command stays "running" until released.
    delay: async (op) => {
      if (op === 'runScript' && holding) await new Promise<void>((r) => (release = r));
    },
  });
  const h = makeHarness({ sim });
  const id = await startIncident(h, 'sim-tls-disabled');
  const approve = (stepId: string) => approveStep(h, id, stepId);
  for (const stepId of ['diagnose', 'check-rdp-security', 'snapshot-os-disk']) {
    await approve(stepId);
    await h.engine.idle();
  }
  holding = true;
  await approve('enable-tls');
  const undo = () => h.engine.handle({ type: 'undo', incidentId: id, user: bob, from: testConversation });
  await until('enable-tls running', () =>
    h.vm.calls.some((c) => c.stepId === 'enable-tls') ? true : undefined,
  );
  expect(await undo()).toMatchObject({
    ok: false,
    message: { en: '"enable-tls" is running on the VM; ask for the undo again once its result is in.' },
  });
  release();
  await h.engine.idle();
  expect(await undo()).toMatchObject({ ok: true });
  await h.engine.idle();
  expect((await currentStep(h, id)).stepId).toBe('undo-changes');
});

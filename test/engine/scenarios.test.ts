import { verifyChain } from '../../src/core/transcript';
import {
  AllThreeSteps,
  approveStep,
  bob,
  card,
  currentStep,
  driveToEnd,
  makeHarness,
  startIncident,
} from '../helpers/engine-harness';

/** Which playbook steps reached the VM or Azure, in order, from the simulator's own record. */
const ran = (h: ReturnType<typeof makeHarness>) => h.vm.calls.map((c) => c.stepId);

describe('incidents from start to end against simulated VMs', () => {
  test('all three causes: one diagnosis, the fixes in article order, one restart, verified', async () => {
    const h = makeHarness();
    const id = await startIncident(h, 'sim-all-three');
    await driveToEnd(h, id);
    const record = await h.store.get(id);
    expect(record).toMatchObject({
      status: 'closed',
      outcome: 'resolved',
      causes: ['certificate-invalid', 'machinekeys-acl', 'tls-disabled'],
    });
    expect(ran(h)).toEqual(AllThreeSteps);
    expect(h.vm.calls.filter((c) => c.op === 'restart')).toHaveLength(1);
    expect(h.vm.calls.every((c) => c.approvedBy === bob.id)).toBe(true);
    expect(h.vm.calls.find((c) => c.stepId === 'enable-tls')?.params).toEqual({
      Versions: '1.2',
      PauseGroupPolicy: 'true',
    });
    const vm = h.vm.vm('sim-all-three').state;
    expect(vm.tls['TLS 1.2']).toBe(1);
    expect(vm.tls['TLS 1.0']).toBe(0);
    expect(vm.certificate?.keyAccess).toBe('readable');
    // verify switched Group Policy back on in the same Run Command as the re-diagnosis.
    expect(vm.gpsvcStart).toBe(2);
    expect(vm.gpsvcSavedStart).toBeNull();

    const transcript = await h.store.transcript(id);
    expect(verifyChain(transcript).ok).toBe(true);
    const approvals = transcript.filter((e) => e.kind === 'step.approved').map((e) => e.data.stepId);
    expect(approvals).toEqual(ran(h));
    const outputs = transcript.filter((e) => e.kind === 'step.output');
    expect(outputs.find((e) => e.data.stepId === 'reset-machinekeys-acl')?.data.stdout).toMatch(
      /beforeSddl.*afterSddl/,
    );
    expect(outputs.every((e) => typeof e.data.scriptSha256 === 'string' || e.data.action)).toBe(true);
    const verify = JSON.parse(
      String(outputs.find((e) => e.data.stepId === 'verify')?.data.stdout).replace('RDPFIX-RESULT: ', ''),
    );
    expect(verify.data).toMatchObject({
      groupPolicy: { wasPaused: true, savedStart: 2, restored: true, gpupdateExitCode: 0, error: null },
      probe: { tcp: true, x224: true, tls: 'TLS 1.2', error: null },
      tls: { 'TLS 1.2': 1 },
    });
    const verified = h
      .messages('progress')
      .find((m) => m.kind === 'progress' && m.done && m.stepId === 'verify');
    expect(verified?.kind === 'progress' && verified.text.en).toContain(
      'Group Policy paused true, restored true (gpupdate exit code 0)',
    );
    const summary = h.messages('summary')[0];
    expect(summary).toMatchObject({ kind: 'summary', outcome: 'resolved' });
  });

  test('port held by a stoppable service: the card proposes stopping it, no restart needed', async () => {
    const h = makeHarness();
    const id = await startIncident(h, 'sim-port-stoppable');
    await driveToEnd(h, id);
    expect(ran(h)).toEqual(['diagnose', 'check-rdp-security', 'snapshot-os-disk', 'free-rdp-port', 'verify']);
    expect(h.vm.calls.find((c) => c.stepId === 'free-rdp-port')?.params).toEqual({ ServiceName: 'W3SVC' });
    const card = h.messages('stepCard').find((m) => m.kind === 'stepCard' && m.stepId === 'free-rdp-port');
    expect(card).toMatchObject({
      reasons: [
        { en: 'TermService does not own port 3389: svchost (PID 2210, services W3SVC, on 0.0.0.0) does' },
      ],
    });
    expect((await h.store.get(id))?.outcome).toBe('resolved');
    const result = h
      .messages('progress')
      .find((m) => m.kind === 'progress' && m.done && m.stepId === 'free-rdp-port');
    expect(result?.kind === 'progress' && result.text.en).toBe(
      '"Free the RDP port and start TermService" succeeded. TermService now listens on 3389 (stopped: W3SVC; TermService restarted: true).',
    );
    expect(result?.kind === 'progress' && result.text.it).toContain(
      'TermService ora è in ascolto sulla porta 3389',
    );
  });

  test('port held by a service that cannot be stopped: straight to the port change, the NSG follows', async () => {
    const h = makeHarness();
    const id = await startIncident(h, 'sim-port-unstoppable');
    await driveToEnd(h, id);
    expect(ran(h)).toEqual([
      'diagnose',
      'check-rdp-security',
      'snapshot-os-disk',
      'change-rdp-port',
      'update-nsg-rule',
      'verify',
    ]);
    const diagnosed = h
      .messages('progress')
      .find((m) => m.kind === 'progress' && m.done && m.stepId === 'diagnose');
    expect(diagnosed?.kind === 'progress' && diagnosed.text.en).toContain(
      'listener legacyagent (LegacyAgent, can be stopped: false)',
    );
    expect(h.messages('stepCard').some((m) => m.kind === 'stepCard' && m.stepId === 'free-rdp-port')).toBe(
      false,
    );
    expect(h.vm.calls.find((c) => c.stepId === 'change-rdp-port')?.params).toEqual({ Port: '3390' });
    expect(h.vm.calls.find((c) => c.stepId === 'update-nsg-rule')?.params).toEqual({ Port: '3390' });
    expect(h.vm.vm('sim-port-unstoppable').state.rdpPort).toBe(3390);
    const change = h
      .messages('stepCard')
      .find((m) => m.kind === 'stepCard' && m.stepId === 'change-rdp-port');
    expect(change).toMatchObject({ confirm: true, risk: 'changesConfig' });
  });

  test('TLS disabled by a domain GPO: detected after Group Policy is back, the operator is told to change the policy', async () => {
    const h = makeHarness();
    const id = await startIncident(h, 'sim-tls-gpo');
    await driveToEnd(h, id, bob, { 'gpo-enforced': 'stop' });
    expect(ran(h)).toEqual([
      'diagnose',
      'check-rdp-security',
      'snapshot-os-disk',
      'enable-tls',
      'restart-vm',
      'verify',
    ]);
    expect(h.vm.vm('sim-tls-gpo').state).toMatchObject({ gpsvcStart: 2, tls: { 'TLS 1.2': 0 } });
    const record = await h.store.get(id);
    expect(record?.outcome).toBe('unresolved');
    expect(
      h
        .messages('stepCard')
        .map((m) => (m.kind === 'stepCard' ? m.stepId : ''))
        .at(-1),
    ).toBe('gpo-enforced');
    const tlsCard = h.messages('stepCard').find((m) => m.kind === 'stepCard' && m.stepId === 'enable-tls');
    expect(tlsCard).toMatchObject({
      warning: { en: expect.stringContaining('weakens') },
      params: [
        { name: 'Versions', value: '1.2', values: ['1.2', 'all'] },
        { name: 'PauseGroupPolicy', value: true },
      ],
    });
  });

  test('a healthy VM: no snapshot, no change, the operator is asked', async () => {
    const h = makeHarness();
    const id = await startIncident(h, 'sim-healthy');
    await driveToEnd(h, id);
    expect(ran(h)).toEqual(['diagnose']);
    expect(h.messages('causes')[0]).toMatchObject({
      causes: [],
      text: { en: "None of the article's causes was found." },
    });
    expect((await h.store.get(id))?.outcome).toBe('resolved');
  });

  test('"walk every step" after a clean diagnosis proposes every fix', async () => {
    const h = makeHarness();
    const id = await startIncident(h, 'sim-healthy');
    await driveToEnd(h, id, bob, { 'no-cause-found': 'walk-article' });
    expect(ran(h)).toEqual(
      expect.arrayContaining([
        'free-rdp-port',
        'renew-rdp-certificate',
        'reset-machinekeys-acl',
        'enable-tls',
        'restart-vm',
      ]),
    );
  });

  test('agent not Ready: straight to the offline path, nothing runs on the VM', async () => {
    const h = makeHarness();
    const id = await startIncident(h, 'sim-agent-down');
    expect((await currentStep(h, id)).stepId).toBe('offline-attach-disk');
    await driveToEnd(h, id);
    expect(ran(h)).toEqual([]);
    const cards = h.messages('stepCard').map((m) => (m.kind === 'stepCard' ? m.stepId : ''));
    expect(cards).toEqual([
      'offline-attach-disk',
      'offline-enable-serial-dump',
      'offline-machinekeys',
      'offline-enable-tls',
      'offline-enable-nla',
      'offline-swap-disk',
      'test-rdp',
    ]);
    const tls = h
      .messages('stepCard')
      .find((m) => m.kind === 'stepCard' && m.stepId === 'offline-enable-tls');
    expect(tls).toMatchObject({
      script: 'offline-enable-tls.ps1',
      actions: ['abort', 'showScript'],
      params: [
        { name: 'DriveLetter', value: 'F' },
        { name: 'Versions', value: '1.2' },
      ],
    });
  });

  test('a deallocated VM: the card to start it; approved, it starts and the diagnostic follows', async () => {
    const h = makeHarness();
    const id = await startIncident(h, 'sim-deallocated');
    expect(await h.store.get(id)).toMatchObject({ status: 'open', pending: { stepId: 'start-vm' } });
    expect(h.messages('notice')[0]).toMatchObject({
      text: { en: expect.stringContaining('the VM is deallocated. It has to run first.') },
    });
    await driveToEnd(h, id);
    expect(h.vm.calls.map((c) => [c.op, c.stepId])).toEqual([
      ['start', 'start-vm'],
      ['runScript', 'diagnose'],
    ]);
    expect((await h.store.get(id))?.outcome).toBe('resolved');
  });

  test('a deallocated VM whose start is skipped: ends unresolved, nothing run', async () => {
    const h = makeHarness();
    const id = await startIncident(h, 'sim-deallocated');
    await h.engine.handle({
      type: 'skip',
      incidentId: id,
      stepId: 'start-vm',
      attempt: 1,
      user: bob,
      ...card('start-vm'),
    });
    await h.engine.idle();
    expect(await h.store.get(id)).toMatchObject({ status: 'closed', outcome: 'unresolved' });
    expect(h.vm.calls).toEqual([]);
  });

  test('an unknown VM: not found, nothing run', async () => {
    const h = makeHarness();
    const id = await startIncident(h, 'vm-that-does-not-exist');
    expect(await h.store.get(id)).toMatchObject({ status: 'closed', outcome: 'failed' });
    expect(h.messages('notice')[0]?.kind === 'notice' && h.messages('notice')[0]).toMatchObject({
      text: { en: expect.stringContaining('not found') },
    });
    expect(h.vm.calls).toEqual([]);
  });

  test('a step failing on the VM is reported with its reason and the flow goes on as the article says', async () => {
    const h = makeHarness();
    // The service accepts a stop, so the card proposes it; Stop-Service fails all the same.
    const id = await startIncident(h, 'sim-port-stop-fails');
    await driveToEnd(h, id);
    expect(ran(h)).toEqual([
      'diagnose',
      'check-rdp-security',
      'snapshot-os-disk',
      'free-rdp-port',
      'change-rdp-port',
      'update-nsg-rule',
      'verify',
    ]);
    const failed = h
      .messages('progress')
      .find((m) => m.kind === 'progress' && m.done && m.text.en.includes('failed'));
    expect(failed?.kind === 'progress' && failed.text.en).toContain(
      '"Free the RDP port and start TermService" failed: Service \'VendorSync (VendorSync)\' cannot be stopped',
    );
    expect(failed?.kind === 'progress' && failed.text.it).toContain('non è riuscito');
  });

  test('every message has an Italian text', async () => {
    const h = makeHarness();
    await startIncident(h, 'sim-all-three');
    for (const m of h.messages()) {
      if ('text' in m) expect(m.text.it.length).toBeGreaterThan(0);
      if (m.kind === 'stepCard') expect(m.title.it).not.toBe(m.title.en);
    }
  });
});

test('secrets in a script output are redacted before the transcript keeps it', async () => {
  const h = makeHarness();
  const id = await startIncident(h, 'sim-healthy');
  const vm = h.vm.vm('sim-healthy');
  const run = vm.run.bind(vm);
  vm.run = (text, params) => {
    const out = run(text, params);
    return {
      ...out,
      stdout: `connecting with password=Hunter2 and Bearer abcdefghijklmnopqrstuvwxyz012345\n${out.stdout}`,
    };
  };
  await approveStep(h, id, 'diagnose');
  await h.engine.idle();
  const stored = JSON.stringify(await h.store.transcript(id));
  expect(stored).not.toContain('Hunter2');
  expect(stored).not.toContain('abcdefghijklmnopqrstuvwxyz012345');
  expect(stored).toContain('password=[redacted]');
});

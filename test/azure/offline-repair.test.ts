import { ChatTexts } from '../../src/conversation/chat-texts';
import { createConversation } from '../../src/conversation/conversation';
import { ErrorCodes } from '../../src/core/errors';
import { parseCommand } from '../../src/core/parse-command';
import { MemoryIncidentStore } from '../../src/store/memory-store';
import { SimSubscription, useArmSimulator } from '../helpers/arm-sim';
import { asAlice, asBob, opsChannel, otherChannel } from '../helpers/conversation-harness';
import {
  alice,
  approveStep,
  bob,
  currentStep,
  driveToEnd,
  type Harness,
  makeHarness,
  testConversation,
  twoPersonPolicy,
} from '../helpers/engine-harness';

/**
 * The offline repair from chat to a working VM: the engine, the real Azure SDK and the loopback
 * ARM simulator, every step approved by a person. The rescue VM's Run Commands see the copy
 * of the OS disk; the swap puts it under the VM; the online verification reads the VM itself.
 */
const where = { subscriptionId: SimSubscription, resourceGroup: 'rg-sim' };
const arm = useArmSimulator();
const azure = () => arm.azure();

function harness(store = new MemoryIncidentStore()) {
  const vm = azure();
  return makeHarness({
    store,
    vm,
    rescue: { operations: vm.rescueOperations(undefined), resourceGroup: undefined },
  });
}

async function open(h: Harness, vmName: string, offline: boolean) {
  const result = await h.engine.handle({
    type: 'start',
    vm: { ...where, name: vmName },
    requester: alice,
    channel: { ...testConversation },
    locale: 'en',
    offline,
  });
  if (!result.ok) throw new Error(result.message.en);
  await h.engine.idle();
  return result.incidentId;
}

/** The steps that were approved or answered, in order, from the transcript. */
async function walked(h: Harness, id: string) {
  const transcript = await h.store.transcript(id);
  return transcript
    .filter((e) => e.kind === 'step.finished')
    .map((e) => `${String(e.data.stepId)}:${String(e.data.outcome)}`);
}

/** Everything carrying the incident's tag in Azure now. */
async function resourcesOf(id: string, vm: string) {
  const rescue = azure().rescueOperations(undefined);
  const found = await rescue.listIncidentResources(id, { ...where, name: vm });
  return found.map((r) => `${r.type} ${r.name} (${r.state})`).sort();
}

const RepairSteps = [
  'rescue-snapshot:ok',
  'rescue-copy-disk:ok',
  'rescue-create-vm:ok',
  'rescue-attach-disk:ok',
  'rescue-find-disk:ok',
  'rescue-serial-dump:ok',
];

test('/rdp-fix sim-agent-down-cert --offline: repaired on a rescue VM, verified online, rescue resources gone', async () => {
  const h = harness();
  const id = await open(h, 'sim-agent-down-cert', true);
  await driveToEnd(h, id, bob, { 'rescue-decide': 'keep-repair' });
  const { record } = await currentStep(h, id);
  expect(record.outcome).toBe('resolved');
  expect(await walked(h, id)).toEqual([
    ...RepairSteps,
    'rescue-machinekeys:ok',
    'rescue-enable-tls:ok',
    'rescue-enable-nla:ok',
    'rescue-detach-disk:ok',
    'rescue-swap-disk:ok',
    'rescue-verify:clear',
    'rescue-cleanup:ok',
    'rescue-decide:keep-repair',
  ]);
  // The VM runs on the repaired copy, its agent Ready, the key readable again.
  const vm = arm.sim.windowsVm('rg-sim', 'sim-agent-down-cert')!;
  expect(vm.state).toMatchObject({ power: 'running', agentReady: true });
  expect(vm.state.certificate?.keyAccess).toBe('readable');
  // The offline scripts ran on the rescue VM with the drive letters rescue-find-disk reported.
  const onRescue = arm.sim.scriptDispatches(`rdpfix-rescue-${id}`);
  expect(
    onRescue.map((d) => [d.text.split('\n')[0], d.params.find((p) => p.name === 'DriveLetter')?.value]),
  ).toEqual([
    ['# rdp-fix-step: rescue-find-disk', undefined],
    ['# rdp-fix-step: offline-enable-serial-dump', 'F'],
    ['# rdp-fix-step: offline-machinekeys', 'F'],
    ['# rdp-fix-step: offline-enable-tls', 'F'],
    ['# rdp-fix-step: offline-enable-nla', 'F'],
  ]);
  // What is left: the backup snapshot and the repaired disk the VM runs on; the original disk is kept.
  expect(await resourcesOf(id, 'sim-agent-down-cert')).toEqual([
    `disk sim-agent-down-cert-rdpfix-repair-${id} (attached to sim-agent-down-cert)`,
    `snapshot sim-agent-down-cert-rdpfix-rescue-${id} (backup of the OS disk)`,
  ]);
  const disks = arm.sim.requests.filter((r) => r.method === 'DELETE' && r.path.includes('/disks/'));
  expect(disks.map((r) => r.path.split('/').at(-1))).toEqual([`rdpfix-rescue-${id}-osdisk`]);
});

test.each([
  ['sim-agent-down-tls', ['rescue-machinekeys:skipped', 'rescue-enable-tls:ok']],
  ['sim-agent-down-nla', ['rescue-machinekeys:skipped', 'rescue-enable-tls:skipped']],
  ['sim-agent-down-gen2', ['rescue-machinekeys:skipped', 'rescue-enable-tls:ok']],
])('%s: an agent that is down leads to the offline repair, which brings the VM back', async (name, fixes) => {
  const h = harness();
  const id = await open(h, name, false);
  // Without evidence (the agent never ran the diagnostic) every offline fix is offered: a person skips those not needed.
  const skips = fixes.filter((f) => f.endsWith(':skipped')).map((f) => f.split(':')[0]!);
  for (let i = 0; i < 40; i++) {
    const { record, stepId, attempt } = await currentStep(h, id);
    if (record.status === 'closed' || !stepId) break;
    await (skips.includes(stepId)
      ? h.engine.handle({ type: 'skip', incidentId: id, stepId, attempt, user: bob, from: testConversation })
      : stepId === 'rescue-decide'
        ? h.engine.handle({
            type: 'answer',
            incidentId: id,
            stepId,
            attempt,
            answer: 'keep-repair',
            user: bob,
            from: testConversation,
          })
        : approveStep(h, id, stepId, { attempt }));
    await h.engine.idle();
  }
  expect((await currentStep(h, id)).record.outcome).toBe('resolved');
  expect(await walked(h, id)).toEqual([
    ...RepairSteps,
    ...fixes,
    'rescue-enable-nla:ok',
    'rescue-detach-disk:ok',
    'rescue-swap-disk:ok',
    'rescue-verify:clear',
    'rescue-cleanup:ok',
    'rescue-decide:keep-repair',
  ]);
  expect(arm.sim.windowsVm('rg-sim', name)!.state).toMatchObject({ power: 'running', agentReady: true });
});

test('an encrypted disk stops the path with the unlock steps; the clean-up leaves only the snapshot', async () => {
  const h = harness();
  const id = await open(h, 'sim-agent-down-encrypted', true);
  await driveToEnd(h, id, bob);
  expect((await currentStep(h, id)).record.outcome).toBe('unresolved');
  expect(await walked(h, id)).toEqual([
    'rescue-snapshot:ok',
    'rescue-copy-disk:ok',
    'rescue-create-vm:ok',
    'rescue-attach-disk:ok',
    'rescue-find-disk:failed',
    'rescue-encrypted:stop',
    'rescue-cleanup:ok',
  ]);
  const said = JSON.stringify(h.deliveries);
  expect(said).toContain('encrypted with BitLocker');
  expect(await resourcesOf(id, 'sim-agent-down-encrypted')).toEqual([
    `snapshot sim-agent-down-encrypted-rdpfix-rescue-${id} (backup of the OS disk)`,
  ]);
  // The VM still has its own disk.
  const vm = arm.sim.requests.filter(
    (r) => r.method === 'PATCH' && r.path.endsWith('/sim-agent-down-encrypted'),
  );
  expect(vm).toEqual([]);
});

test('a swap Azure refuses: the original disk goes back, the VM runs, nothing is left but the snapshot', async () => {
  const h = harness();
  const id = await open(h, 'sim-agent-down-swap-fails', true);
  await driveToEnd(h, id, bob);
  expect((await currentStep(h, id)).record.outcome).toBe('unresolved');
  const steps = await walked(h, id);
  expect(steps.slice(-2)).toEqual(['rescue-swap-disk:failed', 'rescue-cleanup:ok']);
  expect(JSON.stringify(h.deliveries)).toContain('is back in place');
  expect(await resourcesOf(id, 'sim-agent-down-swap-fails')).toEqual([
    `snapshot sim-agent-down-swap-fails-rdpfix-rescue-${id} (backup of the OS disk)`,
  ]);
  const vm = await azure()
    .rescueOperations(undefined)
    .listIncidentResources(id, { ...where, name: 'x' });
  expect(vm.some((r) => r.type === 'virtualMachine')).toBe(false);
  expect(arm.sim.windowsVm('rg-sim', 'sim-agent-down-swap-fails')!.state.power).toBe('running');
});

test('swap-back after the repair puts the original disk back and deletes the copy', async () => {
  const h = harness();
  const id = await open(h, 'sim-agent-down-tls', true);
  await driveToEnd(h, id, bob, { 'rescue-decide': 'swap-back' });
  expect((await currentStep(h, id)).record.outcome).toBe('unresolved');
  expect((await walked(h, id)).slice(-2)).toEqual(['rescue-decide:swap-back', 'rescue-swap-back:ok']);
  expect(await resourcesOf(id, 'sim-agent-down-tls')).toEqual([
    `snapshot sim-agent-down-tls-rdpfix-rescue-${id} (backup of the OS disk)`,
  ]);
  expect(arm.sim.windowsVm('rg-sim', 'sim-agent-down-tls')!.state.tls['TLS 1.2']).toBe(0);
});

test('aborted after the rescue VM exists: the clean-up is offered before the end', async () => {
  const h = harness();
  const id = await open(h, 'sim-agent-down-tls', true);
  for (const step of ['rescue-snapshot', 'rescue-copy-disk', 'rescue-create-vm']) {
    await approveStep(h, id, step);
    await h.engine.idle();
  }
  await h.engine.handle({ type: 'abort', incidentId: id, user: bob, from: testConversation });
  await h.engine.idle();
  expect((await currentStep(h, id)).stepId).toBe('rescue-cleanup');
  await driveToEnd(h, id, bob);
  expect((await currentStep(h, id)).record.outcome).toBe('aborted');
  expect(await resourcesOf(id, 'sim-agent-down-tls')).toEqual([
    `snapshot sim-agent-down-tls-rdpfix-rescue-${id} (backup of the OS disk)`,
  ]);
});

async function until(check: () => boolean | Promise<boolean>, what: string, ms = 10_000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

test('a crash between "rescue VM created" and "disk attached": the restarted process carries the approved step on and never makes a second rescue VM', async () => {
  const store = new MemoryIncidentStore();
  const first = harness(store);
  const id = await open(first, 'sim-agent-down-cert', true);
  for (const step of ['rescue-snapshot', 'rescue-copy-disk']) {
    await approveStep(first, id, step);
    await first.engine.idle();
  }
  // Creating a VM takes a while (120 s × 0.01): the process stops once Azure has the VM's PUT.
  arm.sim.setLatencyScale(0.01);
  await approveStep(first, id, 'rescue-create-vm');
  const vmPut = (r: { method: string; path: string }) =>
    r.method === 'PUT' && r.path.endsWith(`/virtualMachines/rdpfix-rescue-${id}`);
  await until(() => arm.sim.requests.some(vmPut), "the rescue VM's PUT");
  first.engine.close();
  await first.engine.idle();
  expect((await currentStep(first, id)).record.state).toBe('rescue-create-vm.running');
  expect(arm.sim.requests.some((r) => r.method === 'PATCH' && r.path.includes('/disks/'))).toBe(false);

  // The next process resumes the approved step from what Azure holds: it waits for the VM the
  // first one began, tags its OS disk, and the incident goes on to the attach, attempt 1 still.
  const second = harness(store);
  await second.engine.recover();
  await second.engine.idle();
  const next = await currentStep(second, id);
  expect([next.stepId, next.attempt]).toEqual(['rescue-attach-disk', 1]);
  const transcript = await second.store.transcript(id);
  const created = transcript.filter((e) => e.kind === 'step.output' && e.data.stepId === 'rescue-create-vm');
  expect(created.map((e) => e.data.outcome)).toEqual(['ok']);
  arm.sim.setLatencyScale(0);
  await driveToEnd(second, id, bob, { 'rescue-decide': 'keep-repair' });
  expect((await currentStep(second, id)).record.outcome).toBe('resolved');
  expect(arm.sim.requests.filter(vmPut)).toHaveLength(1);
  expect(await resourcesOf(id, 'sim-agent-down-cert')).toEqual([
    `disk sim-agent-down-cert-rdpfix-repair-${id} (attached to sim-agent-down-cert)`,
    `snapshot sim-agent-down-cert-rdpfix-rescue-${id} (backup of the OS disk)`,
  ]);
});

test('chat: "/rdp-fix <vm> --offline" opens the offline repair; "keep-repair <id>" answers its last question', async () => {
  const h = harness();
  const conversation = createConversation({
    engine: h.engine,
    vms: h.vm,
    incidents: h.store,
    threads: h.store,
    policy: twoPersonPolicy,
  });
  const opened = await conversation.handleChat(
    parseCommand('sim-agent-down-nla --offline'),
    asAlice,
    opsChannel,
  );
  if (opened.kind !== 'opened') throw new Error(JSON.stringify(opened));
  const id = opened.incidentId;
  await h.engine.idle();
  // Too early: nothing waits for that decision yet.
  expect(await conversation.handleChat(parseCommand(`keep-repair ${id}`), asBob, opsChannel)).toEqual({
    kind: 'text',
    text: ChatTexts.noRepairDecision(id, 'keep-repair'),
  });
  for (let i = 0; i < 20; i++) {
    const { stepId, attempt } = await currentStep(h, id);
    if (stepId === 'rescue-decide' || !stepId) break;
    await approveStep(h, id, stepId, { attempt, from: opsChannel });
    await h.engine.idle();
  }
  expect((await currentStep(h, id)).stepId).toBe('rescue-decide');
  // From another conversation the decision is refused, as a click there would be.
  expect(await conversation.handleChat(parseCommand(`keep-repair ${id}`), asBob, otherChannel)).toMatchObject(
    {
      kind: 'refusal',
      code: ErrorCodes.WrongConversation,
    },
  );
  expect((await currentStep(h, id)).stepId).toBe('rescue-decide');
  const kept = await conversation.handleChat(parseCommand(`keep-repair ${id}`), asBob, opsChannel);
  expect(kept.kind).not.toBe('refusal');
  await h.engine.idle();
  expect((await currentStep(h, id)).record.outcome).toBe('resolved');
});

test('the VM does not come back Ready after the restart: the offline repair is offered and brings it back', async () => {
  const vm = arm.azure({ agentReadyTimeoutMs: 50 });
  const h = makeHarness({
    vm,
    rescue: { operations: vm.rescueOperations(undefined), resourceGroup: undefined },
  });
  const id = await open(h, 'sim-tls-agent-lost', false);
  await driveToEnd(h, id, bob, { 'restart-failed': 'offline', 'rescue-decide': 'keep-repair' });
  const steps = await walked(h, id);
  expect(steps.slice(0, steps.indexOf('restart-failed:offline') + 2)).toEqual([
    'diagnose:causes',
    'check-rdp-security:ok',
    'snapshot-os-disk:ok',
    'enable-tls:ok',
    'restart-vm:failed',
    'restart-failed:offline',
    'rescue-snapshot:ok',
  ]);
  // The copy already had TLS on (enable-tls ran before the restart); the verification reads it online.
  expect(steps).toContain('rescue-verify:clear');
  expect((await currentStep(h, id)).record.outcome).toBe('resolved');
  expect(arm.sim.windowsVm('rg-sim', 'sim-tls-agent-lost')!.state).toMatchObject({
    power: 'running',
    agentReady: true,
  });
});

import { ChatTexts } from '../../src/conversation/chat-texts';
import { ErrorCodes, RdpFixError } from '../../src/core/errors';
import { parseCommand } from '../../src/core/parse-command';
import {
  asAlice,
  asBob,
  asMallory,
  makeConversation,
  openThrough,
  opsChannel,
  otherChannel,
} from '../helpers/conversation-harness';
import { AllThreeSteps, alice, approveStep, bob, currentStep } from '../helpers/engine-harness';

/** The chat commands, answered by the conversation core over a real engine and in-memory store. */

test('start: a VM the agent serves opens an incident in the channel that asked', async () => {
  const h = makeConversation();
  const reply = await h.conversation.handleChat(parseCommand('sim-healthy'), asAlice, opsChannel);
  expect(reply).toEqual({ kind: 'opened', incidentId: expect.any(String) });
  const record = await h.store.get((reply as { incidentId: string }).incidentId);
  expect(record).toMatchObject({
    vm: { resourceGroup: 'rg-sim', name: 'sim-healthy' },
    requester: alice,
    channel: opsChannel,
    locale: 'en',
  });
});

test('start: help and a mistyped command are answered with the help, nothing opened', async () => {
  const h = makeConversation();
  expect(await h.conversation.handleChat(parseCommand('help'), asAlice, opsChannel)).toEqual({
    kind: 'help',
  });
  expect(await h.conversation.handleChat(parseCommand('vm;rm -rf /'), asAlice, opsChannel)).toEqual({
    kind: 'help',
    problem: expect.stringContaining('is not a valid Azure VM name'),
  });
  expect(await h.store.list()).toHaveLength(0);
});

test('start: an invalid name that got past the parser is refused, to the asker only', async () => {
  const h = makeConversation();
  const reply = await h.conversation.handleChat(
    { kind: 'start', vmName: '$(whoami)', walkAll: false },
    asAlice,
    opsChannel,
  );
  expect(reply).toEqual({
    kind: 'refusal',
    code: ErrorCodes.InvalidVmName,
    text: ChatTexts.invalidVmName,
    delivered: false,
    withHelp: false,
  });
  const group = await h.conversation.handleChat(
    { kind: 'start', vmName: 'sim-healthy', resourceGroup: 'rg.', walkAll: false },
    asAlice,
    opsChannel,
  );
  expect(group).toMatchObject({ kind: 'refusal', text: ChatTexts.invalidResourceGroup });
  expect(await h.store.list()).toHaveLength(0);
});

test('start: a VM not found is refused with the help (it may be a mistyped subcommand)', async () => {
  const h = makeConversation();
  const reply = await h.conversation.handleChat(parseCommand('vm-nowhere --rg rg-a'), asAlice, opsChannel);
  expect(reply).toMatchObject({
    kind: 'refusal',
    code: ErrorCodes.VmNotFound,
    delivered: false,
    withHelp: true,
  });
  expect(reply.kind === 'refusal' && reply.text.en).toBe(
    'No VM named vm-nowhere in rg-a in the subscription and resource groups rdp-fix serves.',
  );
  expect(await h.store.list()).toHaveLength(0);
});

test('start: a name in several resource groups asks which', async () => {
  const twin = (rg: string) => ({ subscriptionId: 'sub-1', resourceGroup: rg, name: 'twin' });
  const h = makeConversation({ vms: { resolveVm: async () => [twin('rg-a'), twin('rg-b')] } });
  const reply = await h.conversation.handleChat(parseCommand('twin'), asAlice, opsChannel);
  expect(reply).toMatchObject({ kind: 'refusal', code: ErrorCodes.VmAmbiguous, withHelp: false });
  expect(reply.kind === 'refusal' && reply.text.en).toBe(
    'twin exists in several resource groups (rg-a, rg-b): say which with --rg <group>.',
  );
});

test('start: Azure failing the look-up is said with its code; an unexpected error is not swallowed', async () => {
  const forbidden = makeConversation({
    vms: {
      resolveVm: async () => {
        throw new RdpFixError(ErrorCodes.AzureForbidden, 'the identity may not read VMs');
      },
    },
  });
  const reply = await forbidden.conversation.handleChat(parseCommand('sim-healthy'), asAlice, opsChannel);
  expect(reply).toMatchObject({ kind: 'refusal', code: ErrorCodes.AzureForbidden, delivered: false });
  expect(reply.kind === 'refusal' && reply.text.it).toBe(
    'Impossibile cercare la VM: the identity may not read VMs',
  );
  const broken = makeConversation({
    vms: {
      resolveVm: async () => {
        throw new TypeError('bug');
      },
    },
  });
  await expect(
    broken.conversation.handleChat(parseCommand('sim-healthy'), asAlice, opsChannel),
  ).rejects.toThrow('bug');
});

test('status lists the open incidents of this channel; history those of a VM or of this channel', async () => {
  const h = makeConversation();
  const here = await openThrough(h, 'sim-healthy');
  const there = await openThrough(h, 'sim-tls-gpo', otherChannel);
  const status = await h.conversation.handleChat(parseCommand('status'), asBob, opsChannel);
  expect(status).toMatchObject({ kind: 'incidentList', empty: ChatTexts.noneOpen });
  expect(status.kind === 'incidentList' && status.records.map((r) => r.id)).toEqual([here]);

  await h.conversation.handleChat(parseCommand(`cancel ${here}`), asAlice, opsChannel);
  await h.engine.idle();
  const none = await h.conversation.handleChat(parseCommand('status'), asBob, opsChannel);
  expect(none).toMatchObject({ kind: 'incidentList', records: [] });

  const history = await h.conversation.handleChat(parseCommand('history'), asBob, opsChannel);
  expect(history).toMatchObject({ kind: 'incidentList', empty: ChatTexts.noHistory });
  expect(history.kind === 'incidentList' && history.records.map((r) => r.id)).toEqual([here]);
  const ofVm = await h.conversation.handleChat(parseCommand('history sim-tls-gpo'), asBob, opsChannel);
  expect(ofVm.kind === 'incidentList' && ofVm.records.map((r) => r.id)).toEqual([there]);
});

test('transcript: the Markdown file, in the incident thread when asked from its channel', async () => {
  const h = makeConversation();
  const id = await openThrough(h, 'sim-healthy');
  await h.conversation.rememberThread(id, '1700000000.000100');
  const here = await h.conversation.handleChat(parseCommand(`transcript ${id}`), asBob, opsChannel);
  expect(here).toMatchObject({
    kind: 'file',
    incidentId: id,
    filename: `rdp-fix-${id}.md`,
    title: `rdp-fix incident ${id}`,
    markdown: expect.stringContaining(`# Incident ${id}`),
    sameThread: '1700000000.000100',
  });
  const elsewhere = await h.conversation.handleChat(parseCommand(`transcript ${id}`), asBob, otherChannel);
  expect(elsewhere).toMatchObject({ kind: 'file', incidentId: id });
  expect(elsewhere).not.toHaveProperty('sameThread');
  const missing = await h.conversation.handleChat(parseCommand('transcript abcdef123456'), asBob, opsChannel);
  expect(missing).toEqual({ kind: 'text', text: ChatTexts.notFound('abcdef123456') });
});

test('cancel: by someone who may not steer the incident is refused (and sent to them by the engine)', async () => {
  const h = makeConversation();
  const id = await openThrough(h, 'sim-healthy');
  const refused = await h.conversation.handleChat(parseCommand(`cancel ${id}`), asMallory, opsChannel);
  expect(refused).toMatchObject({ kind: 'refusal', code: ErrorCodes.NotAuthorised, delivered: true });
  expect((await h.store.get(id))?.status).toBe('open');
  // The engine's own refusal message went to mallory: Slack shows that one, not a second.
  expect(h.messages('refusal')).toContainEqual(expect.objectContaining({ to: asMallory.user }));

  expect(await h.conversation.handleChat(parseCommand(`cancel ${id}`), asAlice, opsChannel)).toEqual({
    kind: 'done',
  });
  await h.engine.idle();
  expect(await h.store.get(id)).toMatchObject({ status: 'closed', outcome: 'aborted' });
  const summary = h.messages('summary').at(-1);
  expect(summary).toMatchObject({ reason: 'cancelled by alice' });
  // Unknown or closed: the engine sends nothing, so the channel must say it.
  const closed = await h.conversation.handleChat(parseCommand(`cancel ${id}`), asAlice, opsChannel);
  expect(closed).toMatchObject({ kind: 'refusal', code: ErrorCodes.IncidentClosed, delivered: false });
  const unknown = await h.conversation.handleChat(parseCommand('cancel abcdef123456'), asAlice, opsChannel);
  expect(unknown).toMatchObject({ kind: 'refusal', code: ErrorCodes.IncidentNotFound, delivered: false });
});

test('undo: refused before any change and to someone who may not steer; after a change, the undo card, and the VM as before', async () => {
  const h = makeConversation();
  const id = await openThrough(h, 'sim-tls-disabled');
  const before = structuredClone(h.vm.vm('sim-tls-disabled').state);
  const undo = () => h.conversation.handleChat(parseCommand(`undo ${id}`), asAlice, opsChannel);
  expect(await undo()).toMatchObject({
    kind: 'refusal',
    code: ErrorCodes.StepNotCurrent,
    text: { en: 'Nothing to undo: no step of this incident has changed the VM yet.' },
  });
  const approve = (stepId: string) => approveStep(h, id, stepId, { from: opsChannel });
  for (const stepId of ['diagnose', 'check-rdp-security', 'snapshot-os-disk', 'enable-tls']) {
    await approve(stepId);
    await h.engine.idle();
  }
  expect((await currentStep(h, id)).stepId).toBe('restart-vm');
  // Someone who may not steer the incident cannot ask for it.
  expect(await h.conversation.handleChat(parseCommand(`undo ${id}`), asMallory, opsChannel)).toMatchObject({
    kind: 'refusal',
    code: ErrorCodes.NotAuthorised,
  });
  expect(await undo()).toEqual({ kind: 'done' });
  await h.engine.idle();
  expect((await currentStep(h, id)).stepId).toBe('undo-changes');
  await approve('undo-changes');
  await h.engine.idle();
  expect(await h.store.get(id)).toMatchObject({ status: 'closed', outcome: 'unresolved' });
  const after = h.vm.vm('sim-tls-disabled').state;
  expect({ tls: after.tls, schannel: after.schannelServerOther, gpsvc: after.gpsvcStart }).toEqual({
    tls: before.tls,
    schannel: before.schannelServerOther,
    gpsvc: before.gpsvcStart,
  });
  const transcript = await h.store.transcript(id);
  expect(transcript.filter((e) => e.kind === 'incident.undoAsked').map((e) => e.actor)).toEqual([alice.id]);
});

/**
 * sim-all-three up to the restart, the renewal skipped: two changes saved on the VM, the key
 * file's permissions (NETWORK SERVICE denied → readable) and TLS (with Group Policy paused).
 */
async function allThreeBeforeRestart() {
  const h = makeConversation();
  const id = await openThrough(h, 'sim-all-three');
  const vm = () => h.vm.vm('sim-all-three').state;
  const states: Record<string, ReturnType<typeof vm>> = { start: structuredClone(vm()) };
  for (const stepId of AllThreeSteps.slice(0, AllThreeSteps.indexOf('restart-vm'))) {
    states[stepId] = structuredClone(vm());
    if (stepId === 'renew-rdp-certificate')
      await h.engine.handle({
        type: 'skip',
        incidentId: id,
        stepId,
        attempt: 1,
        user: bob,
        from: opsChannel,
      });
    else await approveStep(h, id, stepId, { from: opsChannel });
    await h.engine.idle();
  }
  expect(vm().undoJournal.map((e) => e.step)).toEqual(['reset-machinekeys-acl', 'enable-tls']);
  expect(vm().certificate?.keyAccess).toBe('readable');
  expect((await currentStep(h, id)).stepId).toBe('restart-vm');
  return { h, id, vm, before: states };
}

test('undo <id> <step>: a step that changed nothing here, or that the undo cannot take back alone, is refused with the steps that can', async () => {
  const { h, id } = await allThreeBeforeRestart();
  const undo = (step: string) =>
    h.conversation.handleChat(parseCommand(`undo ${id} ${step}`), asAlice, opsChannel);
  expect(await undo('change-rdp-port')).toMatchObject({
    kind: 'refusal',
    code: ErrorCodes.StepNotCurrent,
    text: {
      en: '"change-rdp-port" has not changed the VM in this incident. Changes that can be undone one by one: enable-tls, reset-machinekeys-acl.',
      it: expect.stringContaining('"change-rdp-port" non ha modificato la VM'),
    },
  });
  expect(await undo('renew-rdp-certificate')).toMatchObject({
    kind: 'refusal',
    text: {
      en: expect.stringContaining(
        '"renew-rdp-certificate" is not a change the undo can take back on its own',
      ),
    },
  });
  // Nothing moved: the restart card still waits.
  expect((await currentStep(h, id)).stepId).toBe('restart-vm');
});

test('undo <id> enable-tls: only the TLS change goes back, with Group Policy; the key repair stays', async () => {
  const { h, id, vm, before } = await allThreeBeforeRestart();
  const repaired = structuredClone(vm());
  expect(await h.conversation.handleChat(parseCommand(`undo ${id} enable-tls`), asAlice, opsChannel)).toEqual(
    {
      kind: 'done',
    },
  );
  await h.engine.idle();
  // The undo card proposes that one step.
  const { stepId, context } = await currentStep(h, id);
  expect(stepId).toBe('undo-changes');
  expect(context.undoStep).toBe('enable-tls');
  await approveStep(h, id, 'undo-changes', { from: opsChannel });
  await h.engine.idle();
  const after = vm();
  const tlsBefore = before['enable-tls']!;
  expect({ tls: after.tls, schannel: after.schannelServerOther, gpsvc: after.gpsvcStart }).toEqual({
    tls: tlsBefore.tls,
    schannel: tlsBefore.schannelServerOther,
    gpsvc: tlsBefore.gpsvcStart,
  });
  expect(after.certificate).toEqual(repaired.certificate);
  // The key repair's saved state is still on the VM: a later undo can still take it back.
  expect(after.undoJournal.map((e) => [e.incidentId, e.step])).toEqual([[id, 'reset-machinekeys-acl']]);
  // Group Policy is back on: no restore-group-policy is owed, the incident ends.
  expect(await h.store.get(id)).toMatchObject({ status: 'closed', outcome: 'unresolved' });
  const transcript = await h.store.transcript(id);
  expect(transcript.find((e) => e.kind === 'incident.undoAsked')?.data).toMatchObject({ step: 'enable-tls' });
  const output = transcript.find(
    (e) => e.kind === 'step.output' && (e.data as { stepId?: string }).stepId === 'undo-changes',
  );
  expect(output?.data).toMatchObject({ params: { Step: 'enable-tls' } });
});

test('undo <id> reset-machinekeys-acl: the key file as before, TLS stays repaired, and Group Policy is still switched back on before the end', async () => {
  const { h, id, vm, before } = await allThreeBeforeRestart();
  const repaired = structuredClone(vm());
  expect(
    await h.conversation.handleChat(parseCommand(`undo ${id} reset-machinekeys-acl`), asAlice, opsChannel),
  ).toEqual({ kind: 'done' });
  await h.engine.idle();
  await approveStep(h, id, 'undo-changes', { from: opsChannel });
  await h.engine.idle();
  expect(vm().certificate).toEqual(before['reset-machinekeys-acl']!.certificate);
  expect(vm().certificate?.keyAccess).toBe('networkServiceDenied');
  expect(vm().tls).toEqual(repaired.tls);
  expect(vm().undoJournal.map((e) => e.step)).toEqual(['enable-tls']);
  // enable-tls paused Group Policy and its change stays: the incident offers the switch-back first.
  expect(vm().gpsvcStart).toBe(4);
  expect((await currentStep(h, id)).stepId).toBe('restore-group-policy');
  await approveStep(h, id, 'restore-group-policy', { from: opsChannel });
  await h.engine.idle();
  expect(vm().gpsvcStart).toBe(before.start!.gpsvcStart);
  expect(await h.store.get(id)).toMatchObject({ status: 'closed', outcome: 'unresolved' });
});

test('a step that saved nothing (free-rdp-port only started TermService) offers no Undo, and `undo <id> free-rdp-port` is refused', async () => {
  const h = makeConversation();
  const id = await openThrough(h, 'sim-rdp-stopped');
  for (let i = 0; i < 6 && (await currentStep(h, id)).stepId !== 'test-rdp'; i++) {
    await approveStep(h, id, (await currentStep(h, id)).stepId!, { from: opsChannel });
    await h.engine.idle();
  }
  expect((await currentStep(h, id)).context.steps['free-rdp-port']).toMatchObject({ outcome: 'ok' });
  const results = (await h.store.transcript(id))
    .filter((e) => e.kind === 'message.posted')
    .map(
      (e) =>
        (e.data as { message: { kind: string; stepId?: string; done?: boolean; undo?: unknown } }).message,
    )
    .filter((m) => m.kind === 'progress' && m.done);
  expect(results.find((m) => m.stepId === 'free-rdp-port')).not.toHaveProperty('undo');
  expect(
    await h.conversation.handleChat(parseCommand(`undo ${id} free-rdp-port`), asAlice, opsChannel),
  ).toMatchObject({
    kind: 'refusal',
    text: { en: '"free-rdp-port" has not changed the VM in this incident.' },
  });
  expect((await currentStep(h, id)).stepId).toBe('test-rdp');
});

test('an undo of one step asked on the "switch Group Policy back on" card: that card comes back before the end', async () => {
  const { h, id, vm, before } = await allThreeBeforeRestart();
  // Aborted at the restart: Group Policy is paused, so its switch-back is offered first.
  await h.engine.handle({ type: 'abort', incidentId: id, user: alice, from: opsChannel });
  await h.engine.idle();
  expect((await currentStep(h, id)).stepId).toBe('restore-group-policy');
  await h.conversation.handleChat(parseCommand(`undo ${id} reset-machinekeys-acl`), asAlice, opsChannel);
  await h.engine.idle();
  await approveStep(h, id, 'undo-changes', { from: opsChannel });
  await h.engine.idle();
  expect(vm().certificate?.keyAccess).toBe('networkServiceDenied');
  expect(vm().gpsvcStart).toBe(4);
  // Offered again, and the key repair, put back, can no longer be undone alone.
  const { stepId, attempt } = await currentStep(h, id);
  expect(stepId).toBe('restore-group-policy');
  expect(
    await h.conversation.handleChat(parseCommand(`undo ${id} reset-machinekeys-acl`), asAlice, opsChannel),
  ).toMatchObject({
    kind: 'refusal',
    text: {
      en: '"reset-machinekeys-acl" has not changed the VM in this incident. Changes that can be undone one by one: enable-tls.',
    },
  });
  await approveStep(h, id, 'restore-group-policy', { attempt, from: opsChannel });
  await h.engine.idle();
  expect(vm().gpsvcStart).toBe(before.start!.gpsvcStart);
  expect(await h.store.get(id)).toMatchObject({ status: 'closed' });
});

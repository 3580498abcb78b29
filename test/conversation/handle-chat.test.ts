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
import { alice, approveStep, currentStep } from '../helpers/engine-harness';

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

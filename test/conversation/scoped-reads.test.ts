import { ChatTexts } from '../../src/conversation/chat-texts';
import { ErrorCodes } from '../../src/core/errors';
import { parseCommand } from '../../src/core/parse-command';
import { Texts } from '../../src/engine/texts';
import {
  asAlice,
  asBob,
  asMallory,
  makeConversation,
  openThrough,
  opsChannel,
  otherChannel,
} from '../helpers/conversation-harness';
import { scriptHashOf } from '../helpers/engine-harness';

/**
 * Who reads which incidents (issue 17 item 3), through the conversation core: an incident is
 * read in its own conversation, or by an approver of its platform asking from that platform.
 * alice opened it in Slack's C_OPS; bob approves (on every platform); mallory does not.
 */
const teamsChat = { platform: 'teams', channel: 'C_OPS' } as const;

test('history, status and transcript elsewhere: as if the incident did not exist', async () => {
  const h = makeConversation();
  const id = await openThrough(h, 'sim-healthy', opsChannel);
  const ask = (text: string, who = asMallory, where = otherChannel) =>
    h.conversation.handleChat(parseCommand(text), who, where);
  expect(await ask('history sim-healthy')).toEqual({
    kind: 'incidentList',
    records: [],
    empty: ChatTexts.noHistory,
  });
  expect(await ask('status')).toEqual({ kind: 'incidentList', records: [], empty: ChatTexts.noneOpen });
  expect(await ask(`transcript ${id}`)).toEqual(
    await ask('transcript abcdef123456').then((r) => ({
      ...r,
      text: ChatTexts.notFound(id),
    })),
  );
  // The same channel id on another platform is another conversation, approver or not.
  expect(await ask(`transcript ${id}`, asBob, teamsChat)).toEqual({
    kind: 'text',
    text: ChatTexts.notFound(id),
  });
  expect((await ask('history sim-healthy', asBob, teamsChat)) as { records: unknown[] }).toMatchObject({
    records: [],
  });
});

test('in its conversation anyone reads it; an approver of its platform reads it from anywhere on that platform', async () => {
  const h = makeConversation();
  const id = await openThrough(h, 'sim-healthy', opsChannel);
  const here = await h.conversation.handleChat(parseCommand(`transcript ${id}`), asMallory, opsChannel);
  expect(here).toMatchObject({ kind: 'file', incidentId: id });
  const listed = await h.conversation.handleChat(parseCommand('history sim-healthy'), asBob, otherChannel);
  expect(listed).toMatchObject({ kind: 'incidentList', records: [{ id }] });
  // Not the plain `history` of another channel: that lists that channel's incidents.
  expect(await h.conversation.handleChat(parseCommand('history'), asBob, otherChannel)).toMatchObject({
    records: [],
  });
});

test('cancel from elsewhere is not found, even for the requester; the incident stays open', async () => {
  const h = makeConversation();
  const id = await openThrough(h, 'sim-healthy', opsChannel);
  const reply = await h.conversation.handleChat(parseCommand(`cancel ${id}`), asAlice, otherChannel);
  expect(reply).toEqual({
    kind: 'refusal',
    code: ErrorCodes.IncidentNotFound,
    text: Texts.refused.notFound(id),
    delivered: false,
    withHelp: false,
  });
  expect((await h.store.get(id))?.status).toBe('open');
  // An approver from another channel of the platform may see it, but decides only in its thread.
  const fromBob = await h.conversation.handleChat(parseCommand(`cancel ${id}`), asBob, otherChannel);
  expect(fromBob).toMatchObject({ kind: 'refusal', code: ErrorCodes.WrongConversation, delivered: false });
  expect((await h.store.get(id))?.status).toBe('open');
});

test("a card pressed elsewhere: the engine records the coded refusal, the person hears 'not found'", async () => {
  const h = makeConversation();
  const id = await openThrough(h, 'sim-healthy', opsChannel);
  const click = {
    verb: 'approve' as const,
    incidentId: id,
    stepId: 'diagnose',
    attempt: 1,
    ...scriptHashOf('diagnose'),
  };
  expect(await h.conversation.handleClick(click, asMallory, teamsChat)).toMatchObject({
    kind: 'refusal',
    code: ErrorCodes.IncidentNotFound,
    text: Texts.refused.notFound(id),
  });
  const refused = (await h.store.transcript(id)).filter((e) => e.kind === 'step.refused');
  expect(refused.map((e) => e.data.code)).toEqual([ErrorCodes.WrongConversation]);
  // Show script elsewhere: the answer for a step without one.
  expect(await h.conversation.handleClick({ ...click, verb: 'showScript' }, asMallory, teamsChat)).toEqual({
    kind: 'text',
    text: ChatTexts.noScript,
  });
});

test('a start on a VM whose open incident is elsewhere: told it exists there, never its id (review finding)', async () => {
  const h = makeConversation();
  const id = await openThrough(h, 'sim-healthy', opsChannel);
  const elsewhere = await h.conversation.handleChat(parseCommand('sim-healthy'), asMallory, otherChannel);
  expect(JSON.stringify(elsewhere)).not.toContain(id);
  expect(elsewhere).toMatchObject({
    kind: 'refusal',
    text: Texts.refused.alreadyOpenElsewhere('sim-healthy'),
  });
  // In its own conversation the answer names it, so it can be continued or cancelled.
  const here = await h.conversation.handleChat(parseCommand('sim-healthy'), asAlice, opsChannel);
  expect(JSON.stringify(here)).toContain(id);
});

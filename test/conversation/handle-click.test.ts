import { ChatTexts } from '../../src/conversation/chat-texts';
import { createConversation } from '../../src/conversation/conversation';
import type { Click } from '../../src/conversation/inputs';
import { ErrorCodes } from '../../src/core/errors';
import {
  asAlice,
  asBob,
  asMallory,
  makeConversation,
  openThrough,
  opsChannel,
  otherChannel,
} from '../helpers/conversation-harness';
import { scriptHashOf, twoPersonPolicy } from '../helpers/engine-harness';

/** Card clicks, answered by the conversation core over a real engine and in-memory store. */

type CardClick = Exclude<Click, { verb: 'forged' }>;
/** A press on the diagnose card of its first attempt: Approve unless `extra` says otherwise. */
const diagnose = (incidentId: string, extra: Partial<CardClick> = {}): CardClick => ({
  verb: 'approve',
  incidentId,
  stepId: 'diagnose',
  attempt: 1,
  // The script hash the diagnose card carries.
  ...scriptHashOf('diagnose'),
  ...extra,
});

test('an approval by an approver is taken; the step waiting moves on', async () => {
  const h = makeConversation();
  const id = await openThrough(h, 'sim-healthy');
  expect(await h.conversation.findWaitingStep(id)).toEqual({
    state: 'awaiting',
    stepId: 'diagnose',
    attempt: 1,
    answers: undefined,
    // A read-only step: nothing to confirm.
    confirm: { approve: false, answers: [] },
    ...scriptHashOf('diagnose'),
  });
  expect(await h.conversation.handleClick(diagnose(id), asBob, opsChannel)).toEqual({ kind: 'done' });
  await h.engine.idle();
  const next = await h.conversation.findWaitingStep(id);
  expect(next).toMatchObject({ state: 'awaiting', answers: expect.any(Array) });
  expect(next.state === 'awaiting' && next.stepId).not.toBe('diagnose');
});

test('a click by someone not on the approver list is refused; the engine tells them', async () => {
  const h = makeConversation();
  const id = await openThrough(h, 'sim-healthy');
  const reply = await h.conversation.handleClick(diagnose(id), asMallory, opsChannel);
  expect(reply).toMatchObject({ kind: 'refusal', code: ErrorCodes.NotAuthorised, delivered: true });
  expect(reply.kind === 'refusal' && reply.text.en).toBe(
    'You are not on the approver list for rdp-fix steps.',
  );
  // The requester may not approve her own incident's steps either (two-person policy).
  expect(await h.conversation.handleClick(diagnose(id), asAlice, opsChannel)).toMatchObject({
    code: ErrorCodes.NotAuthorised,
  });
});

test('a click on a stale card (a decided step, an old attempt) changes nothing', async () => {
  const h = makeConversation();
  const id = await openThrough(h, 'sim-healthy');
  await h.conversation.handleClick(diagnose(id), asBob, opsChannel);
  await h.engine.idle();
  const before = await h.store.get(id);
  const again = await h.conversation.handleClick(diagnose(id), asBob, opsChannel);
  expect(again).toMatchObject({ kind: 'refusal', delivered: true });
  const oldAttempt = await h.conversation.handleClick(diagnose(id, { attempt: 7 }), asBob, opsChannel);
  expect(oldAttempt).toMatchObject({ kind: 'refusal', code: ErrorCodes.StepNotCurrent });
  await h.engine.idle();
  expect((await h.store.get(id))?.version).toBe(before?.version);
});

test('a click on a closed incident is refused to the clicker (the engine sends nothing)', async () => {
  const h = makeConversation();
  const id = await openThrough(h, 'sim-healthy');
  expect(await h.conversation.handleClick(diagnose(id, { verb: 'abort' }), asAlice, opsChannel)).toEqual({
    kind: 'done',
  });
  await h.engine.idle();
  expect(await h.conversation.findWaitingStep(id)).toEqual({ state: 'closed', outcome: 'aborted' });
  const late = await h.conversation.handleClick(diagnose(id), asBob, opsChannel);
  expect(late).toMatchObject({ kind: 'refusal', code: ErrorCodes.IncidentClosed, delivered: false });
});

test('an abort pressed with a reason keeps it for the summary', async () => {
  const h = makeConversation();
  const id = await openThrough(h, 'sim-healthy');
  await h.conversation.handleClick(
    diagnose(id, { verb: 'abort', reason: 'aborted at the terminal' }),
    asAlice,
    opsChannel,
  );
  await h.engine.idle();
  expect(h.messages('summary').at(-1)).toMatchObject({ reason: 'aborted at the terminal' });
});

test('show script: the step script, in the incident thread; a plain answer for a step without one', async () => {
  const h = makeConversation();
  const id = await openThrough(h, 'sim-healthy');
  await h.conversation.rememberThread(id, '1700000000.000100');
  const reply = await h.conversation.handleClick(diagnose(id, { verb: 'showScript' }), asMallory, opsChannel);
  expect(reply).toEqual({
    kind: 'script',
    name: expect.stringContaining('diagnose'),
    sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    text: expect.stringContaining('# rdp-fix-step: diagnose'),
    thread: '1700000000.000100',
  });
  const none = await h.conversation.handleClick(
    diagnose(id, { verb: 'showScript', stepId: 'snapshot-os-disk' }),
    asBob,
    opsChannel,
  );
  expect(none).toEqual({ kind: 'text', text: ChatTexts.noScript, thread: '1700000000.000100' });
  // Showing changes nothing.
  expect(await h.conversation.findWaitingStep(id)).toMatchObject({ stepId: 'diagnose' });
});

test('a forged button is answered as such and reaches no engine', async () => {
  const h = makeConversation();
  expect(await h.conversation.handleClick({ verb: 'forged' }, asBob, opsChannel)).toEqual({
    kind: 'text',
    text: ChatTexts.badButton,
  });
  expect(h.deliveries).toHaveLength(0);
});

test('a press that goes through reads the incident once (the engine); a refused one is checked for who may read it', async () => {
  const h = makeConversation();
  const id = await openThrough(h, 'sim-healthy');
  const reads: string[] = [];
  // The conversation's own reads of the store, counted; the engine reads the same store uncounted.
  const conversation = createConversation({
    engine: h.engine,
    vms: h.vm,
    incidents: {
      get: (incidentId) => {
        reads.push(incidentId);
        return h.store.get(incidentId);
      },
      transcript: (incidentId) => h.store.transcript(incidentId),
      list: (filter) => h.store.list(filter),
    },
    threads: h.store,
    policy: twoPersonPolicy,
  });
  expect(await conversation.handleClick(diagnose(id), asBob, opsChannel)).toEqual({ kind: 'done' });
  expect(reads).toEqual([]);
  await h.engine.idle();
  // The same card replayed from another conversation: refused, and answered as an unknown id.
  const replayed = await conversation.handleClick(diagnose(id), asMallory, otherChannel);
  expect(replayed).toMatchObject({ kind: 'refusal', code: ErrorCodes.IncidentNotFound });
  expect(reads).toEqual([id]);
});

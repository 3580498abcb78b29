import type { ApprovalPolicy } from '../../src/core/approval-policy';
import { ErrorCodes, Refusal } from '../../src/core/errors';
import type { Localized, User } from '../../src/core/types';
import type { IncidentCommand } from '../../src/engine/commands';
import { type Decided, decideCommand } from '../../src/engine/decide-command';
import { Texts } from '../../src/engine/texts';
import { transitionIncident } from '../../src/engine/transition-incident';
import type { IncidentRecord } from '../../src/store/incident-store';
import {
  alice,
  bob,
  card,
  mallory,
  policyWith,
  rdpPlaybook,
  testConversation,
  twoPersonPolicy,
} from '../helpers/engine-harness';
import {
  approve,
  evidence,
  rdpMachine,
  recordAfter,
  recordAwaiting,
  T0,
  vmReady,
} from '../helpers/incident-records';

/**
 * decideCommand is pure: a record, a command and a time in; an event, transcript drafts and
 * card updates out, or a Refusal. Records come from the pure machine functions
 * (test/helpers/incident-records.ts), the policy is twoPersonPolicy unless a row says:
 * alice opened the incident, bob is the approver, mallory is neither.
 */
const now = new Date('2026-12-01T10:05:00.000Z');
const at = now.toISOString();
const id = 'inc-1';

function decide(record: IncidentRecord, command: IncidentCommand, policy: ApprovalPolicy = twoPersonPolicy) {
  return decideCommand(record, rdpPlaybook(), policy, command, now);
}

/** The Refusal a decision threw (fails the test when it did not throw one). */
function refusalOf(decision: () => Decided): { code: string; text: Localized } {
  try {
    decision();
  } catch (err) {
    if (err instanceof Refusal) return { code: err.code, text: err.text };
    throw err;
  }
  throw new Error('expected a Refusal, the command was accepted');
}

/** The machine takes the decided event: what decideCommand lets through is not a no-op. */
function stateAfter(record: IncidentRecord, decided: Decided): string {
  return transitionIncident(rdpMachine(), record.snapshot, decided.event!).state;
}

const preflight = () => recordAfter([]).record;
const diagnoseAwaiting = () => recordAfter([vmReady]).record;
const diagnoseRunning = () => recordAfter([vmReady, approve('diagnose')]).record;
/** A manual step (answers: attached, stop): the agent could not run commands. */
const offlineAwaiting = () => recordAfter([{ type: 'VM_STATUS', status: 'agentNotReady' }]).record;

describe('approve', () => {
  test('the waiting step, by an approver: APPROVE with the decision and the resolved params, a draft, the card closed', () => {
    const record = diagnoseAwaiting();
    const decided = decide(record, {
      type: 'approve',
      incidentId: id,
      stepId: 'diagnose',
      attempt: 1,
      user: bob,
      ...card('diagnose'),
    });
    expect(decided).toEqual({
      event: { type: 'APPROVE', stepId: 'diagnose', attempt: 1, decision: { by: bob, at }, params: {} },
      drafts: [
        {
          kind: 'step.approved',
          actor: bob.id,
          data: { stepId: 'diagnose', attempt: 1, params: {}, by: bob },
        },
      ],
      messages: [
        {
          kind: 'cardClosed',
          key: 'inc-1:diagnose:1',
          stepId: 'diagnose',
          attempt: 1,
          text: Texts.approved('bob', at),
        },
      ],
    });
    expect(stateAfter(record, decided)).toBe('diagnose.running');
  });

  test("a step's parameters: defaults filled in, a person's override checked and kept", () => {
    const { record } = recordAwaiting('enable-tls');
    const decided = decide(record, {
      type: 'approve',
      incidentId: id,
      stepId: 'enable-tls',
      attempt: 1,
      user: bob,
      params: { Versions: 'all' },
      ...card('enable-tls'),
    });
    const params = { Versions: 'all', PauseGroupPolicy: true };
    expect(decided.event).toEqual({
      type: 'APPROVE',
      stepId: 'enable-tls',
      attempt: 1,
      decision: { by: bob, at },
      params,
    });
    expect(decided.drafts).toEqual([
      { kind: 'step.approved', actor: bob.id, data: { stepId: 'enable-tls', attempt: 1, params, by: bob } },
    ]);
    expect(stateAfter(record, decided)).toBe('enable-tls.running');
  });

  test.each<[string, Record<string, unknown>, string]>([
    ['a value off the list', { Versions: '1.3' }, 'Versions'],
    ['a name the step does not have', { Port: 3390 }, 'unknown parameter "Port"'],
  ])('%s is refused as INVALID_PARAMETER', (_what, params, says) => {
    const { record } = recordAwaiting('enable-tls');
    const refused = refusalOf(() =>
      decide(record, {
        type: 'approve',
        incidentId: id,
        stepId: 'enable-tls',
        attempt: 1,
        user: bob,
        params,
        ...card('enable-tls'),
      }),
    );
    expect(refused.code).toBe(ErrorCodes.InvalidParameter);
    expect(refused.text.en).toMatch(/^Not approved: /);
    expect(refused.text.en).toContain(says);
  });

  test.each<
    [string, () => IncidentRecord, Partial<Extract<IncidentCommand, { type: 'approve' }>>, Localized]
  >([
    ['another attempt (an old card)', diagnoseAwaiting, { attempt: 2 }, notCurrentStep('diagnose')],
    [
      'a step that is not the one waiting',
      diagnoseAwaiting,
      { stepId: 'restart-vm' },
      notCurrentStep('restart-vm'),
    ],
    [
      'a step the playbook does not have',
      diagnoseAwaiting,
      { stepId: 'format-c' },
      Texts.refused.notCurrent('format-c'),
    ],
    [
      'a question, which is answered, not approved',
      offlineAwaiting,
      { stepId: 'offline-attach-disk' },
      notCurrentStep('offline-attach-disk'),
    ],
    [
      'a step approved already, now running',
      diagnoseRunning,
      {},
      Texts.refused.alreadyApproved('bob', T0.toISOString()),
    ],
  ])('%s: STEP_NOT_CURRENT', (_what, record, change, text) => {
    const command = {
      type: 'approve' as const,
      incidentId: id,
      stepId: 'diagnose',
      attempt: 1,
      user: bob,
      ...card('diagnose'),
      ...change,
      from: testConversation,
    };
    expect(refusalOf(() => decide(record(), command))).toEqual({ code: ErrorCodes.StepNotCurrent, text });
  });
});

describe('approval policies', () => {
  const selfAllowed: ApprovalPolicy = policyWith([alice.id, bob.id], true, { ttlMs: 60_000 });
  const listWithRequester: ApprovalPolicy = policyWith([alice.id, bob.id], false, { ttlMs: 60_000 });
  const noList: ApprovalPolicy = policyWith([], undefined, { ttlMs: 60_000 });
  const noListNoSelf: ApprovalPolicy = policyWith([], false, { ttlMs: 60_000 });

  test.each<
    [string, ApprovalPolicy, User, 'not-approver' | 'self-approval' | 'not-requester' | 'no-approvers' | null]
  >([
    ['an approver', twoPersonPolicy, bob, null],
    ['someone off the approver list', twoPersonPolicy, mallory, 'not-approver'],
    ['the requester, off the list', twoPersonPolicy, alice, 'not-approver'],
    ['the requester on the list, self-approval off', listWithRequester, alice, 'self-approval'],
    ['the requester on the list, self-approval on', selfAllowed, alice, null],
    ['the requester, no approver list', noList, alice, null],
    ['anyone else, no approver list', noList, bob, 'not-requester'],
    // Fails closed: with no approver for the platform and self-approval off, nobody approves.
    ['the requester, no list and self-approval off', noListNoSelf, alice, 'no-approvers'],
  ])('%s', (_who, policy, user, reason) => {
    const record = diagnoseAwaiting();
    const command = {
      type: 'approve' as const,
      incidentId: id,
      stepId: 'diagnose',
      attempt: 1,
      user,
      ...card('diagnose'),
    };
    if (reason === null) {
      expect(decide(record, command, policy).event).toMatchObject({
        type: 'APPROVE',
        decision: { by: user },
      });
    } else {
      expect(refusalOf(() => decide(record, command, policy))).toEqual({
        code: ErrorCodes.NotAuthorised,
        text: Texts.refused[reason](),
      });
    }
  });
});

describe('skip', () => {
  test('SKIP with the decision, a step.skipped draft, the card closed', () => {
    const record = diagnoseAwaiting();
    const decided = decide(record, {
      type: 'skip',
      incidentId: id,
      stepId: 'diagnose',
      attempt: 1,
      user: bob,
      ...card('diagnose'),
    });
    expect(decided).toEqual({
      event: { type: 'SKIP', stepId: 'diagnose', attempt: 1, decision: { by: bob, at } },
      drafts: [{ kind: 'step.skipped', actor: bob.id, data: { stepId: 'diagnose', attempt: 1, by: bob } }],
      messages: [
        {
          kind: 'cardClosed',
          key: 'inc-1:diagnose:1',
          stepId: 'diagnose',
          attempt: 1,
          text: Texts.skipped('bob', at),
        },
      ],
    });
    expect(stateAfter(record, decided)).toBe('snapshot-os-disk.awaiting');
  });

  test('skipping follows the approval policy: mallory is refused', () => {
    const command = {
      type: 'skip' as const,
      incidentId: id,
      stepId: 'diagnose',
      attempt: 1,
      user: mallory,
      from: testConversation,
    };
    expect(refusalOf(() => decide(diagnoseAwaiting(), command)).code).toBe(ErrorCodes.NotAuthorised);
  });
});

describe('answer', () => {
  const answer = (user: User, value: string, attempt = 1): IncidentCommand => ({
    type: 'answer',
    incidentId: id,
    stepId: 'offline-attach-disk',
    attempt,
    answer: value,
    user,
    ...card('offline-attach-disk'),
  });

  test('one of the answers, by the requester: ANSWER, a draft, the card closed with the answer', () => {
    const record = offlineAwaiting();
    const decided = decide(record, answer(alice, 'attached'));
    expect(decided).toEqual({
      event: {
        type: 'ANSWER',
        stepId: 'offline-attach-disk',
        attempt: 1,
        answer: 'attached',
        decision: { by: alice, at },
      },
      drafts: [
        {
          kind: 'step.answered',
          actor: alice.id,
          data: { stepId: 'offline-attach-disk', attempt: 1, answer: 'attached', by: alice },
        },
      ],
      messages: [
        {
          kind: 'cardClosed',
          key: 'inc-1:offline-attach-disk:1',
          stepId: 'offline-attach-disk',
          attempt: 1,
          text: Texts.answered('alice', 'Disk attached'),
        },
      ],
    });
    expect(stateAfter(record, decided)).toBe('offline-enable-serial-dump.awaiting');
  });

  test('an approver may answer too', () => {
    expect(decide(offlineAwaiting(), answer(bob, 'stop')).event).toMatchObject({ answer: 'stop' });
  });

  test.each<[string, IncidentCommand, string, Localized]>([
    [
      'an answer the question does not have',
      answer(alice, 'reformat'),
      ErrorCodes.InvalidAnswer,
      Texts.refused.invalidAnswer('reformat'),
    ],
    [
      'an answer by someone who is neither requester nor approver',
      answer(mallory, 'attached'),
      ErrorCodes.NotAuthorised,
      Texts.refused.notAllowed(),
    ],
    [
      'an answer to an old card',
      answer(alice, 'attached', 2),
      ErrorCodes.StepNotCurrent,
      notCurrentStep('offline-attach-disk'),
    ],
  ])('%s is refused', (_what, command, code, text) => {
    expect(refusalOf(() => decide(offlineAwaiting(), command))).toEqual({ code, text });
  });

  test('an answer to a step that is approved, not answered: STEP_NOT_CURRENT', () => {
    const command = {
      type: 'answer' as const,
      incidentId: id,
      stepId: 'diagnose',
      attempt: 1,
      answer: 'ok',
      user: bob,
      from: testConversation,
    };
    expect(refusalOf(() => decide(diagnoseAwaiting(), command)).code).toBe(ErrorCodes.StepNotCurrent);
  });
});

describe('abort', () => {
  test('by the requester: ABORT with the reason, a draft, and the waiting card closed', () => {
    const record = diagnoseAwaiting();
    const decided = decide(record, {
      type: 'abort',
      incidentId: id,
      user: alice,
      reason: 'wrong VM',
      from: testConversation,
    });
    expect(decided).toEqual({
      event: { type: 'ABORT', decision: { by: alice, at }, reason: 'wrong VM' },
      drafts: [{ kind: 'incident.aborted', actor: alice.id, data: { by: alice, reason: 'wrong VM' } }],
      messages: [
        {
          kind: 'cardClosed',
          key: 'inc-1:diagnose:1',
          stepId: 'diagnose',
          attempt: 1,
          text: Texts.ended.aborted(),
        },
      ],
    });
    expect(stateAfter(record, decided)).toBe('aborted');
  });

  test('by an approver, without a reason, while a step runs: its card is closed too', () => {
    const decided = decide(diagnoseRunning(), {
      type: 'abort',
      incidentId: id,
      user: bob,
      from: testConversation,
    });
    expect(decided.event).toEqual({ type: 'ABORT', decision: { by: bob, at } });
    expect(decided.drafts).toEqual([
      { kind: 'incident.aborted', actor: bob.id, data: { by: bob, reason: null } },
    ]);
    expect(decided.messages).toMatchObject([{ kind: 'cardClosed', key: 'inc-1:diagnose:1' }]);
  });

  test('in preflight no card is open: nothing to close', () => {
    expect(
      decide(preflight(), { type: 'abort', incidentId: id, user: alice, from: testConversation }).messages,
    ).toEqual([]);
  });

  test.each<[string, string, string]>([
    ['a long reason is cut to 200 characters and marked cut', 'x'.repeat(5_000), `${'x'.repeat(200)}…`],
    ['control characters are not echoed', 'wrong\u0007VM\r', 'wrong?VM?'],
  ])('%s', (_what, reason, kept) => {
    const decided = decide(diagnoseAwaiting(), {
      type: 'abort',
      incidentId: id,
      user: alice,
      reason,
      from: testConversation,
    });
    expect(decided.event).toEqual({ type: 'ABORT', decision: { by: alice, at }, reason: kept });
    expect(decided.drafts).toEqual([
      { kind: 'incident.aborted', actor: alice.id, data: { by: alice, reason: kept } },
    ]);
  });

  test('by a stranger: NOT_AUTHORISED', () => {
    expect(
      refusalOf(() =>
        decide(diagnoseAwaiting(), { type: 'abort', incidentId: id, user: mallory, from: testConversation }),
      ),
    ).toEqual({
      code: ErrorCodes.NotAuthorised,
      text: Texts.refused.notAllowed(),
    });
  });
});

describe('stepResult', () => {
  const result = { outcome: 'ok' as const, data: evidence('healthy') };

  test('for the running attempt: STEP_RESULT, no draft and no message of its own', () => {
    const record = diagnoseRunning();
    const decided = decide(record, {
      type: 'stepResult',
      incidentId: id,
      stepId: 'diagnose',
      attempt: 1,
      result,
    });
    expect(decided).toEqual({
      event: { type: 'STEP_RESULT', stepId: 'diagnose', attempt: 1, result },
      drafts: [],
      messages: [],
    });
    expect(stateAfter(record, decided)).toBe('no-cause-found.awaiting');
  });

  test.each<[string, string, number]>([
    ['another attempt (a late or repeated result)', 'diagnose', 2],
    ['another step', 'verify', 1],
  ])('for %s: STEP_NOT_CURRENT', (_what, stepId, attempt) => {
    const command = { type: 'stepResult' as const, incidentId: id, stepId, attempt, result };
    expect(refusalOf(() => decide(diagnoseRunning(), command))).toEqual({
      code: ErrorCodes.StepNotCurrent,
      text: Texts.refused.notCurrent(stepId),
    });
  });

  test('for the step still waiting for its approval (never sent): STEP_NOT_CURRENT', () => {
    const command = { type: 'stepResult' as const, incidentId: id, stepId: 'diagnose', attempt: 1, result };
    expect(refusalOf(() => decide(diagnoseAwaiting(), command))).toEqual({
      code: ErrorCodes.StepNotCurrent,
      text: Texts.refused.notCurrent('diagnose'),
    });
  });
});

describe('expire', () => {
  test('for the pending step: EXPIRE at now, an approval.expired draft, the card closed', () => {
    const record = diagnoseAwaiting();
    expect(record.pending).toMatchObject({ stepId: 'diagnose', attempt: 1 });
    const decided = decide(record, { type: 'expire', incidentId: id, stepId: 'diagnose', attempt: 1 });
    expect(decided).toEqual({
      event: { type: 'EXPIRE', stepId: 'diagnose', attempt: 1, at },
      drafts: [{ kind: 'approval.expired', actor: null, data: { stepId: 'diagnose', attempt: 1 } }],
      messages: [
        {
          kind: 'cardClosed',
          key: 'inc-1:diagnose:1',
          stepId: 'diagnose',
          attempt: 1,
          text: Texts.expired(),
        },
      ],
    });
    expect(stateAfter(record, decided)).toBe('expired');
  });

  test.each<[string, () => IncidentRecord, string, number]>([
    ['an older attempt of the waiting step', diagnoseAwaiting, 'diagnose', 0],
    ['a step that was waiting before', () => recordAwaiting('snapshot-os-disk').record, 'diagnose', 1],
    ['a step approved meanwhile (nothing pending)', diagnoseRunning, 'diagnose', 1],
  ])('a stale one, %s: STEP_NOT_CURRENT', (_what, record, stepId, attempt) => {
    expect(refusalOf(() => decide(record(), { type: 'expire', incidentId: id, stepId, attempt }))).toEqual({
      code: ErrorCodes.StepNotCurrent,
      text: Texts.refused.notCurrent(stepId),
    });
  });
});

describe('vmChecked', () => {
  test('in preflight, ready: VM_STATUS, a vm.checked draft, the notice that it is ready', () => {
    const record = preflight();
    const decided = decide(record, { type: 'vmChecked', incidentId: id, status: 'ready' });
    expect(decided).toEqual({
      event: { type: 'VM_STATUS', status: 'ready' },
      drafts: [{ kind: 'vm.checked', actor: null, data: { status: 'ready' } }],
      messages: [{ kind: 'notice', text: Texts.vmReady() }],
    });
    expect(stateAfter(record, decided)).toBe('diagnose.awaiting');
  });

  test.each<
    [string, 'agentNotReady' | 'stopped' | 'notRunning' | 'error', string | undefined, Localized, string]
  >([
    [
      'agent not ready',
      'agentNotReady',
      'the VM agent is not Ready',
      Texts.vmAgentDown('the VM agent is not Ready'),
      'offline-attach-disk.awaiting',
    ],
    [
      'stopped: the playbook offers to start it',
      'stopped',
      'the VM is deallocated',
      Texts.vmStopped('the VM is deallocated'),
      'start-vm.awaiting',
    ],
    [
      'not running',
      'notRunning',
      'the VM is starting',
      Texts.vmNotRunning('the VM is starting', 'rg-test', 'sim-all-three'),
      'failed',
    ],
    ['an Azure error without detail', 'error', undefined, Texts.vmCannotAct('error'), 'failed'],
  ])(
    'in preflight, %s: the detail goes into the event, the draft and the notice',
    (_what, status, detail, text, next) => {
      const record = preflight();
      const decided = decide(record, {
        type: 'vmChecked',
        incidentId: id,
        status,
        ...(detail ? { detail } : {}),
      });
      const check = { status, ...(detail ? { detail } : {}) };
      expect(decided).toEqual({
        event: { type: 'VM_STATUS', ...check },
        drafts: [{ kind: 'vm.checked', actor: null, data: check }],
        messages: [{ kind: 'notice', text }],
      });
      expect(stateAfter(record, decided)).toBe(next);
    },
  );

  test('outside preflight (another replica saved its check first): STEP_NOT_CURRENT', () => {
    expect(
      refusalOf(() => decide(diagnoseAwaiting(), { type: 'vmChecked', incidentId: id, status: 'ready' })),
    ).toEqual({ code: ErrorCodes.StepNotCurrent, text: Texts.refused.notCurrent('preflight') });
  });
});

test('deciding reads no clock and changes nothing: the same inputs give the same answer, the record untouched', () => {
  const record = diagnoseAwaiting();
  const copy = structuredClone(record);
  const command = {
    type: 'approve' as const,
    incidentId: id,
    stepId: 'diagnose',
    attempt: 1,
    user: bob,
    ...card('diagnose'),
  };
  expect(decide(record, command)).toEqual(decide(record, command));
  expect(record).toStrictEqual(copy);
});

/** The refusal for a card of a step that is not waiting, the step named in each language. */
function notCurrentStep(stepId: string): Localized {
  const title = rdpPlaybook().stepById.get(stepId)!.title;
  return { en: Texts.refused.notCurrent(title.en).en, it: Texts.refused.notCurrent(title.it).it };
}

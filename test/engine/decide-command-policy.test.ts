import { type ApprovalPolicy, onEveryPlatform } from '../../src/core/approval-policy';
import { ErrorCodes, Refusal } from '../../src/core/errors';
import type { IncidentCommand } from '../../src/engine/commands';
import { type Decided, decideCommand, StaleCard } from '../../src/engine/decide-command';
import { Texts } from '../../src/engine/texts';
import { transitionIncident } from '../../src/engine/transition-incident';
import type { IncidentRecord } from '../../src/store/incident-store';
import {
  alice,
  bob,
  card,
  policyWith,
  rdpPlaybook,
  scriptHashOf,
  testConversation,
  twoPersonPolicy,
} from '../helpers/engine-harness';
import { rdpMachine, recordAfter, recordAwaiting, vmReady } from '../helpers/incident-records';

/**
 * decideCommand's policy rules (issue 17 items 4 and 5), as pure input → output: where a
 * decision may come from, the approver list of the incident's platform, the script hash an
 * approval is bound to, and the two-person rule. alice opened the incidents, in the terminal
 * conversation `testConversation`; bob and carol approve.
 */
const now = new Date('2026-12-01T10:05:00.000Z');
const at = now.toISOString();
const id = 'inc-1';
const carol = { id: 'U_CAROL', name: 'carol' };

const decide = (record: IncidentRecord, command: IncidentCommand, policy: ApprovalPolicy = twoPersonPolicy) =>
  decideCommand(record, rdpPlaybook(), policy, command, now);

function refusalOf(decision: () => Decided): Refusal {
  try {
    decision();
  } catch (err) {
    if (err instanceof Refusal) return err;
    throw err;
  }
  throw new Error('expected a Refusal, the command was accepted');
}

const diagnoseAwaiting = () => recordAfter([vmReady]).record;
const approveDiagnose = (extra: Partial<Extract<IncidentCommand, { type: 'approve' }>> = {}) =>
  ({
    type: 'approve',
    incidentId: id,
    stepId: 'diagnose',
    attempt: 1,
    user: bob,
    ...card('diagnose'),
    ...extra,
  }) as const;

describe('a decision counts only from the incident’s own platform and conversation', () => {
  const elsewhere = [
    ['another conversation of the platform', { platform: 'cli', channel: 'other' }],
    [
      'the same conversation id on another platform',
      { platform: 'teams', channel: testConversation.channel },
    ],
  ] as const;
  const commands = (from: (typeof elsewhere)[number][1]): IncidentCommand[] => [
    approveDiagnose({ from }),
    { type: 'skip', incidentId: id, stepId: 'diagnose', attempt: 1, user: bob, from },
    { type: 'abort', incidentId: id, user: alice, from },
  ];
  test.each(elsewhere)('%s: WRONG_CONVERSATION, before any other rule', (_what, from) => {
    for (const command of commands(from)) {
      const refused = refusalOf(() => decide(diagnoseAwaiting(), command));
      expect({ code: refused.code, text: refused.text }).toEqual({
        code: ErrorCodes.WrongConversation,
        text: Texts.refused.wrongConversation(),
      });
    }
  });

  test('an answer from elsewhere too', () => {
    const offline = recordAfter([{ type: 'VM_STATUS', status: 'agentNotReady' }]).record;
    const from = { platform: 'slack', channel: 'C_ELSEWHERE' } as const;
    const answer: IncidentCommand = {
      type: 'answer',
      incidentId: id,
      stepId: 'offline-attach-disk',
      attempt: 1,
      answer: 'attached',
      user: alice,
      from,
    };
    expect(refusalOf(() => decide(offline, answer)).code).toBe(ErrorCodes.WrongConversation);
  });
});

describe("approvers are those of the incident's platform", () => {
  const perPlatform = (lists: Partial<ApprovalPolicy['approvers']>, self = false): ApprovalPolicy => ({
    ...twoPersonPolicy,
    approvers: { ...onEveryPlatform([]), ...lists },
    selfApprovalWhenUnlisted: self,
  });

  test('a list for another platform does not approve here; with none for this platform nobody does (Azure mode)', () => {
    const teamsOnly = perPlatform({ teams: [bob.id] });
    const refused = refusalOf(() => decide(diagnoseAwaiting(), approveDiagnose(), teamsOnly));
    expect({ code: refused.code, text: refused.text }).toEqual({
      code: ErrorCodes.NotAuthorised,
      text: Texts.refused['no-approvers'](),
    });
    // Not the requester either.
    expect(
      refusalOf(() => decide(diagnoseAwaiting(), approveDiagnose({ user: alice }), teamsOnly)).code,
    ).toBe(ErrorCodes.NotAuthorised);
    expect(decide(diagnoseAwaiting(), approveDiagnose(), perPlatform({ cli: [bob.id] })).event).toMatchObject(
      {
        type: 'APPROVE',
      },
    );
  });

  test('self-approval allowed explicitly with no list: the requester alone', () => {
    const selfAllowed = perPlatform({}, true);
    expect(decide(diagnoseAwaiting(), approveDiagnose({ user: alice }), selfAllowed).event).toMatchObject({
      type: 'APPROVE',
    });
    expect(refusalOf(() => decide(diagnoseAwaiting(), approveDiagnose(), selfAllowed)).text).toEqual(
      Texts.refused['not-requester'](),
    );
  });
});

describe('an approval is bound to the script its card showed', () => {
  const current = scriptHashOf('diagnose').scriptSha256!;

  test.each([
    ['no hash (a card from before, or a forged payload)', {}],
    ['another hash (the playbook changed since the card was posted)', { scriptSha256: 'a'.repeat(64) }],
  ])('%s: SCRIPT_CHANGED; the old card closed and a fresh one with the current hash', (_what, hash) => {
    const { scriptSha256: _drop, ...withoutHash } = approveDiagnose();
    const refused = refusalOf(() => decide(diagnoseAwaiting(), { ...withoutHash, ...hash }));
    expect(refused).toBeInstanceOf(StaleCard);
    expect(refused.code).toBe(ErrorCodes.ScriptChanged);
    expect((refused as StaleCard).messages).toEqual([
      {
        kind: 'cardClosed',
        key: 'inc-1:diagnose:1',
        stepId: 'diagnose',
        attempt: 1,
        text: Texts.scriptChanged(),
      },
      expect.objectContaining({
        kind: 'stepCard',
        key: 'inc-1:diagnose:1',
        stepId: 'diagnose',
        attempt: 1,
        scriptSha256: current,
        notice: Texts.scriptChangedNotice(),
      }),
    ]);
  });

  test('the current hash is taken; a step that runs no script needs none', () => {
    expect(decide(diagnoseAwaiting(), approveDiagnose()).event).toMatchObject({ type: 'APPROVE' });
    const snapshot = recordAwaiting('snapshot-os-disk').record;
    const command: IncidentCommand = {
      type: 'approve',
      incidentId: id,
      stepId: 'snapshot-os-disk',
      attempt: 1,
      user: bob,
      from: testConversation,
    };
    expect(decide(snapshot, command).event).toMatchObject({ type: 'APPROVE', stepId: 'snapshot-os-disk' });
  });
});

describe('two-person rule', () => {
  const policy = policyWith([bob.id, carol.id], false, { twoPersonRisks: ['readOnly'] });

  test('the first approval is recorded, not sent to the machine: the card says who and waits for a second', () => {
    const decided = decide(diagnoseAwaiting(), approveDiagnose(), policy);
    expect(decided.event).toBeUndefined();
    expect(decided.approvals).toEqual([{ by: bob, at, params: {} }]);
    expect(decided.drafts).toEqual([
      {
        kind: 'step.approved',
        actor: bob.id,
        data: { stepId: 'diagnose', attempt: 1, params: {}, by: bob, approvals: 1, needs: 2 },
      },
    ]);
    expect(decided.messages).toEqual([
      expect.objectContaining({ kind: 'cardClosed', text: Texts.firstApproval('bob', at) }),
      expect.objectContaining({
        kind: 'stepCard',
        key: 'inc-1:diagnose:1',
        notice: Texts.secondApprovalNeeded('bob'),
        ...scriptHashOf('diagnose'),
      }),
    ]);
  });

  const afterBob = (): IncidentRecord => {
    const record = diagnoseAwaiting();
    return { ...record, pending: { ...record.pending!, approvals: [{ by: bob, at: T1 }] } };
  };
  const T1 = '2026-12-01T10:04:00.000Z';

  test('the same approver again: SECOND_APPROVER_NEEDED', () => {
    const refused = refusalOf(() => decide(afterBob(), approveDiagnose(), policy));
    expect({ code: refused.code, text: refused.text }).toEqual({
      code: ErrorCodes.SecondApproverNeeded,
      text: Texts.refused.secondApprover(),
    });
  });

  test('a second, different approver: APPROVE, the card closed naming both', () => {
    const record = afterBob();
    const decided = decide(record, approveDiagnose({ user: carol }), policy);
    expect(decided.event).toMatchObject({ type: 'APPROVE', decision: { by: carol, at } });
    expect(decided.messages).toEqual([
      expect.objectContaining({ kind: 'cardClosed', text: Texts.approved('bob + carol', at) }),
    ]);
    expect(transitionIncident(rdpMachine(), record.snapshot, decided.event!).state).toBe('diagnose.running');
  });

  test("the values that run are those both approved: the first approver's, never others chosen by the second", () => {
    // Reproduces a review finding: the second approval used to run its own values.
    const tls = policyWith([bob.id, carol.id], false, { twoPersonRisks: ['changesConfig'] });
    const { record } = recordAwaiting('enable-tls');
    const approve = (user: typeof bob, params?: Record<string, unknown>) =>
      ({
        type: 'approve',
        incidentId: id,
        stepId: 'enable-tls',
        attempt: 1,
        user,
        ...(params ? { params } : {}),
        ...card('enable-tls'),
      }) as const;
    const first = decide(record, approve(bob, { Versions: 'all' }), tls);
    const chosen = { Versions: 'all', PauseGroupPolicy: true };
    expect(first.approvals).toEqual([{ by: bob, at, params: chosen }]);
    // The fresh card's fields show the approved values, and its notice says so.
    const fresh = first.messages.find((m) => m.kind === 'stepCard');
    expect(fresh).toMatchObject({
      params: expect.arrayContaining([expect.objectContaining({ name: 'Versions', value: 'all' })]),
    });
    expect(JSON.stringify(fresh)).toContain('Versions=all');
    const waiting = { ...record, pending: { ...record.pending!, approvals: first.approvals! } };
    const other = refusalOf(() => decide(waiting, approve(carol, { Versions: '1.2' }), tls));
    expect({ code: other.code, text: other.text.en }).toEqual({
      code: ErrorCodes.InvalidParameter,
      text: Texts.refused.otherValues('Versions=all, PauseGroupPolicy=true').en,
    });
    expect(decide(waiting, approve(carol, { Versions: 'all' }), tls).event).toMatchObject({
      type: 'APPROVE',
      params: chosen,
    });
    // No values given (the terminal's plain `a`): the approved ones run.
    expect(decide(waiting, approve(carol), tls).event).toMatchObject({ type: 'APPROVE', params: chosen });
  });

  test('approvals of another attempt do not count; steps of other risks need one approval', () => {
    const record = afterBob();
    const stale = { ...record, pending: { ...record.pending!, attempt: 2 } };
    expect(decide(stale, approveDiagnose(), policy).event).toBeUndefined();
    const restartOnly = policyWith([bob.id, carol.id], false, { twoPersonRisks: ['restartsVm'] });
    expect(decide(diagnoseAwaiting(), approveDiagnose(), restartOnly).event).toMatchObject({
      type: 'APPROVE',
    });
  });
});

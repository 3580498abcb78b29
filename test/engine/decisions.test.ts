import { ErrorCodes } from '../../src/core/errors';
import {
  alice,
  bob,
  card,
  currentStep,
  driveToEnd,
  makeHarness,
  mallory,
  policyWith,
  startIncident,
  testConversation,
} from '../helpers/engine-harness';

async function untilStep(h: ReturnType<typeof makeHarness>, id: string, stepId: string) {
  for (let i = 0; i < 30; i++) {
    const now = await currentStep(h, id);
    if (now.stepId === stepId) return now;
    if (!now.stepId) throw new Error(`incident ended before ${stepId}`);
    const step = now.stepId;
    const result = ['no-cause-found', 'test-rdp'].includes(step)
      ? await h.engine.handle({
          type: 'answer',
          incidentId: id,
          stepId: step,
          attempt: now.attempt,
          answer: 'walk-article',
          user: bob,
          ...card(step),
        })
      : await h.engine.handle({
          type: 'approve',
          incidentId: id,
          stepId: step,
          attempt: now.attempt,
          user: bob,
          ...card(step),
        });
    expect(result.ok).toBe(true);
    await h.engine.idle();
  }
  throw new Error(`never reached ${stepId}`);
}

describe('who may decide', () => {
  test('someone off the approver list is refused, told privately, and it is in the transcript', async () => {
    const h = makeHarness();
    const id = await startIncident(h, 'sim-all-three');
    const result = await h.engine.handle({
      type: 'approve',
      incidentId: id,
      stepId: 'diagnose',
      attempt: 1,
      user: mallory,
      ...card('diagnose'),
    });
    expect(result).toMatchObject({
      ok: false,
      code: ErrorCodes.NotAuthorised,
      message: { en: 'You are not on the approver list for rdp-fix steps.' },
    });
    await h.engine.idle();
    expect(h.vm.calls).toEqual([]);
    expect(h.messages('refusal')).toEqual([
      { kind: 'refusal', to: mallory, text: expect.objectContaining({ it: expect.any(String) }) },
    ]);
    const refused = (await h.store.transcript(id)).filter((e) => e.kind === 'step.refused');
    expect(refused).toMatchObject([
      { actor: mallory.id, data: { code: ErrorCodes.NotAuthorised, command: 'approve' } },
    ]);
    expect((await currentStep(h, id)).stepId).toBe('diagnose');
  });

  test('the requester cannot approve their own steps when an approver list is set', async () => {
    const h = makeHarness({
      policy: policyWith([alice.id, bob.id], false, { ttlMs: 60_000 }),
    });
    const id = await startIncident(h, 'sim-healthy', alice);
    const result = await h.engine.handle({
      type: 'approve',
      incidentId: id,
      stepId: 'diagnose',
      attempt: 1,
      user: alice,
      ...card('diagnose'),
    });
    expect(result).toMatchObject({ ok: false, code: ErrorCodes.NotAuthorised });
    expect(
      (
        await h.engine.handle({
          type: 'approve',
          incidentId: id,
          stepId: 'diagnose',
          attempt: 1,
          user: bob,
          ...card('diagnose'),
        })
      ).ok,
    ).toBe(true);
  });

  test('self-approval allowed by configuration', async () => {
    const h = makeHarness({ policy: policyWith([alice.id], true, { ttlMs: 60_000 }) });
    const id = await startIncident(h, 'sim-healthy', alice);
    expect(
      (
        await h.engine.handle({
          type: 'approve',
          incidentId: id,
          stepId: 'diagnose',
          attempt: 1,
          user: alice,
          ...card('diagnose'),
        })
      ).ok,
    ).toBe(true);
  });

  test('without an approver list only the requester decides', async () => {
    const h = makeHarness({ policy: policyWith([], undefined, { ttlMs: 60_000 }) });
    const id = await startIncident(h, 'sim-healthy', alice);
    expect(
      await h.engine.handle({
        type: 'approve',
        incidentId: id,
        stepId: 'diagnose',
        attempt: 1,
        user: bob,
        ...card('diagnose'),
      }),
    ).toMatchObject({
      ok: false,
      code: ErrorCodes.NotAuthorised,
    });
    await driveToEnd(h, id, alice);
    expect((await h.store.get(id))?.outcome).toBe('resolved');
  });
});

describe('an approval is consumed once', () => {
  test('a second approval of the same step is refused with who approved it', async () => {
    const h = makeHarness();
    const id = await startIncident(h, 'sim-healthy');
    expect(
      (
        await h.engine.handle({
          type: 'approve',
          incidentId: id,
          stepId: 'diagnose',
          attempt: 1,
          user: bob,
          ...card('diagnose'),
        })
      ).ok,
    ).toBe(true);
    const again = await h.engine.handle({
      type: 'approve',
      incidentId: id,
      stepId: 'diagnose',
      attempt: 1,
      user: bob,
      ...card('diagnose'),
    });
    expect(again).toMatchObject({
      ok: false,
      code: ErrorCodes.StepNotCurrent,
      message: { en: expect.stringMatching(/^Already approved by bob at /) },
    });
    await h.engine.idle();
    expect(h.vm.calls).toHaveLength(1);
  });

  test('ten simultaneous approvals (double clicks, two approvers) dispatch once', async () => {
    const carol = { id: 'U_CAROL', name: 'carol' };
    const h = makeHarness({
      policy: policyWith([bob.id, carol.id], false, { ttlMs: 60_000 }),
    });
    const id = await startIncident(h, 'sim-all-three');
    const clicks = Array.from({ length: 10 }, (_, i) =>
      h.engine.handle({
        type: 'approve',
        incidentId: id,
        stepId: 'diagnose',
        attempt: 1,
        user: i % 2 ? bob : carol,
        ...card('diagnose'),
      }),
    );
    const results = await Promise.all(clicks);
    await h.engine.idle();
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok).every((r) => !r.ok && r.code === ErrorCodes.StepNotCurrent)).toBe(
      true,
    );
    expect(h.vm.calls.filter((c) => c.stepId === 'diagnose')).toHaveLength(1);
  });

  test('a card for another step, or an old attempt, is refused', async () => {
    const h = makeHarness();
    const id = await startIncident(h, 'sim-all-three');
    expect(
      await h.engine.handle({
        type: 'approve',
        incidentId: id,
        stepId: 'restart-vm',
        attempt: 1,
        user: bob,
        ...card('restart-vm'),
      }),
    ).toMatchObject({ ok: false, code: ErrorCodes.StepNotCurrent });
    expect(
      await h.engine.handle({
        type: 'approve',
        incidentId: id,
        stepId: 'diagnose',
        attempt: 7,
        user: bob,
        ...card('diagnose'),
      }),
    ).toMatchObject({ ok: false, code: ErrorCodes.StepNotCurrent });
    expect(
      await h.engine.handle({
        type: 'approve',
        incidentId: id,
        stepId: 'no-such-step',
        attempt: 1,
        user: bob,
        ...card('no-such-step'),
      }),
    ).toMatchObject({ ok: false, code: ErrorCodes.StepNotCurrent });
    await h.engine.idle();
    expect(h.vm.calls).toEqual([]);
  });
});

describe('hostile and out-of-range parameters', () => {
  test.each([
    [
      { Port: '3390; Restart-Computer -Force' },
      /Port must be a whole number from 1025 to 65535, not "3390; Restart-Computer -Force"/,
    ],
    [{ Port: 80 }, /Port must be a whole number from 1025 to 65535, not "80"/],
    [{ Port: 3390.5 }, /Port must be a whole number/],
    [{ Port: '$(whoami)' }, /Port must be a whole number/],
    [{ Port: 3391, Extra: 'x' }, /unknown parameter "Extra"/],
    [{ Port: 'A'.repeat(10_000) }, /not "A{60}…"/],
  ])('%j is refused with a clear message and nothing runs', async (params, message) => {
    const h = makeHarness();
    const id = await startIncident(h, 'sim-port-unstoppable');
    const at = await untilStep(h, id, 'change-rdp-port');
    const before = h.vm.calls.length;
    const result = await h.engine.handle({
      type: 'approve',
      incidentId: id,
      stepId: 'change-rdp-port',
      attempt: at.attempt,
      user: bob,
      params,
      ...card('change-rdp-port'),
    });
    expect(result).toMatchObject({ ok: false, code: ErrorCodes.InvalidParameter });
    expect(!result.ok && result.message.en).toMatch(message);
    expect(!result.ok && result.message.en.length).toBeLessThan(300);
    await h.engine.idle();
    expect(h.vm.calls.length).toBe(before);
    // The step still waits; a valid port goes through, passed as a parameter.
    const ok = await h.engine.handle({
      type: 'approve',
      incidentId: id,
      stepId: 'change-rdp-port',
      attempt: at.attempt,
      user: bob,
      params: { Port: '3391' },
      ...card('change-rdp-port'),
    });
    expect(ok.ok).toBe(true);
    await h.engine.idle();
    expect(h.vm.calls.at(-1)).toMatchObject({ stepId: 'change-rdp-port', params: { Port: '3391' } });
  });

  test('a hostile service name never reaches the VM', async () => {
    const h = makeHarness();
    const id = await startIncident(h, 'sim-port-stoppable');
    const at = await untilStep(h, id, 'free-rdp-port');
    for (const name of ['W3SVC; Stop-Computer', '$(whoami)', 'a b', '`calc`', 'ünïcode', '']) {
      const result = await h.engine.handle({
        type: 'approve',
        incidentId: id,
        stepId: 'free-rdp-port',
        attempt: at.attempt,
        user: bob,
        params: { ServiceName: name },
        ...card('free-rdp-port'),
      });
      expect(result).toMatchObject({ ok: false, code: ErrorCodes.InvalidParameter });
    }
    await h.engine.idle();
    expect(h.vm.calls.map((c) => c.stepId)).toEqual(['diagnose', 'check-rdp-security', 'snapshot-os-disk']);
  });

  test('an answer that is not one of the question answers is refused', async () => {
    const h = makeHarness();
    const id = await startIncident(h, 'sim-healthy');
    await untilStep(h, id, 'no-cause-found');
    const result = await h.engine.handle({
      type: 'answer',
      incidentId: id,
      stepId: 'no-cause-found',
      attempt: 1,
      answer: '<script>alert(1)</script>',
      user: bob,
      ...card('no-cause-found'),
    });
    expect(result).toMatchObject({
      ok: false,
      code: ErrorCodes.InvalidAnswer,
      message: { en: '"<script>alert(1)</script>" is not one of this question\'s answers.' },
    });
  });
});

describe('abort, expiry and closed incidents', () => {
  test('abort while a card waits: the card closes, the summary says aborted, later clicks are refused', async () => {
    const h = makeHarness();
    const id = await startIncident(h, 'sim-all-three');
    expect(
      await h.engine.handle({ type: 'abort', incidentId: id, user: mallory, from: testConversation }),
    ).toMatchObject({
      ok: false,
      code: ErrorCodes.NotAuthorised,
    });
    expect(
      (
        await h.engine.handle({
          type: 'abort',
          incidentId: id,
          user: alice,
          reason: 'wrong VM',
          from: testConversation,
        })
      ).ok,
    ).toBe(true);
    expect(await h.store.get(id)).toMatchObject({ status: 'closed', outcome: 'aborted' });
    // The command returns once its transition is saved; its messages follow: wait for them
    // (this read them a few microtasks later and passed only while delivery took fewer).
    await h.engine.idle();
    expect(h.messages('summary')[0]).toMatchObject({ outcome: 'aborted', reason: 'wrong VM' });
    expect(h.messages('cardClosed').at(-1)).toMatchObject({ stepId: 'diagnose', text: { en: 'Aborted.' } });
    expect(
      await h.engine.handle({
        type: 'approve',
        incidentId: id,
        stepId: 'diagnose',
        attempt: 1,
        user: bob,
        ...card('diagnose'),
      }),
    ).toMatchObject({ ok: false, code: ErrorCodes.IncidentClosed });
    await h.engine.idle();
    expect(h.vm.calls).toEqual([]);
  });

  test('an approval expires at its deadline, kept as data; the incident closes', async () => {
    const tasks: { ms: number; run: () => void }[] = [];
    const h = makeHarness({
      policy: policyWith([bob.id], false, { ttlMs: 15 * 60_000 }),
      schedule: (ms: number, run: () => void) => {
        tasks.push({ ms, run });
        return () => {};
      },
    });
    const engine = h.engine;
    const started = await engine.handle({
      type: 'start',
      vm: { subscriptionId: 's', resourceGroup: 'rg', name: 'sim-healthy' },
      requester: alice,
      channel: { platform: 'cli', channel: 'c' },
      locale: 'it',
    });
    await engine.idle();
    const id = started.ok ? started.incidentId : '';
    const record = await h.store.get(id);
    expect(record?.pending).toMatchObject({ stepId: 'diagnose', attempt: 1 });
    expect(Date.parse(record!.pending!.deadline) - Date.parse(record!.updatedAt)).toBeGreaterThanOrEqual(
      15 * 60_000 - 1000,
    );
    expect(tasks.at(-1)?.ms).toBeGreaterThan(14 * 60_000);
    tasks.at(-1)!.run();
    await engine.idle();
    expect(await h.store.get(id)).toMatchObject({ status: 'closed', outcome: 'expired', pending: null });
    expect(h.messages('cardClosed').at(-1)).toMatchObject({
      text: { it: expect.stringContaining('scaduta') },
    });
    expect(h.vm.calls).toEqual([]);
  });

  test('an unknown incident id', async () => {
    const h = makeHarness();
    expect(
      await h.engine.handle({
        type: 'approve',
        incidentId: 'nope',
        stepId: 'diagnose',
        attempt: 1,
        user: bob,
        ...card('diagnose'),
      }),
    ).toMatchObject({
      ok: false,
      code: ErrorCodes.IncidentNotFound,
      message: { en: 'There is no incident nope.' },
    });
  });
});

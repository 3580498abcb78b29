import fc from 'fast-check';
import { verifyChain } from '../../src/core/transcript';
import type { User } from '../../src/core/types';
import { ScenarioNames } from '../../src/simulator/scenarios';
import {
  alice,
  bob,
  card,
  currentStep,
  makeHarness,
  mallory,
  policyWith,
  rdpPlaybook,
  startIncident,
  testConversation,
} from '../helpers/engine-harness';

/**
 * Random command sequences from several people against one incident: approvals of the
 * current step, of old attempts and of other steps, double clicks, skips, answers, aborts.
 * Whatever happens: nothing is dispatched twice, nothing runs without an authorised
 * approval recorded before it, and the transcript chain verifies.
 */
const carol: User = { id: 'U_CAROL', name: 'carol' };
const people = [alice, bob, carol, mallory];
const policy = policyWith([bob.id, carol.id], false, { ttlMs: 3_600_000 });
const stepIds = rdpPlaybook().steps.map((s) => s.id);

type Move =
  | { kind: 'approveCurrent' | 'skipCurrent' | 'doubleApprove'; who: number }
  | { kind: 'answerCurrent'; who: number; answer: number }
  | { kind: 'approveOther'; who: number; step: number; attemptDelta: number }
  | { kind: 'abort'; who: number };

const move: fc.Arbitrary<Move> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('approveCurrent' as const), who: fc.nat(3) }) },
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('answerCurrent' as const), who: fc.nat(3), answer: fc.nat(3) }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('doubleApprove' as const), who: fc.nat(3) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('skipCurrent' as const), who: fc.nat(3) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('approveOther' as const),
      who: fc.nat(3),
      step: fc.nat(stepIds.length - 1),
      attemptDelta: fc.integer({ min: -1, max: 1 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('abort' as const), who: fc.nat(3) }) },
);

test('invariants hold under random command sequences', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...ScenarioNames),
      fc.array(move, { minLength: 1, maxLength: 40 }),
      async (scenario, moves) => {
        const h = makeHarness({ policy });
        const id = await startIncident(h, scenario, alice);
        for (const m of moves) {
          const now = await currentStep(h, id);
          const user = people[m.who]!;
          const step = now.stepId ? rdpPlaybook().stepById.get(now.stepId) : undefined;
          const base = { incidentId: id, attempt: now.attempt, user };
          switch (m.kind) {
            case 'approveCurrent':
              if (now.stepId)
                await h.engine.handle({ type: 'approve', stepId: now.stepId, ...base, ...card(now.stepId) });
              break;
            case 'doubleApprove':
              if (now.stepId) {
                await Promise.all([
                  h.engine.handle({ type: 'approve', stepId: now.stepId, ...base, ...card(now.stepId) }),
                  h.engine.handle({
                    type: 'approve',
                    stepId: now.stepId,
                    ...base,
                    user: people[(m.who + 1) % 4]!,
                    ...card(now.stepId),
                  }),
                ]);
              }
              break;
            case 'skipCurrent':
              if (now.stepId)
                await h.engine.handle({ type: 'skip', stepId: now.stepId, ...base, ...card(now.stepId) });
              break;
            case 'answerCurrent':
              if (now.stepId && step && 'answers' in step) {
                await h.engine.handle({
                  type: 'answer',
                  stepId: now.stepId,
                  answer: step.answers[m.answer % step.answers.length]!.id,
                  ...base,
                  ...card(now.stepId),
                });
              }
              break;
            case 'approveOther':
              await h.engine.handle({
                type: 'approve',
                incidentId: id,
                stepId: stepIds[m.step]!,
                attempt: now.attempt + m.attemptDelta,
                user,
                ...card(stepIds[m.step]!),
              });
              break;
            case 'abort':
              await h.engine.handle({ type: 'abort', incidentId: id, user, from: testConversation });
              break;
          }
          await h.engine.idle();
        }

        // Nothing dispatched twice.
        const keys = h.vm.calls.map((c) => `${c.stepId}#${c.attempt}`);
        expect(new Set(keys).size).toBe(keys.length);
        // Only authorised approvers, never the requester (self-approval is off).
        for (const c of h.vm.calls) expect(policy.approvers.cli).toContain(c.approvedBy);
        // Every dispatch follows a recorded approval of that exact step attempt by the same person.
        const transcript = await h.store.transcript(id);
        for (const c of h.vm.calls) {
          const approval = transcript.find(
            (e) => e.kind === 'step.approved' && e.data.stepId === c.stepId && e.data.attempt === c.attempt,
          );
          expect(approval?.actor).toBe(c.approvedBy);
        }
        // Nothing runs after the end.
        const record = await h.store.get(id);
        const ended = transcript.findIndex((e) => e.kind === 'incident.ended');
        if (ended >= 0) {
          expect(record?.status).toBe('closed');
          expect(transcript.slice(ended).some((e) => e.kind === 'step.approved')).toBe(false);
        }
        expect(verifyChain(transcript).ok).toBe(true);
      },
    ),
    { numRuns: 150 },
  );
});

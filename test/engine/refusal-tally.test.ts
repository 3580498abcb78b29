import { RefusalAnswerEveryMs, RefusalQuietMs, RefusalTally } from '../../src/engine/refusal-tally';

/** The tally of refusals per person and card, by its return values and a clock passed in. */
const draft = {
  kind: 'step.refused' as const,
  actor: 'U_M',
  data: { command: 'approve', code: 'NOT_AUTHORISED' },
};

test('the first refusal is written and said; repeats are counted, said once per few seconds', () => {
  const tally = new RefusalTally();
  expect(tally.note('k', 'inc', draft, 0)).toEqual({ write: true, answer: true });
  for (let t = 1; t < 300; t++)
    expect(tally.note('k', 'inc', draft, t)).toEqual({ write: false, answer: false });
  expect(tally.note('k', 'inc', draft, RefusalAnswerEveryMs)).toEqual({ write: false, answer: true });
  // Another card or person is counted apart.
  expect(tally.note('k2', 'inc', draft, 10)).toEqual({ write: true, answer: true });
});

test('the repeats are written once the person stopped, as one entry with their count; all of them at shutdown', () => {
  const tally = new RefusalTally();
  for (let t = 0; t < 5; t++) tally.note('k', 'inc', draft, t);
  expect(tally.drain(10, false)).toEqual([]);
  expect(tally.drain(4 + RefusalQuietMs, false)).toEqual([
    { key: 'k', incidentId: 'inc', draft: { ...draft, data: { ...draft.data, repeated: true, count: 4 } } },
  ]);
  expect(tally.drain(4 + RefusalQuietMs, false)).toEqual([]);
  tally.note('k', 'inc', draft, 20_000);
  expect(tally.drain(20_001, true)).toMatchObject([{ draft: { data: { count: 1 } } }]);
  expect(tally.size).toBe(0);
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ActorLogic, SnapshotFrom } from 'xstate';
import { getAdjacencyMap, getShortestPaths } from 'xstate/graph';
import { stateText } from '../../src/engine/incident-engine';
import { compilePlaybook, stepOfState } from '../../src/playbook/compile-playbook';
import { applies } from '../../src/playbook/machine-setup';
import type { IncidentEvent, IncidentInput, StepRunResult } from '../../src/playbook/machine-types';
import { needsApproval } from '../../src/playbook/outcomes';
import { defaultParams, factsOf } from '../../src/playbook/step-params';
import { AllThreeSteps, alice, bob, rdpPlaybook } from '../helpers/engine-harness';

/**
 * Walks every reachable state of the compiled article machine, feeding it every event a
 * person or a dispatch could produce, with real-shaped evidence for the diagnostic steps.
 */
const playbook = rdpPlaybook();
const compiled = compilePlaybook(playbook);
type Snap = SnapshotFrom<typeof compiled>;
// xstate/graph's signature does not carry the machine's emitted-event type through ActorScope.
const machine = compiled as unknown as ActorLogic<Snap, IncidentEvent, IncidentInput>;

const evidence = ['healthy', 'port-w3svc', 'all-three-domain', 'nothing-listening-no-cert'].map((name) =>
  JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'evidence', `${name}.json`), 'utf8')),
);
const decision = { by: bob, at: '2026-11-25T12:00:00Z' };
/** verify.ps1 prints the evidence and what it did about Group Policy: switched it back on, or could not. */
const restored = { wasPaused: true, savedStart: 2, restored: true, gpupdateExitCode: 0, error: null };
const stillPaused = {
  ...restored,
  restored: false,
  gpupdateExitCode: null,
  error: 'sc.exe config gpsvc failed with exit code 5',
};
const verifyEvidence = [
  ...evidence.map((e) => ({ ...e, groupPolicy: restored })),
  { ...evidence[0], groupPolicy: stillPaused },
];

const undos: IncidentEvent[] = [
  { type: 'UNDO', decision },
  { type: 'UNDO', decision, step: 'enable-tls' },
  { type: 'UNDO', decision, step: 'change-rdp-port' },
];

function eventsFor(snapshot: Snap): IncidentEvent[] {
  if (snapshot.status === 'done') return [];
  const abort: IncidentEvent = { type: 'ABORT', decision: { by: alice, at: decision.at } };
  if (stateText(snapshot.value) === 'preflight') {
    return (['ready', 'agentNotReady', 'stopped', 'notRunning', 'notFound', 'error'] as const).map(
      (status) => ({
        type: 'VM_STATUS',
        status,
      }),
    );
  }
  const at = stepOfState(snapshot.value);
  const current = snapshot.context.current;
  if (!at || !current) return [abort];
  const step = playbook.stepById.get(at.stepId)!;
  const { stepId, attempt } = current;
  if (at.phase === 'awaiting') {
    const expire: IncidentEvent = { type: 'EXPIRE', stepId, attempt, at: decision.at };
    if ('answers' in step) {
      return [
        ...step.answers.map((a) => ({ type: 'ANSWER' as const, stepId, attempt, answer: a.id, decision })),
        ...undos,
        expire,
        abort,
      ];
    }
    // Approved with the card's defaults, as the engine resolves them (decide-command.ts).
    const params = defaultParams('params' in step ? step.params : {}, factsOf(snapshot.context));
    return [
      { type: 'APPROVE', stepId, attempt, decision, params },
      { type: 'SKIP', stepId, attempt, decision },
      // `undo <id>` and `undo <id> <step>` (the machine takes them once a change was made).
      ...undos,
      // An approval for another step, or an old attempt, must change nothing.
      { type: 'APPROVE', stepId: 'restart-vm', attempt: attempt + 1, decision, params: {} },
      expire,
      abort,
    ];
  }
  const results: StepRunResult[] = [
    { outcome: 'failed', error: { code: 'X', message: 'x' } },
    { outcome: 'unreadable' },
    { outcome: 'unknown' },
    ...(step.kind === 'runCommand' && step.evidence
      ? (step.id === 'verify' ? verifyEvidence : evidence).map((data) => ({ outcome: 'ok' as const, data }))
      : [{ outcome: 'ok' as const, data: {} }]),
  ];
  return [...results.map((result) => ({ type: 'STEP_RESULT' as const, stepId, attempt, result })), abort];
}

/**
 * What decides the future of an incident: its state, for every step with a `when` whether it
 * applies (context reaches the machine's guards only through `applies`), and the undos owed
 * with the end an undo step interrupted.
 */
const conditional = playbook.steps.filter((s) => s.when);
/**
 * Steps a `when.ran` names: whether they ran decides the future even while a `when.if` hides it
 * from `applies` (undo-nsg-rule needs update-nsg-rule AND the undo's Step, known only later).
 */
const ranMatters = [...new Set(conditional.flatMap((s) => s.when?.ran ?? []))];
function serializeState(snapshot: Snap): string {
  const { owedUndo, pendingEnd, undoStep, features } = snapshot.context;
  return JSON.stringify([
    features ?? [],
    stateText(snapshot.value),
    conditional.map((s) => applies(s, snapshot.context)),
    owedUndo ?? [],
    pendingEnd?.outcome ?? null,
    undoStep ?? null,
    ranMatters.filter((id) => snapshot.context.steps[id]?.outcome === 'ok'),
  ]);
}

/** Walked twice: the offline repair switched off (manual guidance) and on (the rescue VM steps). */
const adjacency = (features: IncidentInput['features']) =>
  getAdjacencyMap(machine, {
    input: { incidentId: 'graph', requester: alice, features },
    events: eventsFor,
    serializeState,
    serializeEvent: (e) => JSON.stringify(e),
  });
const vertices = [...Object.entries(adjacency([])), ...Object.entries(adjacency(['rescue']))];
/** The transitions out of one state (the map's keys are branded strings, hence the cast). */
const edges = (transitions: object) => Object.values(transitions) as { event: IncidentEvent; state: Snap }[];

test('the traversal covers every step of the playbook', () => {
  const seen = new Set(vertices.map(([, v]) => stepOfState(v.state.value)?.stepId).filter(Boolean));
  expect([...seen].sort()).toEqual(playbook.steps.map((s) => s.id).sort());
  expect(vertices.length).toBeGreaterThan(200);
});

test('every state is final or waits: for a person (awaiting, preflight) or for a dispatched step', () => {
  for (const [, { state }] of vertices) {
    if (state.status === 'done') {
      expect(['resolved', 'unresolved', 'aborted', 'expired', 'failed']).toContain(stateText(state.value));
      continue;
    }
    const text = stateText(state.value);
    expect(text === 'preflight' || text.endsWith('.awaiting') || text.endsWith('.running')).toBe(true);
    // A running step is a VM or Azure step: questions and manual steps never run anything.
    if (text.endsWith('.running'))
      expect(needsApproval(playbook.stepById.get(stepOfState(state.value)!.stepId)!)).toBe(true);
  }
});

test('on no path does a VM or Azure step start without an approval of that exact step', () => {
  let starts = 0;
  for (const [, { state, transitions }] of vertices) {
    for (const { event, state: next } of edges(transitions)) {
      const to = stepOfState(next.value);
      const from = stepOfState(state.value);
      if (to?.phase !== 'running' || (from?.stepId === to.stepId && from.phase === 'running')) continue;
      starts += 1;
      expect(event.type).toBe('APPROVE');
      if (event.type === 'APPROVE') {
        expect(event.stepId).toBe(to.stepId);
        expect(next.context.steps[to.stepId]?.approvedBy).toEqual(event.decision);
      }
    }
  }
  expect(starts).toBeGreaterThan(20);
});

test('events for another step or an old attempt change nothing', () => {
  let checked = 0;
  for (const [key, { transitions }] of vertices) {
    for (const { event, state: next } of edges(transitions)) {
      if (event.type === 'APPROVE' && event.stepId === 'restart-vm' && next) {
        const current = JSON.parse(key)[1] as string;
        if (!current.startsWith('restart-vm.')) {
          expect(serializeState(next)).toBe(key);
          checked += 1;
        }
      }
    }
  }
  expect(checked).toBeGreaterThan(10);
});

test('from every state an end can still be reached (no trap)', () => {
  const reachesEnd = new Set(vertices.filter(([, v]) => v.state.status === 'done').map(([k]) => k));
  let grew = true;
  while (grew) {
    grew = false;
    for (const [key, { transitions }] of vertices) {
      if (reachesEnd.has(key)) continue;
      if (edges(transitions).some((t) => reachesEnd.has(serializeState(t.state)))) {
        reachesEnd.add(key);
        grew = true;
      }
    }
  }
  expect(vertices.filter(([k]) => !reachesEnd.has(k)).map(([k]) => k)).toEqual([]);
});

test('the shortest resolution of "all three causes" restarts once and runs the fixes in article order', () => {
  const paths = getShortestPaths(machine, {
    input: { incidentId: 'graph', requester: alice },
    events: (s: Snap) =>
      eventsFor(s).filter(
        (e) =>
          e.type !== 'ABORT' &&
          e.type !== 'EXPIRE' &&
          e.type !== 'SKIP' &&
          !(e.type === 'VM_STATUS' && e.status !== 'ready') &&
          !(e.type === 'STEP_RESULT' && e.result.outcome !== 'ok') &&
          // The first diagnosis finds all three causes, the verification none.
          !(e.type === 'STEP_RESULT' && e.stepId === 'diagnose' && e.result.data !== evidence[2]) &&
          !(e.type === 'STEP_RESULT' && e.stepId === 'verify' && e.result.data !== verifyEvidence[0]),
      ),
    serializeState,
    toState: (s: Snap) => stateText(s.value) === 'resolved',
  });
  expect(paths.length).toBeGreaterThan(0);
  const approved = paths[0]!.steps
    .map((s) => s.event)
    .filter((e) => e.type === 'APPROVE')
    .map((e) => (e as { stepId: string }).stepId);
  expect(approved).toEqual(AllThreeSteps);
});

test('once a rescue resource may exist, every way to an end passes the rescue clean-up', () => {
  const owing = vertices.filter(([, v]) =>
    (v.state.context.owedUndo ?? []).some((s: string) => s.startsWith('rescue-')),
  );
  expect(owing.length).toBeGreaterThan(10);
  for (const [, { transitions }] of owing) {
    for (const { state: next } of edges(transitions)) {
      if (next.status === 'done')
        throw new Error(`ended ${stateText(next.value)} with rescue resources owed`);
    }
  }
});

describe('Group Policy never stays paused (enable-tls owes restore-group-policy)', () => {
  const afterEnableTls = vertices.filter(([, v]) => v.state.context.owedUndo?.includes('enable-tls'));

  test('no end is reached while the undo is owed', () => {
    expect(afterEnableTls.length).toBeGreaterThan(10);
    for (const [, { state }] of vertices) {
      if (state.status === 'done') expect(state.context.owedUndo ?? []).toEqual([]);
    }
  });

  test('every way to an end after enable-tls offers restore-group-policy, unless verify switched it back on', () => {
    const ends = new Map<string, number>();
    for (const [, { transitions }] of afterEnableTls) {
      for (const { event, state: next } of edges(transitions)) {
        const to = stateText(next.value);
        // Leaving the owing states: either verify settled the undo, or the undo step is offered.
        if ((next.context.owedUndo ?? []).includes('enable-tls')) continue;
        const settledByVerify = event.type === 'STEP_RESULT' && event.stepId === 'verify';
        const offered = to === 'restore-group-policy.awaiting';
        expect(settledByVerify || offered).toBe(true);
        if (offered) {
          const end = next.context.pendingEnd?.outcome ?? 'none';
          ends.set(`${event.type}->${end}`, (ends.get(`${event.type}->${end}`) ?? 0) + 1);
        }
      }
    }
    // Abort, an expired approval, a failed restart and answers that end the incident all pass the undo.
    expect([...ends.keys()]).toEqual(
      expect.arrayContaining([
        'ABORT->aborted',
        'EXPIRE->expired',
        'STEP_RESULT->unresolved',
        'ANSWER->resolved',
      ]),
    );
  });

  test('verify with Group Policy still paused leaves the undo owed; the undo step resumes the end', () => {
    const owedAfterVerify = afterEnableTls.some(([, v]) =>
      edges(v.transitions).some(
        (t) =>
          t.event.type === 'STEP_RESULT' &&
          t.event.stepId === 'verify' &&
          (t.state.context.owedUndo ?? []).includes('enable-tls'),
      ),
    );
    expect(owedAfterVerify).toBe(true);
    const fromUndo = vertices.filter(([, v]) => stateText(v.state.value) === 'restore-group-policy.running');
    expect(fromUndo.length).toBeGreaterThan(0);
    for (const [, { state, transitions }] of fromUndo) {
      for (const { event, state: next } of edges(transitions)) {
        if (event.type !== 'STEP_RESULT' || event.result.outcome === 'unknown') continue;
        // Another undo still owed (the rescue clean-up) comes first, holding the same end.
        if (next.status !== 'done') {
          expect(stateText(next.value)).toBe('rescue-cleanup.awaiting');
          expect(next.context.pendingEnd?.outcome).toBe(state.context.pendingEnd?.outcome);
          continue;
        }
        expect(stateText(next.value)).toBe(state.context.pendingEnd?.outcome);
      }
    }
  });
});

describe('undo <id> [step]', () => {
  const undone = (v: { state: Snap }) => v.state.context.steps['undo-changes']?.params?.Step;

  test('the undo card defaults to the step asked for, or all', () => {
    const cards = vertices.filter(([, v]) => stateText(v.state.value) === 'undo-changes.awaiting');
    const asked = new Set(cards.map(([, v]) => v.state.context.undoStep ?? 'all'));
    expect([...asked].sort()).toEqual(['all', 'change-rdp-port', 'enable-tls']);
    for (const [, v] of cards) {
      const defaults = defaultParams(
        (playbook.stepById.get('undo-changes') as { params: Parameters<typeof defaultParams>[0] }).params,
        factsOf(v.state.context),
      );
      expect(defaults.Step).toBe(v.state.context.undoStep ?? 'all');
    }
  });

  test('the NSG rule goes back only after an undo that put the port back (all, or change-rdp-port)', () => {
    const nsgUndo = vertices.filter(([, v]) => stateText(v.state.value) === 'undo-nsg-rule.awaiting');
    expect(nsgUndo.length).toBeGreaterThan(0);
    for (const [, v] of nsgUndo) expect(['all', 'change-rdp-port']).toContain(undone(v));
    // After undoing only the TLS change the incident never reaches the NSG undo.
    const tlsOnly = vertices.filter(
      ([, v]) => undone(v) === 'enable-tls' && v.state.context.steps['update-nsg-rule']?.outcome === 'ok',
    );
    expect(tlsOnly.length).toBeGreaterThan(0);
    for (const [, v] of tlsOnly) expect(stateText(v.state.value)).not.toMatch(/^undo-nsg-rule/);
  });
});

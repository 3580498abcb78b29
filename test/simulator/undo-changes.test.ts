import { join } from 'node:path';
import { ResultMarker } from '../../src/playbook/script-header';
import { readScript } from '../../src/playbook/script-includes';
import { Scenarios } from '../../src/simulator/scenarios';
import { SimulatedWindowsVm } from '../../src/simulator/windows-vm';
import { playbookDir } from '../helpers/engine-harness';

/**
 * Undo for every changing step (issue 16): the script changes the simulated VM, undo-changes
 * puts it back, and the state after the undo equals the state before, field by field. The
 * simulator's journal mirrors lib/undo-journal.ps1 (saved before the change, removed when the
 * step put everything back itself).
 */
const now = () => new Date('2026-12-01T10:00:00Z');
const scripts = join(playbookDir, 'scripts');

/** Runs a script as the engine sends it: with the incident id it supplies itself (IncidentId). */
function run(vm: SimulatedWindowsVm, id: string, params: Record<string, string> = {}, incidentId = 'inc-1') {
  const line =
    vm
      .run(readScript(scripts, `${id}.ps1`), { ...params, IncidentId: incidentId })
      .stdout.trim()
      .split('\n')
      .at(-1) ?? '';
  expect(line.startsWith(`${ResultMarker} `)).toBe(true);
  return JSON.parse(line.slice(ResultMarker.length + 1)) as { ok: boolean; data: Record<string, unknown> };
}

test.each([
  ['enable-tls', 'sim-tls-disabled', { Versions: 'all', PauseGroupPolicy: 'true' }],
  ['enable-tls', 'sim-tls-disabled-by-default', { Versions: '1.2', PauseGroupPolicy: 'false' }],
  ['change-rdp-port', 'sim-port-unstoppable', { Port: '3390' }],
  ['free-rdp-port', 'sim-port-stoppable', { ServiceName: 'W3SVC' }],
  ['reset-machinekeys-acl', 'sim-key-unreadable', {}],
  ['enable-rdp', 'sim-rdp-disabled', {}],
  ['enable-rdp', 'sim-termservice-disabled', {}],
])('%s on %s, then undo-changes: the VM is as before, field by field', (step, scenario, params) => {
  const vm = new SimulatedWindowsVm(scenario, Scenarios[scenario]!(now()), now);
  const before = structuredClone(vm.state);
  const fixed = run(vm, step, params);
  expect(fixed.ok).toBe(true);
  expect(vm.state).not.toEqual(before);
  expect(vm.state.undoJournal.map((e) => e.step)).toEqual([step]);

  const undone = run(vm, 'undo-changes');
  expect(undone).toMatchObject({ ok: true, data: { restored: [step], failed: [] } });
  for (const field of Object.keys(before) as (keyof typeof before)[]) {
    expect([field, vm.state[field]]).toEqual([field, before[field]]);
  }
});

test('several changes are undone newest first, and a second undo changes nothing', () => {
  const vm = new SimulatedWindowsVm('sim-all-three', Scenarios['sim-all-three']!(now()), now);
  const before = structuredClone(vm.state);
  run(vm, 'reset-machinekeys-acl');
  run(vm, 'enable-tls', { Versions: '1.2', PauseGroupPolicy: 'true' });
  expect(run(vm, 'undo-changes').data.restored).toEqual(['enable-tls', 'reset-machinekeys-acl']);
  expect(vm.state).toEqual(before);
  expect(run(vm, 'undo-changes')).toMatchObject({ ok: true, data: { restored: [] } });
  expect(vm.state).toEqual(before);
});

test('a port change that rolled itself back leaves nothing to undo', () => {
  const vm = new SimulatedWindowsVm(
    'sim-port-no-firewall-rule',
    Scenarios['sim-port-no-firewall-rule']!(now()),
    now,
  );
  expect(run(vm, 'change-rdp-port', { Port: '3390' }).ok).toBe(false);
  expect(vm.state.undoJournal).toEqual([]);
});

test("an undo puts back this incident's changes only: an earlier incident's fix stays", () => {
  const vm = new SimulatedWindowsVm('sim-all-three', Scenarios['sim-all-three']!(now()), now);
  run(vm, 'reset-machinekeys-acl', {}, 'inc-earlier');
  const afterEarlier = structuredClone(vm.state);
  run(vm, 'enable-tls', { Versions: '1.2', PauseGroupPolicy: 'true' }, 'inc-now');
  expect(run(vm, 'undo-changes', {}, 'inc-now').data.restored).toEqual(['enable-tls']);
  expect({ ...vm.state, undoJournal: [] }).toEqual({ ...afterEarlier, undoJournal: [] });
  expect(vm.state.undoJournal.map((e) => [e.incidentId, e.step])).toEqual([
    ['inc-earlier', 'reset-machinekeys-acl'],
  ]);
});

test('without the incident id the engine supplies, a changing script changes nothing', () => {
  const vm = new SimulatedWindowsVm('sim-tls-disabled', Scenarios['sim-tls-disabled']!(now()), now);
  const before = structuredClone(vm.state);
  const out = vm.run(readScript(scripts, 'enable-tls.ps1'), {
    Versions: '1.2',
    PauseGroupPolicy: 'true',
  }).stdout;
  expect(out).toContain("Invalid incident id ''");
  expect(vm.state).toEqual(before);
});

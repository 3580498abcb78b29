import { LabCauses } from '../../src/lab/lab-causes';
import { evaluateCauses } from '../../src/playbook/evaluate-causes';
import {
  LabPortHolder,
  LabWindowsVm,
  labBreakChange,
  ScenarioOfLabCause,
} from '../../src/simulator/lab-breaks';
import { Scenarios } from '../../src/simulator/scenarios';
import { healthyVmState, SimulatedWindowsVm } from '../../src/simulator/windows-vm';
import { rdpPlaybook } from '../helpers/engine-harness';

/**
 * A lab VM broken with a cause and the scenario VM of that cause must never disagree: the
 * break's change is derived from the scenario, so whatever the scenario's fields become, the
 * lab follows. Only what no script can do on a real lab VM differs (joining a domain), and
 * the port holder is the lab's own service.
 */
const now = new Date('2026-12-01T18:00:00Z');
const clock = () => now;

function brokenLabVm(cause: (typeof LabCauses)[number]) {
  const vm = new LabWindowsVm('rdpfix-lab', clock);
  const out = vm.run(`# rdp-fix-lab: break-${cause}\nparam()\n`, {});
  expect(out.stdout).toMatch(new RegExp(`^RDPFIX-RESULT: \\{"step":"break-${cause}","ok":true`));
  return vm;
}

const causesOf = (vm: SimulatedWindowsVm) =>
  evaluateCauses(rdpPlaybook().causes, vm.evidence()).map((c) => c.id);

describe.each(LabCauses)('break-%s', (cause) => {
  const scenarioName = ScenarioOfLabCause[cause];
  const scenario = new SimulatedWindowsVm(scenarioName, Scenarios[scenarioName]!(now), clock);

  test("the lab VM's state is its scenario's, but for the domain, the event log and the port holder's name", () => {
    const lab = brokenLabVm(cause);
    const healthy = healthyVmState(now);
    // No break script can join a domain, and no event is logged until somebody tries RDP.
    const expected = { ...scenario.state, domainJoined: healthy.domainJoined, events: healthy.events };
    if (expected.portOwner) expected.portOwner = { ...expected.portOwner, ...LabPortHolder };
    expect(lab.state).toEqual(expected);
  });

  test('the diagnosis finds the same causes on both', () => {
    expect(causesOf(brokenLabVm(cause))).toEqual(causesOf(scenario));
    expect(causesOf(scenario).length).toBeGreaterThan(0);
  });
});

test('the change is derived from the scenario at the time of the break', () => {
  const policy = labBreakChange('tls-policy', now);
  expect(Object.keys(policy)).toEqual(expect.arrayContaining(['gpoDisablesTls', 'tls']));
  expect(policy).not.toHaveProperty('domainJoined');
  expect(labBreakChange('tls-disabled', now)).toMatchObject({ tls: Scenarios['sim-tls-disabled']!(now).tls });
  // Nothing the scenario leaves as on a healthy VM is touched.
  expect(labBreakChange('tls-disabled', now)).not.toHaveProperty('certificate');
});

test('a lab VM still runs the playbook scripts, and says so for an unknown lab script', () => {
  const vm = new LabWindowsVm('rdpfix-lab', clock);
  expect(vm.run('# rdp-fix-step: diagnose\nparam()\n', {}).stdout).toContain('"step":"diagnose","ok":true');
  expect(vm.run('# rdp-fix-lab: break-everything\n', {}).stdout).toContain('"ok":false');
  expect(vm.state).toEqual(healthyVmState(now));
});

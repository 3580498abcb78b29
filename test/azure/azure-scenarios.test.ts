import { AzureVmOperations } from '../../src/azure/azure-vm-operations';
import { StaticTestCredential } from '../../src/azure/loopback-pipeline';
import { type RunCommandKind, RunCommandKinds } from '../../src/azure/managed-run-command';
import { ArmSimulator } from '../../src/simulator/arm-simulator';
import {
  approveStep,
  bob,
  currentStep,
  driveToEnd,
  makeHarness,
  rdpPlaybook,
  startIncident,
} from '../helpers/engine-harness';

/**
 * The real Azure SDK (@azure/arm-compute, @azure/arm-network) against the loopback ARM
 * simulator over HTTP, for every scenario, start to the expected end: with the managed Run
 * Command (the default) and with the action Run Command.
 */
const SUB = '11111111-2222-3333-4444-555555555555';
const where = { subscriptionId: SUB, resourceGroup: 'rg-sim' };
let sim: ArmSimulator;
let url: string;
let kind: RunCommandKind;

beforeEach(async () => {
  sim = new ArmSimulator({ subscriptionId: SUB });
  url = await sim.listen();
});
afterEach(async () => {
  await sim.close();
});

function azure(overrides: Partial<ConstructorParameters<typeof AzureVmOperations>[0]> = {}) {
  return new AzureVmOperations({
    subscriptionId: SUB,
    credential: new StaticTestCredential(),
    loopbackEndpoint: url,
    pollIntervalMs: 5,
    conflictBaseDelayMs: 10,
    agentReadyTimeoutMs: 5_000,
    runCommand: kind,
    ...overrides,
  });
}

/** The scripts Azure received, in order, by their marker line, with their parameters. */
function runCommands() {
  return sim.scriptDispatches().map((d) => {
    expect(d.kind).toBe(kind);
    return { script: d.text.split('\n')[0]!.replace('# rdp-fix-step: ', ''), params: d.params, at: d.at };
  });
}

/** An incident on `vm` whose diagnosis was approved and has run: its harness and id. */
async function diagnosed(vm: string) {
  const h = makeHarness({ vm: azure() });
  const id = await startIncident(h, vm, undefined, where);
  await approveStep(h, id, 'diagnose');
  await h.engine.idle();
  return { h, id };
}

async function runScenario(vm: string, answers: Record<string, string> = {}) {
  const h = makeHarness({ vm: azure() });
  const id = await startIncident(h, vm, undefined, where);
  await driveToEnd(h, id, bob, answers);
  const transcript = await h.store.transcript(id);
  // Each command that reached Azure is the script of an approved step, approved before it
  // was sent: the n-th Run Command pairs with the n-th approval of a Run Command step.
  const playbook = rdpPlaybook();
  const approvedScripts = transcript
    .filter((e) => e.kind === 'step.approved')
    .map((e) => ({ step: playbook.stepById.get(String(e.data.stepId))!, at: Date.parse(e.at) }))
    .filter((a) => a.step.kind === 'runCommand');
  const commands = runCommands();
  expect(commands.length).toBeLessThanOrEqual(approvedScripts.length);
  commands.forEach((command, n) => {
    const approval = approvedScripts[n]!;
    expect(approval.step.kind === 'runCommand' && approval.step.script).toBe(`${command.script}.ps1`);
    expect(approval.at).toBeLessThanOrEqual(command.at);
  });
  return { h, id, record: (await h.store.get(id))!, transcript };
}

describe.each(RunCommandKinds)('with the %s Run Command', (runCommand) => {
  beforeEach(() => {
    kind = runCommand;
  });

  describe('every scenario through the real SDK', () => {
    test('sim-all-three: scripts in article order, one restart, a snapshot, resolved', async () => {
      const { record } = await runScenario('sim-all-three');
      expect(record.outcome).toBe('resolved');
      expect(runCommands().map((c) => c.script)).toEqual([
        'diagnose',
        'renew-rdp-certificate',
        'reset-machinekeys-acl',
        'enable-tls',
        'verify',
      ]);
      expect(runCommands().find((c) => c.script === 'enable-tls')?.params).toEqual([
        { name: 'Versions', value: '1.2' },
        { name: 'PauseGroupPolicy', value: 'true' },
        // Supplied by the engine, never by a person: the incident whose undo journal this change joins.
        { name: 'IncidentId', value: record.id },
      ]);
      expect(sim.requests.filter((r) => r.path.endsWith('/restart'))).toHaveLength(1);
      expect(sim.snapshotNames()).toEqual([`sim-all-three-rdpfix-${record.id}`]);
      expect(sim.windowsVm('rg-sim', 'sim-all-three')?.state.tls['TLS 1.2']).toBe(1);
    });

    test('sim-port-stoppable: W3SVC stopped through a Run Command parameter', async () => {
      const { record } = await runScenario('sim-port-stoppable');
      expect(record.outcome).toBe('resolved');
      expect(runCommands().map((c) => [c.script, c.params])).toEqual([
        ['diagnose', []],
        [
          'free-rdp-port',
          [
            { name: 'ServiceName', value: 'W3SVC' },
            { name: 'IncidentId', value: record.id },
          ],
        ],
        ['verify', []],
      ]);
    });

    test('sim-port-unstoppable: no stop attempted, port changed and the NSG rule follows', async () => {
      const { record } = await runScenario('sim-port-unstoppable');
      expect(record.outcome).toBe('resolved');
      expect(runCommands().map((c) => c.script)).toEqual(['diagnose', 'change-rdp-port', 'verify']);
      expect(sim.nsgRule('rg-sim', 'sim-port-unstoppable')).toMatchObject({
        destinationPortRange: '3390',
        access: 'Allow',
      });
      const put = sim.requests.find((r) => r.method === 'PUT' && r.path.includes('/securityRules/'));
      expect(put?.path).toBe(
        `/subscriptions/${SUB}/resourceGroups/rg-sim/providers/Microsoft.Network/networkSecurityGroups/sim-port-unstoppable-nsg/securityRules/allow-rdp`,
      );
    });

    test.each([
      ['sim-cert-expired', ['diagnose', 'renew-rdp-certificate', 'verify']],
      ['sim-machinekeys', ['diagnose', 'reset-machinekeys-acl', 'verify']],
      ['sim-tls-disabled', ['diagnose', 'enable-tls', 'verify']],
      ['sim-rdp-stopped', ['diagnose', 'free-rdp-port', 'verify']],
      ['sim-port-stop-fails', ['diagnose', 'free-rdp-port', 'change-rdp-port', 'verify']],
      ['sim-healthy', ['diagnose']],
    ])('%s resolves with %j', async (vm, scripts) => {
      const { record } = await runScenario(vm);
      expect(record.outcome).toBe('resolved');
      expect(runCommands().map((c) => c.script)).toEqual(scripts);
    });

    test('sim-tls-gpo: the verification catches the GPO, the operator is told to change it', async () => {
      const { record, h } = await runScenario('sim-tls-gpo', { 'gpo-enforced': 'stop' });
      expect(record.outcome).toBe('unresolved');
      expect(h.messages('stepCard').at(-1)).toMatchObject({ stepId: 'gpo-enforced' });
    });

    test('sim-agent-down: no Run Command at all, the offline path', async () => {
      const { record, h } = await runScenario('sim-agent-down');
      expect(record.outcome).toBe('resolved');
      expect(runCommands()).toEqual([]);
      expect(h.messages('notice')[0]).toMatchObject({
        text: { en: expect.stringContaining('the VM agent is Not Ready') },
      });
    });

    test('sim-deallocated: an approved "Start the VM" (POST …/start, 202, polled), then the diagnostic', async () => {
      sim.reset(); // the other Run Command kind's run started this VM already
      const h = makeHarness({ vm: azure() });
      const id = await startIncident(h, 'sim-deallocated', undefined, where);
      expect(h.messages('notice')[0]).toMatchObject({
        text: { en: 'Nothing on this VM can be checked yet: the VM is deallocated. It has to run first.' },
      });
      // Nothing was started before a person approved.
      expect(sim.requests.filter((r) => r.path.endsWith('/start'))).toEqual([]);
      expect(h.messages('stepCard').at(-1)).toMatchObject({
        stepId: 'start-vm',
        risk: 'changesAzure',
        confirm: true,
      });
      await driveToEnd(h, id, bob);
      const starts = sim.requests.filter(
        (r) => r.method === 'POST' && r.path.endsWith('/sim-deallocated/start'),
      );
      expect(starts).toHaveLength(1);
      expect(sim.windowsVm('rg-sim', 'sim-deallocated')?.state).toMatchObject({
        power: 'running',
        agentReady: true,
      });
      const record = (await h.store.get(id))!;
      expect(record.outcome).toBe('resolved');
      expect(runCommands().map((c) => c.script)).toEqual(['diagnose']);
    });
  });

  describe('Azure errors become clear messages and leave the incident consistent', () => {
    test('409: another Run Command is running — waits, retries, tells the thread, then succeeds', async () => {
      const { h, id } = await diagnosed('sim-busy');
      const posts = sim.scriptDispatches();
      expect(posts).toHaveLength(3);
      expect((await currentStep(h, id)).stepId).toBe('no-cause-found');
      expect(
        h
          .messages('notice')
          .some((m) => m.kind === 'notice' && m.text.en.includes('another Run Command is in progress')),
      ).toBe(true);
    });

    test('409 that does not clear: the step fails with the reason, the flow goes on', async () => {
      const h = makeHarness({ vm: azure({ conflictRetries: 1 }) });
      const id = await startIncident(h, 'sim-busy', undefined, where);
      await approveStep(h, id, 'diagnose');
      await h.engine.idle();
      expect((await currentStep(h, id)).stepId).toBe('diagnose-failed');
      const result = h.messages('progress').find((m) => m.kind === 'progress' && m.done);
      expect(result?.kind === 'progress' && result.text.en).toContain(
        'another Run Command is still running on this VM',
      );
      const finished = (await h.store.transcript(id)).find((e) => e.kind === 'step.output');
      expect(finished?.data.outcome).toBe('failed');
    });

    test('429: the SDK honours Retry-After and the command goes through', async () => {
      const { h, id } = await diagnosed('sim-throttled');
      const posts = sim.scriptDispatches();
      expect(posts).toHaveLength(2);
      expect(posts[1]!.at - posts[0]!.at).toBeGreaterThanOrEqual(900);
      expect((await currentStep(h, id)).stepId).toBe('no-cause-found');
    });

    test('503 bursts from ARM: the SDK retries with backoff and the command runs once', async () => {
      const { h, id } = await diagnosed('sim-unavailable');
      const posts = sim.scriptDispatches();
      // Two refused, the third accepted: one Run Command ran, its result is in.
      expect(posts).toHaveLength(3);
      expect(posts[2]!.at - posts[0]!.at).toBeGreaterThanOrEqual(1_000);
      expect((await currentStep(h, id)).stepId).toBe('no-cause-found');
    });

    test('403: names the missing permission', async () => {
      const { h, id } = await diagnosed('sim-forbidden');
      const result = h.messages('progress').find((m) => m.kind === 'progress' && m.done);
      expect(result?.kind === 'progress' && result.text.en).toContain(
        kind === 'managed'
          ? 'lacks Microsoft.Compute/virtualMachines/runCommands/write'
          : 'lacks Microsoft.Compute/virtualMachines/runCommand/action',
      );
      expect((await currentStep(h, id)).stepId).toBe('diagnose-failed');
      // A refused diagnostic found nothing: no "no cause found", and the card says what to grant.
      expect(h.messages('causes')).toEqual([]);
      const action =
        kind === 'managed'
          ? 'Microsoft.Compute/virtualMachines/runCommands/write'
          : 'Microsoft.Compute/virtualMachines/runCommand/action';
      const card = h
        .messages('stepCard')
        .find((m) => m.kind === 'stepCard' && m.stepId === 'diagnose-failed');
      expect(card?.kind === 'stepCard' && card.notice?.en).toContain(`lacks the permission ${action}`);
      expect(card?.kind === 'stepCard' && card.notice?.en).toContain('"rdp-fix operator"');
      expect(card?.kind === 'stepCard' && card.explain.en).not.toContain('path shown above');
    });

    test('output without the result marker is unreadable: said, with the log path, no cause guessed', async () => {
      const h = makeHarness({ vm: azure() });
      const id = await startIncident(h, 'sim-healthy', undefined, where);
      // A script the simulated VM does not recognise prints no marker.
      const vm = sim.windowsVm('rg-sim', 'sim-healthy')!;
      const run = vm.run.bind(vm);
      vm.run = (text, params) => ({
        ...run(text, params),
        stdout: `${'x'.repeat(5000)} C:\\ProgramData\\rdp-fix\\logs\\diagnose-1.log`,
      });
      await approveStep(h, id, 'diagnose');
      await h.engine.idle();
      const result = h.messages('progress').find((m) => m.kind === 'progress' && m.done);
      expect(result?.kind === 'progress' && result.text.en).toContain(
        'is unreadable (no RDPFIX-RESULT: line in the output',
      );
      expect(result?.kind === 'progress' && result.text.en).toContain(
        'C:\\ProgramData\\rdp-fix\\logs\\diagnose-1.log',
      );
      expect((await currentStep(h, id)).stepId).toBe('diagnose-failed');
      expect((await h.store.get(id))?.causes).toEqual([]);
      expect(h.messages('causes')).toEqual([]);
    });
  });
});

import { AzureVmOperations } from '../../src/azure/azure-vm-operations';
import { StaticTestCredential } from '../../src/azure/loopback-pipeline';
import { ArmSimulator } from '../../src/simulator/arm-simulator';
import { approveStep, bob, driveToEnd, makeHarness, startIncident } from '../helpers/engine-harness';

/**
 * The diagnosis of contract version 2 (issue 15) through the real Azure SDK against the loopback
 * ARM simulator: each scenario of a real Windows situation ends with the causes it was built
 * for, runs the fix for those causes and no other, and a healthy VM gets no cause.
 */
const SUB = '11111111-2222-3333-4444-555555555555';
const where = { subscriptionId: SUB, resourceGroup: 'rg-sim' };
let sim: ArmSimulator;
let url: string;

beforeEach(async () => {
  sim = new ArmSimulator({ subscriptionId: SUB });
  url = await sim.listen();
});
afterEach(async () => {
  await sim.close();
});

function azure() {
  return new AzureVmOperations({
    subscriptionId: SUB,
    credential: new StaticTestCredential(),
    loopbackEndpoint: url,
    pollIntervalMs: 5,
    conflictBaseDelayMs: 10,
    agentReadyTimeoutMs: 5_000,
  });
}

/** Runs an incident on a scenario VM to its end, answering every question with its first answer. */
async function run(vm: string) {
  const h = makeHarness({ vm: azure() });
  const id = await startIncident(h, vm, undefined, where);
  await driveToEnd(h, id);
  const record = (await h.store.get(id))!;
  const scripts = sim.scriptDispatches().map((d) => d.text.split('\n')[0]!.replace('# rdp-fix-step: ', ''));
  const causesText = h.messages('causes').map((m) => (m.kind === 'causes' ? m.text.en : ''));
  return { h, record, scripts, causesText, state: sim.windowsVm('rg-sim', vm)!.state };
}

test.each([
  // [scenario, causes, Run Commands in order]
  ['sim-key-unreadable', ['machinekeys-acl'], ['diagnose', 'reset-machinekeys-acl', 'verify']],
  ['sim-key-missing', ['certificate-invalid'], ['diagnose', 'renew-rdp-certificate', 'verify']],
  ['sim-tls-disabled-by-default', ['tls-disabled'], ['diagnose', 'enable-tls', 'verify']],
  ['sim-rdp-disabled', ['rdp-disabled'], ['diagnose', 'enable-rdp', 'verify']],
  ['sim-termservice-disabled', ['termservice-disabled'], ['diagnose', 'enable-rdp', 'verify']],
])('%s: the causes it was built for, their fix and no other, resolved', async (vm, causes, scripts) => {
  const run1 = await run(vm);
  expect(run1.record.causes).toEqual(causes);
  expect(run1.scripts).toEqual(scripts);
  expect(run1.record.outcome).toBe('resolved');
  // The verification's loopback handshake is what says RDP works again.
  const verify = run1.h
    .messages('progress')
    .find((m) => m.kind === 'progress' && m.done && m.stepId === 'verify');
  expect(verify?.kind === 'progress' && verify.text.en).toContain('RDP answers with TLS 1.2');
});

test('sim-key-unreadable: only the listener key file changes, and its ACL before is kept for the record', async () => {
  const { h, record, state } = await run('sim-key-unreadable');
  expect(state.certificate?.keyAccess).toBe('readable');
  const transcript = await h.store.transcript(record.id);
  const output = transcript.find(
    (e) => e.kind === 'step.output' && e.data.stepId === 'reset-machinekeys-acl',
  );
  const line = String(output?.data.stdout).split('RDPFIX-RESULT: ')[1]!;
  expect(JSON.parse(line).data).toMatchObject({
    keyFile: expect.stringMatching(/MachineKeys\\f686aace6942fb7f7ceb231212eef4a4_/),
    beforeSddl: 'O:SYG:SYD:(D;;FR;;;NS)(A;;FA;;;SY)(A;;FA;;;BA)',
    readable: true,
  });
});

test.each([
  ['sim-healthy', []],
  ['sim-pinned-cert', []],
])('%s: no cause, nothing but the diagnosis runs', async (vm) => {
  const { record, scripts, causesText } = await run(vm);
  expect(record.causes).toEqual([]);
  expect(scripts).toEqual(['diagnose']);
  expect(causesText).toEqual(["None of the article's causes was found."]);
});

test('a check that could not run is said as "could not check X (why)", and no fix is proposed on a guess', async () => {
  const { record, scripts, causesText } = await run('sim-machinekeys-unreadable');
  expect(record.causes).toEqual([]);
  expect(scripts).toEqual(['diagnose']);
  expect(causesText).toEqual([
    "None of the article's causes was found. Could not check: machineKeys/folder (Attempted to perform an unauthorized operation.). Nothing is proposed on a guess for these.",
  ]);
});

test("the worst case still fits: the result line survives Azure's 4,096-byte cut, long texts shortened", async () => {
  // Long names everywhere a VM can put them, and every check failing with a long reason.
  const long = (what: string) => `${what} ${'x'.repeat(600)}`;
  sim.windowsVm('rg-sim', 'sim-all-three')!.state.portOwner = {
    process: long('vendor-process'),
    pid: 4242,
    services: Array.from({ length: 20 }, (_, i) => `VendorService${i}${'y'.repeat(60)}`),
    acceptStop: false,
  };
  sim.windowsVm('rg-sim', 'sim-all-three')!.state.failingChecks = Object.fromEntries(
    ['machineKeys/folder', 'events', 'domainJoined', 'netstat', 'services/SessionEnv', 'nla', 'rdp'].map(
      (c) => [c, long(`${c} refused`)],
    ),
  );
  const h = makeHarness({ vm: azure() });
  const id = await startIncident(h, 'sim-all-three', undefined, where);
  await approveStep(h, id, 'diagnose');
  await h.engine.idle();
  const transcript = await h.store.transcript(id);
  const output = transcript.find((e) => e.kind === 'step.output' && e.data.stepId === 'diagnose');
  const stdout = String(output?.data.stdout);
  expect(Buffer.byteLength(stdout, 'utf8')).toBeLessThanOrEqual(4096);
  expect(stdout.startsWith('RDPFIX-RESULT: ')).toBe(true);
  const data = JSON.parse(stdout.slice('RDPFIX-RESULT: '.length)).data;
  expect(data.listener.services).toHaveLength(8);
  expect(data.unknown.events.endsWith('...')).toBe(true);
  // The evidence still reads: the causes come from it, not from "output unreadable".
  expect((await h.store.get(id))!.causes).toEqual([
    'port-conflict',
    'certificate-invalid',
    'machinekeys-acl',
    'tls-disabled',
  ]);
});

describe('Check RDP security: the effective NSG rules through the real SDK', () => {
  /** What the check-rdp-security step said, on an incident on `vm` driven to its end. */
  async function exposure(vm: string) {
    const { h } = await run(vm);
    const progress = h
      .messages('progress')
      .find((m) => m.kind === 'progress' && m.done && m.stepId === 'check-rdp-security');
    return { text: progress?.kind === 'progress' ? progress.text.en : undefined };
  }

  test('the simulated NSG allows 3389 from any source: said, with the deciding rule', async () => {
    const { text } = await exposure('sim-tls-disabled');
    expect(text).toContain(
      'Port 3389: sim-tls-disabled-nsg (network interface): securityRules/allow-rdp Allow from 0.0.0.0/0. Open to any source on the Internet: true.',
    );
    const call = sim.requests.find(
      (r) => r.method === 'POST' && r.path.endsWith('/effectiveNetworkSecurityGroups'),
    );
    expect(call?.path).toBe(
      `/subscriptions/${SUB}/resourceGroups/rg-sim/providers/Microsoft.Network/networkInterfaces/sim-tls-disabled-nic/effectiveNetworkSecurityGroups`,
    );
  });

  test('a rule limited to one address range: Internet traffic meets DenyAllInBound, not open', async () => {
    sim.nsgRule('rg-sim', 'sim-tls-disabled')!.sourceAddressPrefix = '203.0.113.0/24';
    const { text } = await exposure('sim-tls-disabled');
    expect(text).toContain(
      'sim-tls-disabled-nsg (network interface): defaultSecurityRules/DenyAllInBound Deny from 0.0.0.0/0. Open to any source on the Internet: false.',
    );
  });
});

test('undo after a port change that did not help: the VM port and the NSG rule both go back to 3389', async () => {
  const h = makeHarness({ vm: azure() });
  const id = await startIncident(h, 'sim-port-unstoppable', undefined, where);
  // RDP moved to 3390 and verified; the person then says it still fails and asks for the undo.
  await driveToEnd(h, id, bob, { 'test-rdp': 'fails', 'still-broken': 'undo' });
  const record = (await h.store.get(id))!;
  expect(record.outcome).toBe('unresolved');
  const state = sim.windowsVm('rg-sim', 'sim-port-unstoppable')!.state;
  expect({ rdpPort: state.rdpPort, firewallPort: state.firewallPort }).toEqual({
    rdpPort: 3389,
    firewallPort: 3389,
  });
  expect(sim.nsgRule('rg-sim', 'sim-port-unstoppable')).toMatchObject({ destinationPortRange: '3389' });
  const puts = sim.requests.filter((r) => r.method === 'PUT' && r.path.includes('/securityRules/'));
  expect(puts).toHaveLength(2); // moved to 3390, then back
});

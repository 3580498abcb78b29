import { join } from 'node:path';
import { Readable } from 'node:stream';
import { AzureVmOperations } from '../../src/azure/azure-vm-operations';
import { StaticTestCredential } from '../../src/azure/loopback-pipeline';
import { type LabDeps, labCommand } from '../../src/cli/lab';
import { main } from '../../src/cli/main';
import { generateAdminPassword } from '../../src/lab/admin-password';
import { evaluateCauses } from '../../src/playbook/evaluate-causes';
import { ArmSimulator } from '../../src/simulator/arm-simulator';
import {
  approveStep,
  bob,
  driveToEnd,
  makeHarness,
  rdpPlaybook,
  startIncident,
} from '../helpers/engine-harness';

/**
 * `rdp-fix lab` against the loopback ARM simulator through the real SDKs: create → break →
 * a real incident through the engine → destroy, and the refusals. Nothing reaches Azure.
 */
const SUB = '11111111-2222-3333-4444-555555555555';
const RG = 'rg-lab';
let sim: ArmSimulator;
let url: string;
let passwords: string[];

beforeEach(async () => {
  sim = new ArmSimulator({ subscriptionId: SUB, vms: [{ name: 'sim-healthy', resourceGroup: RG }] });
  url = await sim.listen();
  passwords = [];
});
afterEach(async () => {
  await sim.close();
});

const deps: LabDeps = {
  now: () => new Date('2026-12-01T18:00:00Z'),
  labId: () => 'lab0c0de',
  password: () => {
    const password = generateAdminPassword();
    passwords.push(password);
    return password;
  },
};

/** Runs `rdp-fix lab <args>`; `answer` is typed at a terminal (none: no terminal at all). */
async function lab(args: string[], answer?: string) {
  let out = '';
  let err = '';
  const input =
    answer === undefined ? Readable.from([]) : Object.assign(Readable.from([`${answer}\n`]), { isTTY: true });
  const io = {
    input,
    out: (t: string) => (out += t),
    err: (t: string) => (err += t),
    env: { AZURE_SUBSCRIPTION_ID: SUB, RDPFIX_POLL_INTERVAL_MS: '5' },
  };
  // As main() does: a thrown coded error is said, and the exit code is 1.
  const code = await labCommand([...args, '--endpoint', url], io, deps).catch((e: Error) => {
    io.err(`${e.message}\n`);
    return 1;
  });
  return { code, out, err };
}

function azure() {
  return new AzureVmOperations({
    subscriptionId: SUB,
    credential: new StaticTestCredential(),
    loopbackEndpoint: url,
    pollIntervalMs: 5,
    agentReadyTimeoutMs: 5_000,
  });
}

const mutations = () => sim.requests.filter((r) => r.method !== 'GET');

test('create → break tls-disabled → an incident finds and fixes TLS → destroy leaves only the untagged', async () => {
  // Someone else's network in the same group, untagged: destroy must leave it.
  const network = (await import('@azure/arm-network')).NetworkManagementClient;
  const { loopbackRedirectPolicy } = await import('../../src/azure/loopback-pipeline');
  const client = new network(new StaticTestCredential(), SUB, {
    endpoint: 'https://management.azure.com',
    additionalPolicies: [{ policy: loopbackRedirectPolicy(url), position: 'perRetry' }],
  });
  await client.virtualNetworks.createOrUpdate(
    RG,
    'keep-me-vnet',
    {
      location: 'westeurope',
      addressSpace: { addressPrefixes: ['10.9.0.0/24'] },
      subnets: [{ name: 'a', addressPrefix: '10.9.0.0/24' }],
    },
    { updateIntervalInMs: 5 },
  );

  const created = await lab(['create', '--rg', RG, '--yes']);
  expect(created).toMatchObject({ code: 0, err: '' });
  expect(created.out).toContain('Target: the simulator at');
  expect(created.out).not.toContain('Estimated cost');
  expect(created.out).toContain('Lab lab0c0de is ready: VM rdpfix-lab in rg-lab');
  // The password went once, in the VM's PUT, and nowhere else: not printed, not echoed back.
  expect(passwords).toHaveLength(1);
  const withPassword = sim.requests.filter((r) => JSON.stringify(r.body).includes(passwords[0]!));
  expect(withPassword.map((r) => `${r.method} ${r.path.split('/').slice(-2).join('/')}`)).toEqual([
    'PUT virtualMachines/rdpfix-lab',
  ]);
  expect(created.out).not.toContain(passwords[0]);

  const status = await lab(['status', '--rg', RG]);
  expect(status.out).toContain('virtual machine rdpfix-lab  lab lab0c0de — VM running');
  for (const thing of [
    'auto-shutdown shutdown-computevm-rdpfix-lab',
    'disk rdpfix-lab-osdisk',
    'network interface rdpfix-lab-nic',
    'virtual network rdpfix-lab-vnet',
  ])
    expect(status.out).toContain(thing);
  expect(status.out).not.toContain('keep-me-vnet');

  // The product finds the new VM by name, like any other, and it is healthy.
  expect(await azure().resolveVm('rdpfix-lab')).toEqual([
    { subscriptionId: SUB, resourceGroup: RG, name: 'rdpfix-lab' },
  ]);
  expect(evaluateCauses(rdpPlaybook().causes, sim.windowsVm(RG, 'rdpfix-lab')?.evidence())).toEqual([]);

  const broken = await lab(['break', 'tls-disabled', '--yes']);
  expect(broken).toMatchObject({ code: 0, err: '' });
  expect(broken.out).toContain('break-tls-disabled: done');
  const dispatched = sim.scriptDispatches('rdpfix-lab');
  expect(dispatched.map((d) => [d.kind, d.text.split('\n')[0]])).toEqual([
    ['action', '# rdp-fix-lab: break-tls-disabled'],
  ]);

  // A normal incident through the engine and the real SDK: the diagnosis finds TLS, the playbook fixes it.
  const h = makeHarness({ vm: azure() });
  const id = await startIncident(h, 'rdpfix-lab', undefined, { subscriptionId: SUB, resourceGroup: RG });
  await approveStep(h, id, 'diagnose');
  await h.engine.idle();
  expect((await h.store.get(id))?.causes).toEqual(['tls-disabled']);
  await driveToEnd(h, id, bob);
  expect((await h.store.get(id))?.outcome).toBe('resolved');
  expect(evaluateCauses(rdpPlaybook().causes, sim.windowsVm(RG, 'rdpfix-lab')?.evidence())).toEqual([]);

  const before = sim.requests.length;
  const destroyed = await lab(['destroy', '--rg', RG, '--yes']);
  expect(destroyed).toMatchObject({ code: 0, err: '' });
  expect(destroyed.out.match(/^ {2}- .*$/gm)).toEqual([
    '  - auto-shutdown shutdown-computevm-rdpfix-lab (lab lab0c0de)',
    '  - virtual machine rdpfix-lab (lab lab0c0de)',
    '  - disk rdpfix-lab-osdisk (lab lab0c0de)',
    '  - network interface rdpfix-lab-nic (lab lab0c0de)',
    '  - virtual network rdpfix-lab-vnet (lab lab0c0de)',
  ]);
  expect((await lab(['status', '--rg', RG])).out).toContain('No resources tagged rdp-fix-lab in rg-lab');
  // What was not the lab's is all there: the untagged network, the simulated VM, its NIC and disk.
  const deletes = sim.requests
    .slice(before)
    .filter((r) => r.method === 'DELETE')
    .map((r) => r.path.split('/').at(-1));
  expect(deletes).toEqual([
    'shutdown-computevm-rdpfix-lab',
    'rdpfix-lab',
    'rdpfix-lab-osdisk',
    'rdpfix-lab-nic',
    'rdpfix-lab-vnet',
  ]);
  expect((await client.virtualNetworks.get(RG, 'keep-me-vnet')).name).toBe('keep-me-vnet');
  expect(await azure().resolveVm('sim-healthy', RG)).toHaveLength(1);
  expect(await azure().resolveVm('rdpfix-lab')).toEqual([]);
});

test('without a terminal and without --yes nothing is created, broken or deleted', async () => {
  const create = await lab(['create', '--rg', RG]);
  expect(create.code).toBe(2);
  expect(create.err).toContain(
    'Nothing created: lab create asks first and there is no terminal to ask in. Run it in a terminal, or add --yes.',
  );
  expect(mutations()).toEqual([]);

  await lab(['create', '--rg', RG, '--yes']);
  const before = mutations().length;
  const breaking = await lab(['break', 'cert-expired']);
  expect(breaking.code).toBe(2);
  const destroy = await lab(['destroy', '--rg', RG]);
  expect(destroy.code).toBe(2);
  expect(destroy.out).toContain('lab destroy will delete from rg-lab these resources tagged rdp-fix-lab');
  expect(mutations()).toHaveLength(before);
});

test('at a terminal: anything but y declines, y goes on', async () => {
  const no = await lab(['create', '--rg', RG], 'n');
  expect(no.code).toBe(1);
  expect(no.out).toMatch(/Create these 5 resources\? \[y\/N\] Nothing created\.\n$/);
  expect(mutations()).toEqual([]);
  const yes = await lab(['create', '--rg', RG], 'y');
  expect(yes.code).toBe(0);
  expect(sim.windowsVm(RG, 'rdpfix-lab')).toBeDefined();
});

test('break reaches only tagged VMs; port-taken puts the lab service on the RDP port', async () => {
  expect((await lab(['break', 'tls-disabled', '--yes'])).err).toContain('no lab VM');
  expect((await lab(['break', 'tls-disabled', '--name', 'sim-healthy', '--yes'])).err).toContain(
    'no lab VM named sim-healthy',
  );
  expect(sim.scriptDispatches()).toEqual([]);
  await lab(['create', '--rg', RG, '--yes']);
  const unknown = await lab(['break', 'frobnicate', '--yes']);
  expect(unknown).toMatchObject({ code: 2, err: expect.stringContaining('One of port-taken, cert-expired') });
  const port = await lab(['break', 'port-taken', '--yes']);
  expect(port.code).toBe(0);
  expect(sim.windowsVm(RG, 'rdpfix-lab')?.evidence()).toMatchObject({
    listener: { process: 'rdpfix-lab-port', services: ['RdpFixLabPort'] },
  });
  // `rdp-fix simulate --reset` puts the lab VM back as it was made: healthy, and breakable again.
  sim.reset();
  expect(sim.windowsVm(RG, 'rdpfix-lab')?.evidence()).toMatchObject({
    listener: { services: ['TermService'] },
  });
  expect((await lab(['break', 'cert-expired', '--yes'])).out).toContain('break-cert-expired: done');
  expect(sim.windowsVm(RG, 'rdpfix-lab')?.evidence()).toMatchObject({ certificate: { expired: true } });
});

test('rdp-fix lab is a command of the CLI; a second create of the same name refuses', async () => {
  let out = '';
  let err = '';
  const io = {
    input: Readable.from([]),
    out: (t: string) => (out += t),
    err: (t: string) => (err += t),
    env: { AZURE_SUBSCRIPTION_ID: SUB, RDPFIX_POLL_INTERVAL_MS: '5' },
  };
  expect(
    await main(['lab', 'create', '--rg', RG, '--name', 'sim-healthy', '--yes', '--endpoint', url], io),
  ).toBe(1);
  expect(err).toContain('A VM named sim-healthy exists already in rg-lab');
  expect(await main(['lab', 'help'], io)).toBe(0);
  expect(out).toContain('rdp-fix lab create --rg <group>');
  expect(await main(['lab', 'status', '--endpoint', 'http://10.0.0.1:80'], io)).toBe(1);
  expect(err).toContain('http is only allowed on loopback');
});

/** The RBAC action ARM checks for one request: `<ns>/<type>/read|write|delete`, `…/<child>/read`, `…/<verb>/action`. */
function actionOf(method: string, path: string): string | undefined {
  const parts = path.split('/').filter(Boolean);
  const at = parts.findIndex((p) => p.toLowerCase() === 'providers');
  const [namespace, type, , child] = parts.slice(at + 1);
  if (type?.toLowerCase() === 'locations') return undefined; // a long-running operation's poll
  if (child) return `${namespace}/${type}/${child}/${method === 'POST' ? 'action' : 'read'}`;
  const verb = { GET: 'read', DELETE: 'delete' }[method] ?? 'write';
  return `${namespace}/${type}/${verb}`;
}

test('every request the lab makes is an action of its role, and the role holds nothing else but the joins', async () => {
  const { LabActions } = await import('../../src/lab/lab-actions');
  const role = JSON.parse(
    (await import('node:fs')).readFileSync(
      join(__dirname, '..', '..', 'deploy', 'lab', 'rdp-fix-lab.role.json'),
      'utf8',
    ),
  ) as { Actions: string[] };
  expect([...role.Actions].sort()).toEqual([...LabActions].sort());
  expect((await lab(['create', '--rg', RG, '--yes'])).code).toBe(0);
  expect((await lab(['break', 'tls-policy', '--restart', '--yes'])).out).toContain('Restarted rdpfix-lab.');
  expect((await lab(['status'])).out).toContain(
    'rg-lab  virtual machine rdpfix-lab  lab lab0c0de — VM running',
  );
  expect((await lab(['destroy', '--rg', RG, '--yes'])).code).toBe(0);
  const used = new Set(sim.requests.map((r) => actionOf(r.method, r.path)).filter((a) => a !== undefined));
  expect([...used].filter((a) => !(LabActions as readonly string[]).includes(a))).toEqual([]);
  expect(LabActions.filter((a) => !used.has(a))).toEqual([
    'Microsoft.Network/virtualNetworks/subnets/join/action',
    'Microsoft.Network/networkInterfaces/join/action',
  ]);
});

test("destroy waits out Azure's reservation of a deleted VM's NIC (NicReservedForAnotherVm)", async () => {
  await lab(['create', '--rg', RG, '--yes']);
  // From now on operations take time: the VM's deletion 60 ms, the NIC's reservation 180 ms.
  sim.setLatencyScale(0.001);
  const destroyed = await lab(['destroy', '--rg', RG, '--yes']);
  expect(destroyed).toMatchObject({ code: 0, err: '' });
  expect(destroyed.out).toContain('network interface rdpfix-lab-nic is still reserved for the deleted VM');
  const nicDeletes = sim.requests.filter((r) => r.method === 'DELETE' && r.path.endsWith('/rdpfix-lab-nic'));
  expect(nicDeletes.length).toBeGreaterThan(1);
  expect((await lab(['status', '--rg', RG])).out).toContain('No resources tagged rdp-fix-lab in rg-lab');
});

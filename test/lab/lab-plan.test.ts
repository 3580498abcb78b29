import { Readable } from 'node:stream';
import { labCommand } from '../../src/cli/lab';
import { generateAdminPassword } from '../../src/lab/admin-password';
import { costEstimate, defaultShutdownAt, planLab } from '../../src/lab/lab-plan';
import { labClients, labTargetOf } from '../../src/lab/lab-target';
import { SimulatorSubscription } from '../../src/runtime';
import { ArmSimulator } from '../../src/simulator/arm-simulator';

const options = {
  resourceGroup: 'rg-lab',
  location: 'westeurope',
  name: 'rdpfix-lab',
  size: 'Standard_B2s',
  labId: 'abc',
  shutdownAt: '1900',
};

test('the plan names everything after the VM and tags it with the lab id', () => {
  const plan = planLab(options);
  expect(plan).toMatchObject({
    tags: { 'rdp-fix-lab': 'abc' },
    vnet: 'rdpfix-lab-vnet',
    nic: 'rdpfix-lab-nic',
    osDisk: 'rdpfix-lab-osdisk',
    schedule: 'shutdown-computevm-rdpfix-lab',
  });
  expect(plan.resources.map((r) => r.type)).toEqual([
    'virtual network',
    'network interface',
    'virtual machine',
    'OS disk',
    'auto-shutdown',
  ]);
});

test('bad names are refused all at once, before anything is asked or sent', () => {
  expect(() =>
    planLab({ ...options, name: 'a-name-of-16-chr', resourceGroup: 'rg;x', shutdownAt: '2460' }),
  ).toThrow(/invalid resourceGroup "rg;x", name "a-name-of-16-chr", shutdownAt "2460"/);
  expect(() => planLab({ ...options, name: '12345' })).toThrow(/name "12345"/);
  expect(() => planLab({ ...options, name: 'lab-' })).toThrow(/name "lab-"/);
});

test('auto-shutdown defaults to the quarter hour two hours on, in UTC', () => {
  expect(defaultShutdownAt(new Date('2026-12-01T18:00:00Z'))).toBe('2000');
  expect(defaultShutdownAt(new Date('2026-12-01T18:01:00Z'))).toBe('2015');
  expect(defaultShutdownAt(new Date('2026-12-01T23:50:00Z'))).toBe('0200');
});

test('the admin password meets Azure’s rule and comes from the random source given', () => {
  const password = generateAdminPassword();
  expect(password).toHaveLength(24);
  for (const kind of [/[A-Z]/, /[a-z]/, /\d/, /[^A-Za-z0-9]/]) expect(password).toMatch(kind);
  expect(generateAdminPassword(() => 0)).toBe(generateAdminPassword(() => 0));
  expect(generateAdminPassword()).not.toBe(password);
});

test('the cost line says its basis; a size without a known price points to the calculator', () => {
  expect(costEstimate('Standard_B2s')).toMatch(
    /US\$0\.05 an hour.*pay-as-you-go list price.*auto-shutdown.*US\$10 a month/,
  );
  expect(costEstimate('Standard_D4s_v5')).toContain('Standard_D4s_v5: see the Azure pricing calculator');
});

describe('where the lab goes', () => {
  test('loopback http is the simulator, with its subscription unless one is set', () => {
    expect(labTargetOf({}, 'http://127.0.0.1:4010')).toEqual({
      subscriptionId: SimulatorSubscription,
      endpoint: 'https://management.azure.com',
      loopback: 'http://127.0.0.1:4010',
      pollIntervalMs: 200,
    });
    expect(
      labTargetOf({ AZURE_ARM_ENDPOINT: 'http://localhost:1', AZURE_SUBSCRIPTION_ID: 's' }, undefined),
    ).toMatchObject({ subscriptionId: 's', loopback: 'http://localhost:1' });
  });

  test('Azure needs a subscription; http elsewhere, other schemes and bad settings are refused', () => {
    expect(labTargetOf({ AZURE_SUBSCRIPTION_ID: 's' }, undefined)).toEqual({
      subscriptionId: 's',
      endpoint: 'https://management.azure.com',
      loopback: undefined,
      pollIntervalMs: 5_000,
    });
    expect(labTargetOf({ AZURE_SUBSCRIPTION_ID: 's' }, 'https://management.usgovcloudapi.net')).toMatchObject(
      { endpoint: 'https://management.usgovcloudapi.net' },
    );
    expect(() => labTargetOf({}, undefined)).toThrow(/Which subscription\?/);
    expect(() => labTargetOf({ AZURE_SUBSCRIPTION_ID: 's' }, 'http://192.0.2.1:80')).toThrow(
      /only allowed on loopback/,
    );
    expect(() => labTargetOf({ AZURE_SUBSCRIPTION_ID: 's' }, 'ftp://x')).toThrow(/an ARM endpoint is https/);
    expect(() => labTargetOf({ RDPFIX_POLL_INTERVAL_MS: 'soon' }, 'http://127.0.0.1:1')).toThrow(
      /RDPFIX_POLL_INTERVAL_MS/,
    );
  });
});

test('on Azure, create says what it costs before it asks; declined, nothing is sent', async () => {
  const sim = new ArmSimulator({ subscriptionId: 's', vms: [] });
  const url = await sim.listen();
  try {
    let out = '';
    const code = await labCommand(
      ['create', '--rg', 'rg-lab'],
      {
        input: Object.assign(Readable.from(['\n']), { isTTY: true }),
        out: (t) => (out += t),
        err: (t) => (out += t),
        env: { AZURE_SUBSCRIPTION_ID: 's' },
      },
      {
        now: () => new Date('2026-12-01T18:00:00Z'),
        labId: () => 'abc',
        password: () => 'never-used',
        // An Azure target, its requests carried to the simulator: no Azure call, no credential.
        clients: async (target) => ({ ...(await labClients({ ...target, loopback: url })), target }),
      },
    );
    expect(code).toBe(1);
    expect(out).toContain('Target: Azure subscription s.');
    expect(out).toContain('Estimated cost: about US$0.05 an hour');
    expect(out).toMatch(/Create these 5 resources\? \[y\/N\] Nothing created\.\n$/);
    expect(sim.requests.filter((r) => r.method !== 'GET')).toEqual([]);
  } finally {
    await sim.close();
  }
});

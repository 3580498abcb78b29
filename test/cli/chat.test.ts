import { Readable } from 'node:stream';
import { main } from '../../src/cli/main';
import { SimulatorSubscription } from '../../src/runtime';
import { defaultInventory } from '../../src/simulator/arm-resources';
import { ArmSimulator } from '../../src/simulator/arm-simulator';

/** `rdp-fix chat` end to end: the real SDK against the in-process simulator, answers on stdin. */
async function chat(args: string[], lines: string[]) {
  let out = '';
  const code = await main(['chat', ...args], {
    input: Readable.from(lines.map((l) => `${l}\n`)),
    out: (t) => (out += t),
    err: (t) => (out += t),
    env: { DATABASE_URL: 'memory:', RDPFIX_SIM_LATENCY_SCALE: '0', RDPFIX_POLL_INTERVAL_MS: '5' },
  });
  return { code, out };
}

test('sim-all-three walks to resolution at the terminal', async () => {
  // The restart (the seventh approval) asks to confirm, as on the cards.
  const { code, out } = await chat(['sim-all-three'], ['a', 'a', 'a', 'a', 'a', 'a', 'a', 'yes', 'a', '1']);
  expect(code).toBe(0);
  expect(out).toContain('Local mode: the Azure SDK talks to the built-in simulator.');
  expect(out).toContain("Found 3 of the article's causes:");
  expect(out).toContain('"Restart the VM" succeeded.');
  // Risk in words, as on the cards (issue 19): never the playbook's internal names.
  expect(out).toContain('[restarts the VM]');
  expect(out).not.toMatch(/\[(readOnly|changesAzure|changesConfig|restartsVm)\]/);
  expect(out).toMatch(/Resolved\.\n/);
  expect(out.match(/Type yes to go ahead/g)).toHaveLength(1);
});

test('a confirmation not given: nothing is done, the step still waits', async () => {
  const { out } = await chat(['sim-deallocated'], ['a', 'no', 'b']);
  expect(out).toContain('Type yes to go ahead');
  expect(out).toContain('Not done.');
  expect(out).not.toContain('"Start the VM" succeeded.');
  expect(out).toContain('Aborted.');
});

test('view script, a parameter override, a refusal for a bad value', async () => {
  const { out } = await chat(
    ['sim-port-unstoppable'],
    ['v', 'a', 'a', 'a', 'a Port', 'a Port=80', 'yes', 'a Port=3391', 'yes', 'a', 'a', 'b'],
  );
  expect(out).toContain('# rdp-fix-step: diagnose');
  // A name without a value is said, not sent as Port=Port (review finding).
  expect(out).toContain('Write each value as Name=value, e.g. a Port=3391.');
  expect(out).toContain('Not approved: Port must be a whole number from 1025 to 65535, not "80".');
  expect(out).toContain('"Move RDP to another port" succeeded.');
  expect(out).toContain('Aborted.');
});

test('bad, unknown and ambiguous VM names', async () => {
  expect(await chat(['vm;rm', '-rf'], [])).toMatchObject({
    code: 2,
    out: expect.stringContaining('is not a valid Azure VM name'),
  });
  expect(await chat(['no-such-vm'], [])).toMatchObject({
    code: 1,
    out: expect.stringContaining('No VM named no-such-vm'),
  });
  expect(await chat(['sim-twin'], [])).toMatchObject({
    code: 1,
    out: expect.stringContaining(
      'sim-twin exists in several resource groups (rg-sim, rg-sim-east): say which with --rg <group>.',
    ),
  });
  const narrowed = await chat(['sim-twin', '--rg', 'rg-sim-east'], ['b']);
  expect(narrowed.out).toContain('rg-sim-east/sim-twin');
});

test('input that ends early leaves the incident open and says so', async () => {
  const { code, out } = await chat(['sim-healthy'], []);
  expect(code).toBe(4);
  expect(out).toContain('Input closed: the incident stays open');
});

test('sim-forbidden: the 403, then what to grant; never "no cause found"', async () => {
  const { out } = await chat(['sim-forbidden'], ['a', 'b']);
  expect(out).toContain('it lacks Microsoft.Compute/virtualMachines/runCommands/write');
  expect(out).toContain('The diagnostic gave no evidence');
  expect(out).toContain(
    "What to do: rdp-fix's Azure identity lacks the permission Microsoft.Compute/virtualMachines/runCommands/write",
  );
  expect(out).not.toContain("None of the article's causes was found");
  expect(out).not.toContain('path shown above');
});

test('sim-deallocated: offers to start the VM; approved, it starts and the diagnostic follows', async () => {
  const { code, out } = await chat(['sim-deallocated'], ['a', 'yes', 'a', '1']);
  expect(out).toContain('Nothing on this VM can be checked yet: the VM is deallocated. It has to run first.');
  expect(out).toContain('== Start the VM');
  expect(out).toContain('"Start the VM" succeeded. The VM runs and its agent is Ready.');
  expect(out).toContain('"Diagnose the VM (read-only)" succeeded.');
  expect(out).toMatch(/Resolved\.\n/);
  expect(code).toBe(0);
});

test('simulated VMs keep their repairs until `rdp-fix simulate --reset` puts them back', async () => {
  const sim = new ArmSimulator({ subscriptionId: SimulatorSubscription });
  const endpoint = await sim.listen();
  const env = {
    DATABASE_URL: 'memory:',
    RDPFIX_POLL_INTERVAL_MS: '5',
    AZURE_SUBSCRIPTION_ID: SimulatorSubscription,
    AZURE_ARM_ENDPOINT: endpoint,
    // Azure mode needs an approver list, or self-approval on purpose (issue 17): one person here.
    RDPFIX_ALLOW_SELF_APPROVAL: 'true',
  };
  const chatThere = async (lines: string[]) => {
    let out = '';
    await main(['chat', 'sim-rdp-stopped'], {
      input: Readable.from(lines.map((l) => `${l}\n`)),
      out: (t) => (out += t),
      err: (t) => (out += t),
      env,
    });
    return out;
  };
  try {
    const repaired = await chatThere([...Array(8).fill('a'), '1']);
    expect(repaired).toContain("Found 1 of the article's causes:");
    expect(repaired).toMatch(/Resolved\.\n/);
    // The same simulator process: the VM is still repaired.
    expect(await chatThere(['a', 'b'])).toContain("None of the article's causes was found.");

    let out = '';
    const code = await main(['simulate', '--reset'], {
      input: Readable.from([]),
      out: (t) => (out += t),
      err: (t) => (out += t),
      env,
    });
    expect(code).toBe(0);
    expect(out).toBe(
      `Reset ${defaultInventory().length} simulated VMs at ${endpoint} to their starting state (incidents already stored are kept).\n`,
    );
    expect(await chatThere(['a', 'b'])).toContain("Found 1 of the article's causes:");
  } finally {
    await sim.close();
  }
});

test('simulate --reset refuses without a simulator address, or one that is not on loopback', async () => {
  const reset = async (args: string[]) => {
    let err = '';
    const code = await main(['simulate', '--reset', ...args], {
      input: Readable.from([]),
      out: () => {},
      err: (t) => (err += t),
      env: {},
    });
    return { code, err };
  };
  expect(await reset([])).toEqual({
    code: 2,
    err: expect.stringContaining('Which simulator? Give --endpoint'),
  });
  expect(await reset(['--endpoint', 'https://management.azure.com'])).toEqual({
    code: 2,
    err: expect.stringContaining('only a simulator on this machine'),
  });
});

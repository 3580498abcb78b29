import { AzureVmOperations } from '../../src/azure/azure-vm-operations';
import { comparePermissions, covers } from '../../src/azure/check-permissions';
import { StaticTestCredential } from '../../src/azure/loopback-pipeline';
import { NeededActions } from '../../src/azure/needed-actions';
import { actionsNeeded, RescueActions } from '../../src/azure/rescue/rescue-actions';
import { ArmSimulator } from '../../src/simulator/arm-simulator';

const SUB = '11111111-2222-3333-4444-555555555555';

test('wildcards and NotActions, as ARM evaluates them', () => {
  expect(covers('Microsoft.Compute/*', 'Microsoft.Compute/virtualMachines/read')).toBe(true);
  expect(covers('*/read', 'Microsoft.Compute/virtualMachines/read')).toBe(true);
  expect(covers('microsoft.compute/virtualmachines/read', 'Microsoft.Compute/virtualMachines/read')).toBe(
    true,
  );
  expect(
    covers('Microsoft.Compute/virtualMachines/read', 'Microsoft.Compute/virtualMachines/restart/action'),
  ).toBe(false);
  const report = comparePermissions(
    'rg',
    [{ actions: ['*'], notActions: ['Microsoft.Compute/virtualMachines/runCommand/action'] }],
    NeededActions,
  );
  expect(report.missing).toEqual(['Microsoft.Compute/virtualMachines/runCommand/action']);
  expect(report.excess).toEqual(['*']);
});

test.each([
  ['the agent role', undefined, { missing: [], excess: [] }],
  ['Contributor-like', ['*'], { missing: [], excess: ['*'] }],
  [
    'no restart',
    NeededActions.filter((a) => !a.includes('restart')),
    { missing: ['Microsoft.Compute/virtualMachines/restart/action'], excess: [] },
  ],
])('the start-up check reads the real permissions API: %s', async (_name, granted, expected) => {
  const sim = new ArmSimulator({ subscriptionId: SUB, ...(granted ? { grantedActions: [...granted] } : {}) });
  const url = await sim.listen();
  try {
    const azure = new AzureVmOperations({
      subscriptionId: SUB,
      credential: new StaticTestCredential(),
      loopbackEndpoint: url,
      resourceGroups: ['rg-sim'],
    });
    const [report] = await azure.checkPermissions(NeededActions);
    expect(report).toEqual({ scope: 'rg-sim', ...expected });
    const request = sim.requests.find((r) => r.path.endsWith('/permissions'));
    expect(request?.path).toBe(
      `/subscriptions/${SUB}/resourceGroups/rg-sim/providers/Microsoft.Authorization/permissions`,
    );
  } finally {
    await sim.close();
  }
});

test('with RDPFIX_RESCUE=true the start-up check also wants the rescue role: the operator role alone lacks exactly its own actions', async () => {
  const sim = new ArmSimulator({ subscriptionId: SUB });
  const url = await sim.listen();
  try {
    const azure = new AzureVmOperations({
      subscriptionId: SUB,
      credential: new StaticTestCredential(),
      loopbackEndpoint: url,
      resourceGroups: ['rg-sim'],
    });
    const [report] = await azure.checkPermissions(actionsNeeded(true));
    expect(report?.missing.sort()).toEqual(
      RescueActions.filter((a) => !NeededActions.includes(a as never)).sort(),
    );
    const [off] = await azure.checkPermissions(actionsNeeded(false));
    expect(off).toEqual({ scope: 'rg-sim', missing: [], excess: [] });
  } finally {
    await sim.close();
  }
});

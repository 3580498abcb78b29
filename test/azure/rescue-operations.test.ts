import { rescueVmRef } from '../../src/azure/rescue/rescue-names';
import { approveStep } from '../../src/azure/vm-operations';
import { ErrorCodes } from '../../src/core/errors';
import { SimSubscription, useArmSimulator } from '../helpers/arm-sim';

/**
 * The offline repair's Azure operations through the real SDK (@azure/arm-compute,
 * @azure/arm-network) against the loopback ARM simulator: copy, rescue VM, attach, scripts on
 * the rescue VM that change the copy, detach, swap, clean-up, swap-back; and what must never
 * happen (a second rescue VM, using or deleting what carries no incident tag).
 */
const SUB = SimSubscription;
const arm = useArmSimulator();
const azure = () => arm.azure({ sleep: async () => undefined });

function step(vm: string, stepId: string, incidentId = 'inc0001') {
  return approveStep({
    incidentId,
    stepId,
    attempt: 1,
    vm: { subscriptionId: SUB, resourceGroup: 'rg-sim', name: vm },
    risk: 'changesAzure',
    params: {},
    approvedBy: { by: { id: 'U-approver' }, at: '2026-12-01T10:00:00Z' },
  });
}

/** A script as Run Command gets it: the marker line names it (the simulator runs it by that). */
function script(id: string) {
  return { name: `${id}.ps1`, text: `# rdp-fix-step: ${id}\n` };
}

function resultOf(stdout: string) {
  const line = stdout.split('\n').find((l) => l.startsWith('RDPFIX-RESULT: '))!;
  return JSON.parse(line.slice('RDPFIX-RESULT: '.length)) as {
    ok: boolean;
    data: Record<string, unknown>;
    error?: string;
  };
}

async function repairOnRescueVm(vm: string) {
  const ops = azure();
  const rescue = ops.rescueOperations(undefined);
  await ops.snapshotOsDisk(step(vm, 'rescue-snapshot'));
  const copy = await rescue.createRepairDisk(step(vm, 'rescue-copy-disk'));
  const created = await rescue.createRescueVm(step(vm, 'rescue-create-vm'));
  const attached = await rescue.attachRepairDisk(step(vm, 'rescue-attach-disk'));
  const onRescue = { ...step(vm, 'rescue-find-disk'), vm: rescueVmRef('inc0001', step(vm, 'x').vm) };
  const found = resultOf((await ops.runScript(approveStep(onRescue), script('rescue-find-disk'), {})).stdout);
  return { ops, rescue, copy, created, attached, found, onRescue };
}

test('a VM whose agent is down is repaired on a rescue VM and comes back with its agent Ready and no cause', async () => {
  const { ops, rescue, copy, created, attached, found, onRescue } =
    await repairOnRescueVm('sim-agent-down-cert');
  expect(copy.diskId).toMatch(/\/disks\/sim-agent-down-cert-rdpfix-repair-inc0001$/);
  expect(copy.sku).toBe('Premium_LRS');
  expect(created).toEqual({
    rescueVm: 'rdpfix-rescue-inc0001',
    resourceGroup: 'rdpfix-rescue-inc0001',
    size: 'Standard_B2s',
    reused: false,
  });
  expect(attached).toEqual({ lun: 0 });
  expect(found.data).toEqual({
    windowsDrive: 'F',
    bootDrive: 'G',
    generation: 1,
    bitlocker: false,
    lun: 0,
    disk: 2,
  });

  // The rescue VM's NIC is in the source VM's subnet, with no public IP; the VM and its disks carry both tags.
  const nicPut = arm.sim.requests.find(
    (r) => r.method === 'PUT' && r.path.endsWith('/rdpfix-rescue-inc0001-nic'),
  )!;
  const nicBody = nicPut.body as {
    properties: { ipConfigurations: { properties: Record<string, unknown> }[] };
  };
  expect(nicBody.properties.ipConfigurations[0]!.properties.subnet).toEqual({
    id: `/subscriptions/${SUB}/resourceGroups/rg-sim/providers/Microsoft.Network/virtualNetworks/sim-vnet/subnets/default`,
  });
  expect(nicBody.properties.ipConfigurations[0]!.properties.publicIPAddress).toBeUndefined();
  const vmPut = arm.sim.requests.find(
    (r) => r.method === 'PUT' && r.path.endsWith('/virtualMachines/rdpfix-rescue-inc0001'),
  )!;
  expect((vmPut.body as { tags: Record<string, string> }).tags).toEqual({
    'rdp-fix-incident': 'inc0001',
    'rdp-fix': 'rescue',
  });
  // The copy is a Copy of this incident's snapshot ("Disks - Create Or Update").
  const diskPut = arm.sim.requests.find(
    (r) => r.method === 'PUT' && r.path.endsWith('/disks/sim-agent-down-cert-rdpfix-repair-inc0001'),
  )!;
  expect((diskPut.body as { properties: { creationData: unknown } }).properties.creationData).toEqual({
    createOption: 'Copy',
    sourceResourceId: `/subscriptions/${SUB}/resourceGroups/rg-sim/providers/Microsoft.Compute/snapshots/sim-agent-down-cert-rdpfix-rescue-inc0001`,
  });

  // The article's offline fix on the copy, through Run Command on the rescue VM.
  const keys = await ops.runScript(
    approveStep({ ...onRescue, stepId: 'rescue-machinekeys', params: { DriveLetter: 'F' } }),
    { ...script('offline-machinekeys'), engineParams: {} },
    {},
  );
  expect(resultOf(keys.stdout).ok).toBe(true);
  // The source VM's own Windows is untouched until the swap.
  expect(arm.sim.windowsVm('rg-sim', 'sim-agent-down-cert')!.state.certificate?.keyAccess).toBe(
    'networkServiceDenied',
  );

  await rescue.detachRepairDisk(step('sim-agent-down-cert', 'rescue-detach-disk'));
  const swapped = await rescue.swapOsDisk(step('sim-agent-down-cert', 'rescue-swap-disk'));
  expect(swapped.originalDiskId).toMatch(/\/disks\/sim-agent-down-cert-osdisk$/);
  const source = arm.sim.windowsVm('rg-sim', 'sim-agent-down-cert')!;
  expect(source.state).toMatchObject({ power: 'running', agentReady: true });
  expect(source.state.certificate?.keyAccess).toBe('readable');
  expect(await ops.checkVm(step('sim-agent-down-cert', 'x').vm)).toEqual({ status: 'ready' });
  // Azure was asked to deallocate before the OS disk changed.
  const calls = arm.sim.requests.map((r) => `${r.method} ${r.path.split('/').slice(-2).join('/')}`);
  expect(calls.indexOf('POST sim-agent-down-cert/deallocate')).toBeLessThan(
    calls.indexOf('PATCH virtualMachines/sim-agent-down-cert'),
  );

  const cleaned = await rescue.deleteRescueResources(step('sim-agent-down-cert', 'rescue-cleanup'));
  expect(cleaned.deleted.sort()).toEqual(
    [
      'rdpfix-rescue-inc0001',
      'rdpfix-rescue-inc0001-nic',
      'rdpfix-rescue-inc0001-osdisk',
      'rdpfix-rescue-inc0001',
    ].sort(),
  );
  expect(cleaned.kept).toEqual(['sim-agent-down-cert-rdpfix-repair-inc0001 (in use by sim-agent-down-cert)']);
  const left = await rescue.listIncidentResources('inc0001', step('sim-agent-down-cert', 'x').vm);
  expect(left.map((r) => `${r.type} ${r.name} ${r.state}`).sort()).toEqual([
    'disk sim-agent-down-cert-rdpfix-repair-inc0001 attached to sim-agent-down-cert',
    'snapshot sim-agent-down-cert-rdpfix-rescue-inc0001 backup of the OS disk',
  ]);
});

test('swap-back puts the original disk back and deletes the repaired copy', async () => {
  const { rescue } = await repairOnRescueVm('sim-agent-down-tls');
  await rescue.detachRepairDisk(step('sim-agent-down-tls', 'rescue-detach-disk'));
  await rescue.swapOsDisk(step('sim-agent-down-tls', 'rescue-swap-disk'));
  expect(arm.sim.windowsVm('rg-sim', 'sim-agent-down-tls')!.state.tls['TLS 1.2']).toBe(0);
  const back = await rescue.swapBackOsDisk(step('sim-agent-down-tls', 'rescue-swap-back'));
  expect(back.originalDiskId).toMatch(/\/disks\/sim-agent-down-tls-osdisk$/);
  const left = await rescue.listIncidentResources('inc0001', step('sim-agent-down-tls', 'x').vm);
  expect(left.filter((r) => r.type === 'disk' && r.resourceGroup === 'rg-sim')).toEqual([]);
  expect(arm.sim.windowsVm('rg-sim', 'sim-agent-down-tls')!.state.power).toBe('running');
});

test('a second run after a crash finds the rescue VM instead of creating another', async () => {
  const { rescue } = await repairOnRescueVm('sim-agent-down-tls');
  const again = await rescue.createRescueVm(step('sim-agent-down-tls', 'rescue-create-vm'));
  expect(again.reused).toBe(true);
  expect(await rescue.attachRepairDisk(step('sim-agent-down-tls', 'rescue-attach-disk'))).toEqual({ lun: 0 });
  const vmPuts = arm.sim.requests.filter(
    (r) => r.method === 'PUT' && /\/virtualMachines\/rdpfix-rescue-inc0001$/.test(r.path),
  );
  expect(vmPuts).toHaveLength(1);
});

test('a swap Azure refuses leaves the original disk in place and the VM started', async () => {
  const { rescue } = await repairOnRescueVm('sim-agent-down-swap-fails');
  await rescue.detachRepairDisk(step('sim-agent-down-swap-fails', 'rescue-detach-disk'));
  await expect(
    rescue.swapOsDisk(step('sim-agent-down-swap-fails', 'rescue-swap-disk')),
  ).rejects.toMatchObject({
    code: ErrorCodes.RescueSwapFailed,
    message: expect.stringContaining('the original disk sim-agent-down-swap-fails-osdisk is back in place'),
  });
  const vm = arm.sim.windowsVm('rg-sim', 'sim-agent-down-swap-fails')!;
  expect(vm.state.power).toBe('running');
  const cleaned = await rescue.deleteRescueResources(step('sim-agent-down-swap-fails', 'rescue-cleanup'));
  expect(cleaned.deleted).toContain('sim-agent-down-swap-fails-rdpfix-repair-inc0001');
  const left = await rescue.listIncidentResources('inc0001', step('sim-agent-down-swap-fails', 'x').vm);
  expect(left.map((r) => r.type)).toEqual(['snapshot']);
});

test('an encrypted disk and a generation-2 disk are reported as they are', async () => {
  const encrypted = await repairOnRescueVm('sim-agent-down-encrypted');
  expect(encrypted.found).toMatchObject({ ok: false, data: { bitlocker: true } });
  await arm.restart();
  const gen2 = await repairOnRescueVm('sim-agent-down-gen2');
  expect(gen2.found.data).toMatchObject({ generation: 2, bitlocker: false, windowsDrive: 'F' });
});

test('a resource under a rescue name without the incident tags is neither used nor deleted', async () => {
  const ops = azure();
  const rescue = ops.rescueOperations('rg-sim');
  await ops.snapshotOsDisk(step('sim-agent-down-tls', 'rescue-snapshot', 'inc0002'));
  await rescue.createRepairDisk(step('sim-agent-down-tls', 'rescue-copy-disk', 'inc0002'));
  // Someone else's tags on the copy (a PATCH replaces the tags as a whole).
  const compute = (ops as unknown as { compute: import('@azure/arm-compute').ComputeManagementClient })
    .compute;
  await compute.disks
    .update('rg-sim', 'sim-agent-down-tls-rdpfix-repair-inc0002', { tags: { owner: 'someone' } })
    .pollUntilDone();
  await expect(rescue.attachRepairDisk(step('sim-agent-down-tls', 'x', 'inc0002'))).rejects.toMatchObject({
    code: ErrorCodes.RescueResourceNotOurs,
  });
  const cleaned = await rescue.deleteRescueResources(step('sim-agent-down-tls', 'rescue-cleanup', 'inc0002'));
  expect(cleaned.deleted).toEqual([]);
  expect(arm.sim.requests.filter((r) => r.method === 'DELETE')).toEqual([]);
});

test('a zonal VM: the copy and the rescue VM go to its zone, so that the copy can be attached and swapped in', async () => {
  const { rescue, found } = await repairOnRescueVm('sim-agent-down-zonal');
  expect(found.ok).toBe(true);
  const put = (suffix: string) =>
    arm.sim.requests.find((r) => r.method === 'PUT' && r.path.endsWith(suffix))?.body as { zones?: string[] };
  expect(put('/disks/sim-agent-down-zonal-rdpfix-repair-inc0001').zones).toEqual(['2']);
  expect(put('/virtualMachines/rdpfix-rescue-inc0001').zones).toEqual(['2']);
  await rescue.detachRepairDisk(step('sim-agent-down-zonal', 'rescue-detach-disk'));
  await rescue.swapOsDisk(step('sim-agent-down-zonal', 'rescue-swap-disk'));
  expect(arm.sim.windowsVm('rg-sim', 'sim-agent-down-zonal')!.state).toMatchObject({
    power: 'running',
    agentReady: true,
  });
});

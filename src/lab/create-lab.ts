import { isRestError } from '@azure/core-rest-pipeline';
import { callAzure } from '../azure/azure-errors';
import { privateNicBody, privateWindowsVmBody } from '../azure/private-windows-vm';
import { ErrorCodes, RdpFixError } from '../core/errors';
import { LabAdminUser, LabImage, type LabPlan } from './lab-plan';
import { putShutdownSchedule } from './lab-schedules';
import type { LabClients } from './lab-target';

/** Whether a VM of the plan's name exists already in its resource group (then create refuses). */
export async function labVmExists(clients: LabClients, plan: LabPlan): Promise<boolean> {
  try {
    await clients.compute.virtualMachines.get(plan.options.resourceGroup, plan.vm);
    return true;
  } catch (err) {
    if (isRestError(err) && err.statusCode === 404) return false;
    throw err;
  }
}

/**
 * Creates the lab in the order Azure needs (network, NIC, VM, then the VM's OS disk tagged
 * and its auto-shutdown), every resource tagged `rdp-fix-lab: <lab id>`. The admin password
 * goes only into the VM's PUT. `progress` is told each resource as it is done.
 */
export async function createLab(
  clients: LabClients,
  plan: LabPlan,
  adminPassword: string,
  progress: (line: string) => void,
): Promise<void> {
  const { compute, network, target } = clients;
  const { resourceGroup: rg, location, size, shutdownAt } = plan.options;
  const tags = plan.tags;
  const poll = { updateIntervalInMs: target.pollIntervalMs };
  const vnet = await callAzure('create the virtual network', () =>
    network.virtualNetworks.createOrUpdate(
      rg,
      plan.vnet,
      {
        location,
        tags,
        addressSpace: { addressPrefixes: ['10.0.0.0/24'] },
        subnets: [{ name: plan.subnet, addressPrefix: '10.0.0.0/24' }],
      },
      poll,
    ),
  );
  progress(`created virtual network ${plan.vnet}`);
  const subnetId = vnet.subnets?.find((s) => s.name === plan.subnet)?.id;
  if (!subnetId)
    throw new RdpFixError(ErrorCodes.AzureOperationFailed, `${plan.vnet} came back without its subnet`);
  // No publicIPAddress: the lab is reached through Run Command only.
  const nic = await callAzure('create the network interface', () =>
    network.networkInterfaces.createOrUpdate(rg, plan.nic, privateNicBody(location, tags, subnetId), poll),
  );
  progress(`created network interface ${plan.nic} (no public IP)`);
  const vm = await callAzure('create the VM', () =>
    compute.virtualMachines.createOrUpdate(
      rg,
      plan.vm,
      privateWindowsVmBody({
        location,
        tags,
        size,
        image: LabImage,
        osDiskName: plan.osDisk,
        computerName: plan.vm,
        adminUser: LabAdminUser,
        adminPassword,
        nicId: nic.id!,
        automaticUpdates: true,
      }),
      poll,
    ),
  );
  progress(`created VM ${plan.vm} (${size})`);
  // Azure does not copy a VM's tags to the OS disk it creates from the image.
  const diskName = vm.storageProfile?.osDisk?.name ?? plan.osDisk;
  await callAzure('tag the OS disk', () => compute.disks.update(rg, diskName, { tags }, poll));
  progress(`tagged OS disk ${diskName}`);
  await putShutdownSchedule(clients, rg, plan.schedule, {
    location,
    tags,
    properties: {
      status: 'Enabled',
      taskType: 'ComputeVmShutdownTask',
      dailyRecurrence: { time: shutdownAt },
      timeZoneId: 'UTC',
      notificationSettings: { status: 'Disabled', timeInMinutes: 30 },
      targetResourceId: vm.id,
    },
  });
  progress(`created auto-shutdown ${plan.schedule} (every day at ${shutdownAt} UTC)`);
}

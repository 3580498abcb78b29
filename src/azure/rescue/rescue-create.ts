import { ErrorCodes, RdpFixError } from '../../core/errors';
import { generateAdminPassword } from '../../lab/admin-password';
import { callAzure } from '../azure-errors';
import { parseId } from '../resource-id';
import type { ApprovedStep } from '../vm-operations';
import {
  assertOurs,
  found,
  getRepairDisk,
  getSourceVm,
  planOf,
  pollOptions,
  type RescueClients,
  sameId,
} from './rescue-clients';
import { OriginalDiskTag, RescueComputerName, rescueTags, snapshotNameOf } from './rescue-names';
import { getGroup, putGroup } from './resource-groups';

/**
 * A small size that runs Windows Server and takes data disks of every kind (B2s: 2 vCPU,
 * 4 GiB); about USD 0.05 an hour with a Windows licence in West Europe (Azure pricing
 * calculator): the rescue VM exists for minutes.
 */
export const RescueVmSize = 'Standard_B2s';
/** Windows Server 2022 with a 30 GiB OS disk, generation 2 (it reads gen-1 MBR and gen-2 GPT disks alike). */
export const RescueImage = {
  publisher: 'MicrosoftWindowsServer',
  offer: 'WindowsServer',
  sku: '2022-datacenter-smalldisk-g2',
  version: 'latest',
} as const;
const RescueAdminUser = 'rdpfixrescue';

/**
 * "Disks - Create Or Update" (REST reference, learn.microsoft.com/rest/api/compute/disks/create-or-update):
 * `creationData: { createOption: "Copy", sourceResourceId: <snapshot id> }`, in the source
 * disk's location and zone, with its SKU, OS type and Hyper-V generation, so that it can
 * replace the OS disk later. Tagged with the incident and the disk it repairs.
 */
export async function createRepairDisk(c: RescueClients, step: ApprovedStep, signal?: AbortSignal) {
  const plan = planOf(c, step);
  const existing = await callAzure('read the repaired copy', () => getRepairDisk(c, step, signal));
  if (existing) return { diskId: existing.id ?? '', sku: existing.sku?.name ?? '' };
  const vm = await callAzure('read the VM', () => getSourceVm(c, step, signal));
  const osDiskId = vm.storageProfile?.osDisk?.managedDisk?.id;
  if (!osDiskId)
    throw new RdpFixError(
      ErrorCodes.RescueBlocked,
      'the VM has no managed OS disk: the offline repair needs one',
    );
  const source = parseId(osDiskId);
  const osDisk = await callAzure('read the OS disk', () =>
    c.compute.disks.get(source.resourceGroup, source.name, { abortSignal: signal }),
  );
  const snapshotName = snapshotNameOf(step.vm.name, step.incidentId);
  const snapshot = await callAzure('read the snapshot', () =>
    found(() => c.compute.snapshots.get(step.vm.resourceGroup, snapshotName, { abortSignal: signal })),
  );
  if (!snapshot?.id)
    throw new RdpFixError(
      ErrorCodes.RescueBlocked,
      `no snapshot ${snapshotName} of this incident to copy: take the snapshot first`,
    );
  const disk = await callAzure('create the repaired copy of the OS disk', () =>
    c.compute.disks
      .createOrUpdate(
        step.vm.resourceGroup,
        plan.repairDisk,
        {
          location: osDisk.location,
          ...(osDisk.zones?.length ? { zones: osDisk.zones } : {}),
          tags: { ...rescueTags(step.incidentId), [OriginalDiskTag]: osDiskId },
          ...(osDisk.sku?.name ? { sku: { name: osDisk.sku.name } } : {}),
          osType: osDisk.osType ?? 'Windows',
          ...(osDisk.hyperVGeneration ? { hyperVGeneration: osDisk.hyperVGeneration } : {}),
          creationData: { createOption: 'Copy', sourceResourceId: snapshot.id },
        },
        pollOptions(c, signal),
      )
      .pollUntilDone({ abortSignal: signal }),
  );
  return { diskId: disk.id ?? '', sku: disk.sku?.name ?? '' };
}

/**
 * The rescue VM, as `rdp-fix lab` creates its VM (create-lab.ts): a NIC in the source VM's
 * subnet with no public IP, then "Virtual Machines - Create Or Update" from a Windows Server
 * image, in the source's location and zone, with a random admin password that is sent once
 * and kept nowhere (Run Command needs none), then its OS disk tagged (Azure does not copy a
 * VM's tags to the disk it creates). An existing rescue VM of this incident is used again.
 */
export async function createRescueVm(c: RescueClients, step: ApprovedStep, signal?: AbortSignal) {
  const plan = planOf(c, step);
  const result = { rescueVm: plan.vm, resourceGroup: plan.resourceGroup, size: RescueVmSize };
  const tags = rescueTags(step.incidentId);
  const existing = await callAzure('look for the rescue VM', () =>
    found(() => c.compute.virtualMachines.get(plan.resourceGroup, plan.vm, { abortSignal: signal })),
  );
  if (existing) {
    assertOurs(existing, step);
    return { ...result, reused: true };
  }
  const vm = await callAzure('read the VM', () => getSourceVm(c, step, signal));
  const location = vm.location;
  if (plan.ownGroup) {
    const group = await callAzure('read the rescue resource group', () =>
      getGroup(c.groups, plan.resourceGroup),
    );
    if (group) assertOurs({ name: plan.resourceGroup, tags: group.tags }, step);
    else
      await callAzure('create the rescue resource group', () =>
        putGroup(c.groups, plan.resourceGroup, { location, tags }),
      );
  }
  const sourceNicId = vm.networkProfile?.networkInterfaces?.[0]?.id ?? '';
  const sourceNic = parseId(sourceNicId);
  const subnetId = (
    await callAzure('read the VM network interface', () =>
      c.network.networkInterfaces.get(sourceNic.resourceGroup, sourceNic.name, { abortSignal: signal }),
    )
  ).ipConfigurations?.[0]?.subnet?.id;
  if (!subnetId)
    throw new RdpFixError(
      ErrorCodes.RescueBlocked,
      `${sourceNic.name} has no subnet to put the rescue VM in`,
    );
  const oldNic = await callAzure('look for the rescue network interface', () =>
    found(() => c.network.networkInterfaces.get(plan.resourceGroup, plan.nic, { abortSignal: signal })),
  );
  if (oldNic) assertOurs(oldNic, step);
  // No publicIPAddress: the rescue VM is reached through Run Command only.
  const nic = await callAzure('create the rescue network interface', () =>
    c.network.networkInterfaces.createOrUpdate(
      plan.resourceGroup,
      plan.nic,
      {
        location,
        tags,
        ipConfigurations: [
          { name: 'ipconfig1', subnet: { id: subnetId }, privateIPAllocationMethod: 'Dynamic' },
        ],
      },
      pollOptions(c, signal),
    ),
  );
  const created = await callAzure('create the rescue VM', () =>
    c.compute.virtualMachines
      .createOrUpdate(
        plan.resourceGroup,
        plan.vm,
        {
          location,
          ...(vm.zones?.length ? { zones: vm.zones } : {}),
          tags,
          hardwareProfile: { vmSize: RescueVmSize },
          storageProfile: {
            imageReference: { ...RescueImage },
            osDisk: {
              name: plan.osDisk,
              createOption: 'FromImage',
              managedDisk: { storageAccountType: 'StandardSSD_LRS' },
              // Kept when the VM goes, so that the clean-up deletes it by its tags like the rest.
              deleteOption: 'Detach',
            },
          },
          osProfile: {
            computerName: RescueComputerName,
            adminUsername: RescueAdminUser,
            adminPassword: generateAdminPassword(),
            windowsConfiguration: { provisionVMAgent: true, enableAutomaticUpdates: false },
          },
          networkProfile: { networkInterfaces: [{ id: nic.id ?? '', primary: true }] },
        },
        pollOptions(c, signal),
      )
      .pollUntilDone({ abortSignal: signal }),
  );
  const osDiskName = created.storageProfile?.osDisk?.name ?? plan.osDisk;
  await callAzure('tag the rescue VM OS disk', () =>
    c.compute.disks.update(plan.resourceGroup, osDiskName, { tags }, pollOptions(c, signal)).pollUntilDone(),
  );
  return { ...result, reused: false };
}

/**
 * "Virtual Machines - Update" (PATCH) with `storageProfile.dataDisks`: the list is replaced as a
 * whole, so the rescue VM's other data disks are sent again, and the copy goes in with
 * `createOption: "Attach"` at the first free LUN ("Attach a managed data disk", REST
 * reference examples). Already attached: nothing to do.
 */
export async function attachRepairDisk(c: RescueClients, step: ApprovedStep, signal?: AbortSignal) {
  const plan = planOf(c, step);
  const disk = await callAzure('read the repaired copy', () => getRepairDisk(c, step, signal));
  if (!disk?.id) throw new RdpFixError(ErrorCodes.RescueBlocked, 'the repaired copy does not exist yet');
  const rescue = await callAzure('read the rescue VM', () =>
    c.compute.virtualMachines.get(plan.resourceGroup, plan.vm, { abortSignal: signal }),
  );
  assertOurs(rescue, step);
  const dataDisks = rescue.storageProfile?.dataDisks ?? [];
  const attached = dataDisks.find((d) => sameId(d.managedDisk?.id, disk.id));
  if (attached) return { lun: attached.lun };
  if (disk.managedBy)
    throw new RdpFixError(ErrorCodes.RescueBlocked, `the repaired copy is attached to ${disk.managedBy}`);
  const used = new Set(dataDisks.map((d) => d.lun));
  let lun = 0;
  while (used.has(lun)) lun++;
  await callAzure('attach the copy to the rescue VM', () =>
    c.compute.virtualMachines
      .update(
        plan.resourceGroup,
        plan.vm,
        {
          storageProfile: {
            dataDisks: [...dataDisks, { lun, createOption: 'Attach', managedDisk: { id: disk.id } }],
          },
        },
        pollOptions(c, signal),
      )
      .pollUntilDone({ abortSignal: signal }),
  );
  return { lun };
}

/** The same PATCH without the copy in `dataDisks` (Azure's way to detach; "Detach a data disk"). */
export async function detachRepairDisk(c: RescueClients, step: ApprovedStep, signal?: AbortSignal) {
  const plan = planOf(c, step);
  const disk = await callAzure('read the repaired copy', () => getRepairDisk(c, step, signal));
  const rescue = await callAzure('read the rescue VM', () =>
    found(() => c.compute.virtualMachines.get(plan.resourceGroup, plan.vm, { abortSignal: signal })),
  );
  if (!disk?.id || !rescue) return { detached: !disk?.managedBy };
  assertOurs(rescue, step);
  const dataDisks = rescue.storageProfile?.dataDisks ?? [];
  if (!dataDisks.some((d) => sameId(d.managedDisk?.id, disk.id))) return { detached: true };
  await callAzure('detach the copy from the rescue VM', () =>
    c.compute.virtualMachines
      .update(
        plan.resourceGroup,
        plan.vm,
        { storageProfile: { dataDisks: dataDisks.filter((d) => !sameId(d.managedDisk?.id, disk.id)) } },
        pollOptions(c, signal),
      )
      .pollUntilDone({ abortSignal: signal }),
  );
  return { detached: true };
}

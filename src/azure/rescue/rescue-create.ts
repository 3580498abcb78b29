import type { VirtualMachine } from '@azure/arm-compute';
import { ErrorCodes, RdpFixError } from '../../core/errors';
import { generateAdminPassword } from '../../lab/admin-password';
import { callAzure } from '../azure-errors';
import { privateNicBody, privateWindowsVmBody } from '../private-windows-vm';
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
import {
  isRescueResourceOf,
  OriginalDiskTag,
  RescueComputerName,
  rescueTags,
  snapshotNameOf,
} from './rescue-names';
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
 * replace the OS disk later. Tagged with the incident and the disk it repairs. `az vm repair
 * create` copies the same four properties and also keeps the copy in the source VM's resource
 * group (Azure/azure-cli-extensions, src/vm-repair/azext_vm_repair/custom.py, `create`).
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
  // The offline repair's snapshot; else the incident's backup (a playbook without a rescue snapshot step).
  const names = [
    snapshotNameOf(step.vm.name, step.incidentId, 'rescue-'),
    snapshotNameOf(step.vm.name, step.incidentId),
  ];
  const snapshotName = names[0]!;
  let snapshot: Awaited<ReturnType<typeof c.compute.snapshots.get>> | undefined;
  for (const name of names) {
    snapshot ??= await callAzure('read the snapshot', () =>
      found(() => c.compute.snapshots.get(step.vm.resourceGroup, name, { abortSignal: signal })),
    );
  }
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
    // A run cut short (a crash) may have left it being created, its OS disk not tagged yet.
    const ready = await waitProvisioned(c, plan.resourceGroup, plan.vm, signal);
    await tagOsDisk(c, step, ready, signal);
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
  const nic = await callAzure('create the rescue network interface', () =>
    c.network.networkInterfaces.createOrUpdate(
      plan.resourceGroup,
      plan.nic,
      privateNicBody(location, tags, subnetId),
      pollOptions(c, signal),
    ),
  );
  const created = await callAzure('create the rescue VM', () =>
    c.compute.virtualMachines
      .createOrUpdate(
        plan.resourceGroup,
        plan.vm,
        privateWindowsVmBody({
          location,
          ...(vm.zones?.length ? { zones: vm.zones } : {}),
          tags,
          size: RescueVmSize,
          image: RescueImage,
          osDiskName: plan.osDisk,
          computerName: RescueComputerName,
          adminUser: RescueAdminUser,
          adminPassword: generateAdminPassword(),
          nicId: nic.id ?? '',
          // Nothing may restart it in the middle of a repair.
          automaticUpdates: false,
        }),
        pollOptions(c, signal),
      )
      .pollUntilDone({ abortSignal: signal }),
  );
  await tagOsDisk(c, step, created, signal);
  return { ...result, reused: false };
}

/** How long a rescue VM found half-made may take to finish (Azure: a few minutes). */
const ProvisioningWaitMs = 20 * 60_000;

/** Polls the rescue VM until Azure says its creation ended; a failed creation stops the path. */
async function waitProvisioned(c: RescueClients, rg: string, name: string, signal?: AbortSignal) {
  const deadline = Date.now() + ProvisioningWaitMs;
  for (;;) {
    const vm = await callAzure('read the rescue VM', () =>
      c.compute.virtualMachines.get(rg, name, { abortSignal: signal }),
    );
    const state = vm.provisioningState ?? 'Succeeded';
    if (state === 'Succeeded') return vm;
    if (state === 'Failed' || Date.now() > deadline)
      throw new RdpFixError(
        ErrorCodes.RescueBlocked,
        `the rescue VM ${name} is ${state}: the clean-up step deletes it; then start the offline repair again`,
      );
    await c.sleep(c.pollIntervalMs);
  }
}

/**
 * Azure does not copy a VM's tags to the OS disk it creates from the image: the rescue VM's
 * OS disk is tagged here, so that the clean-up finds it. Only a disk this VM is managing.
 */
async function tagOsDisk(c: RescueClients, step: ApprovedStep, vm: VirtualMachine, signal?: AbortSignal) {
  const plan = planOf(c, step);
  const name = vm.storageProfile?.osDisk?.name ?? plan.osDisk;
  const disk = await callAzure('read the rescue VM OS disk', () =>
    c.compute.disks.get(plan.resourceGroup, name, { abortSignal: signal }),
  );
  if (isRescueResourceOf(disk.tags, step.incidentId)) return;
  if (!sameId(disk.managedBy, vm.id))
    throw new RdpFixError(ErrorCodes.RescueResourceNotOurs, `${disk.id} is not the rescue VM's OS disk`);
  await callAzure('tag the rescue VM OS disk', () =>
    c.compute.disks
      .update(plan.resourceGroup, name, { tags: rescueTags(step.incidentId) }, pollOptions(c, signal))
      .pollUntilDone({ abortSignal: signal }),
  );
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

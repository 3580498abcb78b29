import { ErrorCodes, messageOf, RdpFixError } from '../../core/errors';
import { callAzure } from '../azure-errors';
import { parseId } from '../resource-id';
import type { ApprovedStep } from '../vm-operations';
import { found, getRepairDisk, getSourceVm, pollOptions, type RescueClients, sameId } from './rescue-clients';
import { OriginalDiskTag } from './rescue-names';

/**
 * The OS disk swap ("Change the OS disk used by an Azure VM", learn.microsoft.com/azure/
 * virtual-machines/windows/os-disk-swap: stop-deallocate the VM, then "Virtual Machines -
 * Update" with `storageProfile.osDisk.managedDisk.id` (and `name`) of the other disk, then
 * start). Azure refuses to change the OS disk of a VM that is not deallocated. As `az vm
 * update --os-disk` does (azure-cli, vm/custom.py; `az vm repair restore` swaps with it,
 * azure-cli-extensions src/vm-repair/azext_vm_repair/custom.py), the VM's own osDisk is sent back with only
 * the disk's id and name changed (its createOption is required and stays as it was).
 */
async function setOsDisk(
  c: RescueClients,
  step: ApprovedStep,
  disk: { id: string; name: string },
  signal?: AbortSignal,
): Promise<void> {
  await callAzure('deallocate the VM', () =>
    c.compute.virtualMachines
      .deallocate(step.vm.resourceGroup, step.vm.name, pollOptions(c, signal))
      .pollUntilDone({ abortSignal: signal }),
  );
  const vm = await callAzure('read the VM', () => getSourceVm(c, step, signal));
  const osDisk = {
    createOption: 'Attach',
    ...vm.storageProfile?.osDisk,
    managedDisk: { id: disk.id },
    name: disk.name,
  };
  await callAzure('swap the OS disk', () =>
    c.compute.virtualMachines
      .update(step.vm.resourceGroup, step.vm.name, { storageProfile: { osDisk } }, pollOptions(c, signal))
      .pollUntilDone({ abortSignal: signal }),
  );
}

/** "Virtual Machines - Start", without waiting for the agent (the original disk may never bring it up). */
function startVm(c: RescueClients, step: ApprovedStep, signal?: AbortSignal): Promise<void> {
  return callAzure('start the VM', () =>
    c.compute.virtualMachines
      .start(step.vm.resourceGroup, step.vm.name, pollOptions(c, signal))
      .pollUntilDone({ abortSignal: signal }),
  );
}

export async function swapOsDisk(c: RescueClients, step: ApprovedStep, signal?: AbortSignal) {
  const repair = await callAzure('read the repaired copy', () => getRepairDisk(c, step, signal));
  if (!repair?.id || !repair.name)
    throw new RdpFixError(ErrorCodes.RescueBlocked, 'the repaired copy does not exist');
  const vm = await callAzure('read the VM', () => getSourceVm(c, step, signal));
  const current = vm.storageProfile?.osDisk?.managedDisk?.id ?? '';
  const originalDiskId = repair.tags?.[OriginalDiskTag] ?? current;
  const result = { originalDiskId, repairedDiskId: repair.id };
  // Run again after a crash: the copy may already be the OS disk.
  if (sameId(current, repair.id)) {
    await c.startAndWait(step, signal);
    return result;
  }
  if (repair.managedBy)
    throw new RdpFixError(
      ErrorCodes.RescueBlocked,
      `the repaired copy is still attached to ${repair.managedBy}: detach it first`,
    );
  try {
    await setOsDisk(c, step, { id: repair.id, name: repair.name }, signal);
    await c.startAndWait(step, signal);
    return result;
  } catch (err) {
    if (signal?.aborted) throw err;
    const restored = await putOriginalBack(c, step, originalDiskId, signal);
    throw new RdpFixError(
      ErrorCodes.RescueSwapFailed,
      `the OS disk swap failed (${messageOf(err)}); ${restored}`,
      {},
      { cause: err },
    );
  }
}

/** After a failed swap: the original disk back in place and the VM started, or why not. */
async function putOriginalBack(
  c: RescueClients,
  step: ApprovedStep,
  originalDiskId: string,
  signal?: AbortSignal,
): Promise<string> {
  try {
    const vm = await callAzure('read the VM', () => getSourceVm(c, step, signal));
    if (!sameId(vm.storageProfile?.osDisk?.managedDisk?.id, originalDiskId))
      await setOsDisk(c, step, { id: originalDiskId, name: parseId(originalDiskId).name }, signal);
    await startVm(c, step, signal);
    return `the original disk ${parseId(originalDiskId).name} is back in place and the VM started`;
  } catch (err) {
    return `putting the original disk ${parseId(originalDiskId).name} back failed too (${messageOf(err)}): swap it back in the Azure portal (Disks > Swap OS disk)`;
  }
}

/**
 * `swap-back`: the original disk (named by the copy's tag) becomes the OS disk again and the
 * VM starts; the copy, now unattached and this incident's, is deleted.
 */
export async function swapBackOsDisk(c: RescueClients, step: ApprovedStep, signal?: AbortSignal) {
  const repair = await callAzure('read the repaired copy', () => getRepairDisk(c, step, signal));
  const originalDiskId = repair?.tags?.[OriginalDiskTag];
  if (!repair?.id || !originalDiskId)
    throw new RdpFixError(
      ErrorCodes.RescueBlocked,
      'no repaired copy of this incident names an original disk',
    );
  const original = parseId(originalDiskId);
  const disk = await callAzure('read the original disk', () =>
    found(() => c.compute.disks.get(original.resourceGroup, original.name, { abortSignal: signal })),
  );
  if (!disk) throw new RdpFixError(ErrorCodes.RescueBlocked, `the original disk ${original.name} is gone`);
  const vm = await callAzure('read the VM', () => getSourceVm(c, step, signal));
  if (!sameId(vm.storageProfile?.osDisk?.managedDisk?.id, originalDiskId))
    await setOsDisk(c, step, { id: originalDiskId, name: original.name }, signal);
  await startVm(c, step, signal);
  await callAzure('delete the repaired copy', () =>
    c.compute.disks
      .delete(step.vm.resourceGroup, repair.name ?? '', pollOptions(c, signal))
      .pollUntilDone({ abortSignal: signal }),
  );
  return { originalDiskId };
}

import type { ComputeManagementClient, Disk, VirtualMachine } from '@azure/arm-compute';
import type { NetworkManagementClient } from '@azure/arm-network';
import { isRestError } from '@azure/core-rest-pipeline';
import { ErrorCodes, RdpFixError } from '../../core/errors';
import type { ApprovedStep } from '../vm-operations';
import { isRescueResourceOf, type RescuePlan, rescuePlanOf } from './rescue-names';
import type { GroupTarget } from './resource-groups';

/** What the rescue operations work with: the product's SDK clients and settings. */
export interface RescueClients {
  compute: ComputeManagementClient;
  network: NetworkManagementClient;
  groups: GroupTarget;
  pollIntervalMs: number;
  /** `RDPFIX_RESCUE_RESOURCE_GROUP`, or undefined for a new group per incident. */
  rescueGroup: string | undefined;
  sleep: (ms: number) => Promise<void>;
  /** Starts the source VM and waits until its agent is Ready (VmOperations.start). */
  startAndWait(step: ApprovedStep, signal?: AbortSignal): Promise<void>;
}

export function planOf(clients: RescueClients, step: ApprovedStep): RescuePlan {
  return rescuePlanOf(step.incidentId, step.vm, clients.rescueGroup);
}

export function pollOptions(clients: RescueClients, signal?: AbortSignal) {
  return { updateIntervalInMs: clients.pollIntervalMs, abortSignal: signal };
}

/** A GET that answers undefined for 404 instead of throwing. */
export async function found<T>(get: () => Promise<T>): Promise<T | undefined> {
  try {
    return await get();
  } catch (err) {
    if (isRestError(err) && err.statusCode === 404) return undefined;
    throw err;
  }
}

/** A resource under a rescue name must be this incident's: anything else is someone else's. */
export function assertOurs(
  resource: { id?: string; name?: string; tags?: Record<string, string> },
  step: ApprovedStep,
): void {
  if (!isRescueResourceOf(resource.tags, step.incidentId)) {
    throw new RdpFixError(
      ErrorCodes.RescueResourceNotOurs,
      `${resource.id ?? resource.name} exists without this incident's tags (rdp-fix-incident: ${step.incidentId}, rdp-fix: rescue): rdp-fix neither uses nor deletes it. Remove it or choose another RDPFIX_RESCUE_RESOURCE_GROUP.`,
    );
  }
}

export function getSourceVm(
  c: RescueClients,
  step: ApprovedStep,
  signal?: AbortSignal,
): Promise<VirtualMachine> {
  return c.compute.virtualMachines.get(step.vm.resourceGroup, step.vm.name, { abortSignal: signal });
}

/** The repaired copy (in the source VM's group), if it exists; refused if it is not this incident's. */
export async function getRepairDisk(
  c: RescueClients,
  step: ApprovedStep,
  signal?: AbortSignal,
): Promise<Disk | undefined> {
  const disk = await found(() =>
    c.compute.disks.get(step.vm.resourceGroup, planOf(c, step).repairDisk, { abortSignal: signal }),
  );
  if (disk) assertOurs(disk, step);
  return disk;
}

export function sameId(a: string | undefined, b: string | undefined): boolean {
  return Boolean(a && b && a.toLowerCase() === b.toLowerCase());
}

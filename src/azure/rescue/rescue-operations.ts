import type { ApprovedStep } from '../vm-operations';

/** One Azure resource an incident has now, for the incident page. */
export interface IncidentResource {
  type: 'snapshot' | 'disk' | 'virtualMachine' | 'networkInterface' | 'resourceGroup';
  name: string;
  resourceGroup: string;
  /** What it is for the incident, e.g. "OS disk of vm-web-01 (repaired copy)", "attached to …". */
  state: string;
}

/**
 * The offline repair's Azure operations (the "Offline repair contract" in shared/DESIGN.md),
 * each for an approved step of the source VM. Every one is safe to run again: names come
 * from the incident id, so a second run finds what the first made (a crash never makes a
 * second rescue VM), and a resource of that name without the incident's tags is refused,
 * never adopted or deleted.
 */
export interface RescueOperations {
  /** A managed disk copied from the incident's snapshot of the OS disk: same zone, SKU and generation. */
  createRepairDisk(step: ApprovedStep, signal?: AbortSignal): Promise<{ diskId: string; sku: string }>;
  /** The rescue VM: source region (and zone), the source's subnet, no public IP, a random password nobody keeps. */
  createRescueVm(
    step: ApprovedStep,
    signal?: AbortSignal,
  ): Promise<{ rescueVm: string; resourceGroup: string; size: string; reused: boolean }>;
  attachRepairDisk(step: ApprovedStep, signal?: AbortSignal): Promise<{ lun: number }>;
  detachRepairDisk(step: ApprovedStep, signal?: AbortSignal): Promise<{ detached: boolean }>;
  /**
   * Deallocate the source VM, make the repaired copy its OS disk, start it and wait for its
   * agent. On any failure after the deallocation the original disk is put back (and the VM
   * started) before the error is thrown.
   */
  swapOsDisk(
    step: ApprovedStep,
    signal?: AbortSignal,
  ): Promise<{ originalDiskId: string; repairedDiskId: string }>;
  /** Puts the original OS disk back (deallocate, swap, start) and deletes the repaired copy. */
  swapBackOsDisk(step: ApprovedStep, signal?: AbortSignal): Promise<{ originalDiskId: string }>;
  /** Deletes the rescue VM, its NIC and OS disk, an unattached repaired copy, and the group if rdp-fix made it and it is empty. */
  deleteRescueResources(
    step: ApprovedStep,
    signal?: AbortSignal,
  ): Promise<{ deleted: string[]; kept: string[] }>;
}

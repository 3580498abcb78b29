import { ErrorCodes, RdpFixError } from '../core/errors';
import type { VmRef } from '../core/types';

/**
 * The key the stores keep unique among open incidents (one open incident per VM). Azure
 * compares subscription, resource group and VM names case-insensitively, so does this.
 */
export function openVmKey(vm: VmRef): string {
  return `${vm.subscriptionId}/${vm.resourceGroup}/${vm.name}`.toLowerCase();
}

/** The error every store throws when a VM already has an open incident. */
export function alreadyOpen(incidentId: string): RdpFixError {
  return new RdpFixError(ErrorCodes.IncidentAlreadyOpen, `the VM already has open incident ${incidentId}`, {
    incidentId,
  });
}

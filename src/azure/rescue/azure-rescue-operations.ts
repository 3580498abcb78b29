import type { VmRef } from '../../core/types';
import type { ApprovedStep } from '../vm-operations';
import { deleteRescueResources, listIncidentResources } from './rescue-cleanup';
import type { RescueClients } from './rescue-clients';
import { attachRepairDisk, createRepairDisk, createRescueVm, detachRepairDisk } from './rescue-create';
import type { IncidentResource, RescueOperations } from './rescue-operations';
import { swapBackOsDisk, swapOsDisk } from './rescue-swap';

/** RescueOperations on the Azure SDK (the product's compute and network clients). */
export class AzureRescueOperations implements RescueOperations {
  constructor(private readonly clients: RescueClients) {}

  createRepairDisk(step: ApprovedStep, signal?: AbortSignal) {
    return createRepairDisk(this.clients, step, signal);
  }
  createRescueVm(step: ApprovedStep, signal?: AbortSignal) {
    return createRescueVm(this.clients, step, signal);
  }
  attachRepairDisk(step: ApprovedStep, signal?: AbortSignal) {
    return attachRepairDisk(this.clients, step, signal);
  }
  detachRepairDisk(step: ApprovedStep, signal?: AbortSignal) {
    return detachRepairDisk(this.clients, step, signal);
  }
  swapOsDisk(step: ApprovedStep, signal?: AbortSignal) {
    return swapOsDisk(this.clients, step, signal);
  }
  swapBackOsDisk(step: ApprovedStep, signal?: AbortSignal) {
    return swapBackOsDisk(this.clients, step, signal);
  }
  deleteRescueResources(step: ApprovedStep, signal?: AbortSignal) {
    return deleteRescueResources(this.clients, step, signal);
  }
  /** Read-only: what carries the incident's tag now (the incident page). */
  listIncidentResources(incidentId: string, vm: VmRef, signal?: AbortSignal): Promise<IncidentResource[]> {
    return listIncidentResources(this.clients, { incidentId, vm }, signal);
  }
}

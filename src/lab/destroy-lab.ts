import { callAzure } from '../azure/azure-errors';
import { deleteNicWaitingOutReservation } from '../azure/delete-nic';
import { ErrorCodes, isRdpFixError } from '../core/errors';
import { LabKinds, type LabResource } from './find-lab';
import { deleteSchedule } from './lab-schedules';
import type { LabClients } from './lab-target';

/** How each kind is named to a person. */
export const KindNames: Record<LabResource['kind'], string> = {
  schedule: 'auto-shutdown',
  vm: 'virtual machine',
  disk: 'disk',
  nic: 'network interface',
  vnet: 'virtual network',
};

/**
 * Deletes the tagged resources found, in the order Azure allows: the schedule, the VM (an
 * attached disk or NIC cannot be deleted), then disks, NICs, networks. Only what `found`
 * lists is touched, and `found` holds only tagged resources. A resource already gone (404)
 * counts as deleted.
 */
export async function destroyLab(
  clients: LabClients,
  found: LabResource[],
  progress: (line: string) => void,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
): Promise<void> {
  const { compute, network, target } = clients;
  const poll = { updateIntervalInMs: target.pollIntervalMs };
  const ordered = [...found].sort((a, b) => LabKinds.indexOf(a.kind) - LabKinds.indexOf(b.kind));
  for (const r of ordered) {
    const rg = r.resourceGroup;
    const remove: Record<LabResource['kind'], () => Promise<unknown>> = {
      schedule: () => deleteSchedule(clients, rg, r.name),
      vm: () => compute.virtualMachines.delete(rg, r.name, poll),
      disk: () => compute.disks.delete(rg, r.name, poll),
      nic: () => deleteNic(clients, rg, r.name, progress, sleep),
      vnet: () => network.virtualNetworks.delete(rg, r.name, poll),
    };
    try {
      await callAzure(`delete the ${KindNames[r.kind]} ${r.name}`, remove[r.kind]);
    } catch (err) {
      if (!(isRdpFixError(err) && err.code === ErrorCodes.VmNotFound)) throw err;
    }
    progress(`deleted ${KindNames[r.kind]} ${r.name}`);
  }
}

function deleteNic(
  clients: LabClients,
  rg: string,
  name: string,
  progress: (line: string) => void,
  sleep: (ms: number) => Promise<void>,
): Promise<void> {
  return deleteNicWaitingOutReservation(clients.network, rg, name, {
    pollIntervalMs: clients.target.pollIntervalMs,
    sleep,
    onWait: () =>
      progress(
        `network interface ${name} is still reserved for the deleted VM (Azure holds it up to 180 s): waiting`,
      ),
  });
}

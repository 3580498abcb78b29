import { callAzure } from '../azure/azure-errors';
import { parseId } from '../azure/resource-id';
import { LabTag } from './lab-causes';
import { listSchedules } from './lab-schedules';
import type { LabClients } from './lab-target';

/** The kinds of resource a lab is made of, in the order `lab destroy` deletes them. */
export const LabKinds = ['schedule', 'vm', 'disk', 'nic', 'vnet'] as const;
export type LabKind = (typeof LabKinds)[number];

/** One resource carrying the `rdp-fix-lab` tag. */
export interface LabResource {
  kind: LabKind;
  name: string;
  resourceGroup: string;
  /** The tag's value: the lab it belongs to. */
  labId: string;
}

type Tagged = { id?: string; name?: string; tags?: Record<string, string> };

function labResourcesOf(kind: LabKind, items: Tagged[]): LabResource[] {
  return items
    .filter((r) => r.tags?.[LabTag] !== undefined && r.name)
    .map((r) => ({
      kind,
      name: r.name!,
      resourceGroup: parseId(r.id ?? '').resourceGroup,
      labId: r.tags![LabTag]!,
    }));
}

async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/**
 * Every resource of a resource group that carries the `rdp-fix-lab` tag, found by listing
 * each kind the lab creates and keeping the tagged ones: nothing untagged is ever returned,
 * so nothing untagged is ever deleted.
 */
export async function findLab(clients: LabClients, rg: string): Promise<LabResource[]> {
  const { compute, network } = clients;
  return callAzure('list the lab resources', async () => [
    ...labResourcesOf('schedule', await listSchedules(clients, rg)),
    ...labResourcesOf('vm', await all(compute.virtualMachines.list(rg))),
    ...labResourcesOf('disk', await all(compute.disks.listByResourceGroup(rg))),
    ...labResourcesOf('nic', await all(network.networkInterfaces.list(rg))),
    ...labResourcesOf('vnet', await all(network.virtualNetworks.list(rg))),
  ]);
}

/** The lab VMs of a resource group, or of the whole subscription. */
export async function findLabVms(clients: LabClients, rg?: string): Promise<LabResource[]> {
  const { compute } = clients;
  return callAzure('list the lab VMs', async () =>
    labResourcesOf(
      'vm',
      await all(rg ? compute.virtualMachines.list(rg) : compute.virtualMachines.listAll()),
    ),
  );
}

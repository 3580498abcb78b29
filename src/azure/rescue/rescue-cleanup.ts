import { callAzure } from '../azure-errors';
import { deleteNicWaitingOutReservation } from '../delete-nic';
import type { ApprovedStep } from '../vm-operations';
import { found, planOf, pollOptions, type RescueClients } from './rescue-clients';
import { IncidentTag, isRescueResourceOf } from './rescue-names';
import type { IncidentResource } from './rescue-operations';
import { deleteGroup, getGroup, groupResourceIds } from './resource-groups';

/**
 * Deletes what the offline repair made for the incident, found by its two tags and nothing
 * else: the rescue VM first (Azure refuses to delete a NIC or a disk a VM still uses), then
 * its NIC and its OS disk, then the repaired copy if it is not an OS disk now (after a failed
 * or abandoned repair), then the rescue resource group if rdp-fix made it and it is empty.
 * The snapshot (a backup, tagged with the incident only) and the original disk are kept.
 */
export async function deleteRescueResources(c: RescueClients, step: ApprovedStep, signal?: AbortSignal) {
  const plan = planOf(c, step);
  const ours = (r: { tags?: Record<string, string> }) => isRescueResourceOf(r.tags, step.incidentId);
  const deleted: string[] = [];
  const kept: string[] = [];
  const poll = pollOptions(c, signal);
  const group = plan.ownGroup
    ? await callAzure('read the rescue group', () => getGroup(c.groups, plan.resourceGroup))
    : {};
  if (group) {
    for await (const vm of c.compute.virtualMachines.list(plan.resourceGroup, { abortSignal: signal })) {
      if (!ours(vm) || !vm.name) continue;
      await callAzure(`delete the rescue VM ${vm.name}`, () =>
        c.compute.virtualMachines
          .delete(plan.resourceGroup, vm.name!, poll)
          .pollUntilDone({ abortSignal: signal }),
      );
      deleted.push(vm.name);
    }
    for await (const nic of c.network.networkInterfaces.list(plan.resourceGroup, { abortSignal: signal })) {
      if (!ours(nic) || !nic.name) continue;
      await callAzure(`delete the network interface ${nic.name}`, () =>
        deleteNicWaitingOutReservation(c.network, plan.resourceGroup, nic.name!, {
          pollIntervalMs: c.pollIntervalMs,
          sleep: c.sleep,
        }),
      );
      deleted.push(nic.name);
    }
  }
  const diskGroups = [...new Set([...(group ? [plan.resourceGroup] : []), step.vm.resourceGroup])];
  for (const rg of diskGroups) {
    for await (const disk of c.compute.disks.listByResourceGroup(rg, { abortSignal: signal })) {
      if (!ours(disk) || !disk.name) continue;
      // The repaired copy that is now the VM's OS disk stays: it is the repair.
      if (disk.managedBy) {
        kept.push(`${disk.name} (in use by ${disk.managedBy.split('/').at(-1)})`);
        continue;
      }
      await callAzure(`delete the disk ${disk.name}`, () =>
        c.compute.disks.delete(rg, disk.name!, poll).pollUntilDone({ abortSignal: signal }),
      );
      deleted.push(disk.name);
    }
  }
  if (plan.ownGroup && group) {
    const left = await callAzure('list the rescue group', () =>
      groupResourceIds(c.groups, plan.resourceGroup),
    );
    if (left.length === 0 && isRescueResourceOf(group.tags, step.incidentId)) {
      await callAzure('delete the rescue group', () => deleteGroup(c.groups, plan.resourceGroup));
      deleted.push(plan.resourceGroup);
    } else if (left.length > 0)
      kept.push(`${plan.resourceGroup} (${left.length} resources rdp-fix did not make)`);
  }
  return { deleted, kept };
}

/**
 * Every Azure resource that carries the incident's tag right now (snapshot, repaired copy,
 * rescue VM, NIC, disks, group), for the incident page. Read-only.
 */
export async function listIncidentResources(
  c: RescueClients,
  step: Pick<ApprovedStep, 'incidentId' | 'vm'>,
  signal?: AbortSignal,
): Promise<IncidentResource[]> {
  const plan = planOf(c, step as ApprovedStep);
  const mine = (tags?: Record<string, string>) => tags?.[IncidentTag] === step.incidentId;
  const out: IncidentResource[] = [];
  const source = step.vm.resourceGroup;
  /** The listed resources that carry the incident's tag, as the page shows them. */
  const collect = async <T extends { name?: string; tags?: Record<string, string> }>(
    listed: AsyncIterable<T>,
    type: IncidentResource['type'],
    resourceGroup: string,
    state: (r: T) => string,
  ) => {
    for await (const r of listed)
      if (mine(r.tags)) out.push({ type, name: r.name ?? '', resourceGroup, state: state(r) });
  };
  const paged = { abortSignal: signal };
  await collect(
    c.compute.snapshots.listByResourceGroup(source, paged),
    'snapshot',
    source,
    () => 'backup of the OS disk',
  );
  const group = await found(() => getGroup(c.groups, plan.resourceGroup));
  const groups = [...new Set([source, ...(group ? [plan.resourceGroup] : [])])];
  if (group && mine(group.tags))
    out.push({
      type: 'resourceGroup',
      name: plan.resourceGroup,
      resourceGroup: plan.resourceGroup,
      state: 'rescue group',
    });
  for (const rg of groups)
    await collect(c.compute.disks.listByResourceGroup(rg, paged), 'disk', rg, (d) =>
      d.managedBy ? `attached to ${d.managedBy.split('/').at(-1)}` : 'unattached',
    );
  if (group) {
    const rg = plan.resourceGroup;
    await collect(c.compute.virtualMachines.list(rg, paged), 'virtualMachine', rg, () => 'rescue VM');
    await collect(
      c.network.networkInterfaces.list(rg, paged),
      'networkInterface',
      rg,
      () => 'rescue VM network interface',
    );
  }
  return out;
}

import type { ServerResponse } from 'node:http';
import type { ArmRequest, ArmState } from './arm-routes';
import { armError, key, type Sent, send } from './arm-wire';
import { type Input, subscriptionPath } from './lab-route-helpers';
import { type LabStore, type LabType, LabTypes } from './lab-store';
import { deallocateVm, patchVm, putDisk } from './rescue-disk-routes';
import { osDiskBodyOf } from './rescue-disks';

/**
 * ARM's routes the offline repair adds (src/azure/rescue/): resource groups (create, read,
 * delete, list their resources), a simulated VM's OS disk, disks copied from a snapshot,
 * snapshots read back, VM updates that attach and detach data disks or swap the OS disk, and
 * deallocation. Asked before the lab's routes; `undefined` hands the request on.
 */
export function routeRescueRequest(
  state: ArmState,
  lab: LabStore,
  req: ArmRequest,
  res: ServerResponse,
): Sent | undefined {
  const { method } = req;
  const path = subscriptionPath(state.subscriptionId, req);
  if (!path) return undefined;
  const { parts, lower } = path;
  if (lower[2] !== 'resourcegroups') return undefined;
  const rg = parts[3];
  if (!rg) return undefined;
  lab.settleAll();
  if (parts.length === 4) return group(state, lab, rg, method, req.body as Input, res);
  if (parts.length === 5 && lower[4] === 'resources' && method === 'GET')
    return send(res, 200, { value: resourcesIn(state, lab, rg).map((id) => ({ id })) });
  if (lower[4] !== 'providers' || lower[5] !== 'microsoft.compute') return undefined;
  const type = lower[6];
  const name = parts[7];
  const input = (req.body ?? {}) as Input;
  if (type === 'snapshots' && method === 'GET') return snapshots(state, rg, name, res);
  if (type === 'disks' && name && parts.length === 8) {
    const record = [...state.vms.values()].find(
      (r) =>
        r.entry.resourceGroup.toLowerCase() === rg.toLowerCase() &&
        osDiskBodyOf(state.subscriptionId, r).name.toLowerCase() === name.toLowerCase() &&
        !lab.get('virtualmachines', rg, r.entry.name),
    );
    if (record && method === 'GET') return send(res, 200, osDiskBodyOf(state.subscriptionId, record));
    if (record && method === 'DELETE')
      return send(
        res,
        409,
        armError('OperationNotAllowed', `Disk ${name} is attached to VM ${record.entry.name}.`),
      );
    if (method === 'PUT') return putDisk(state, lab, rg, name, input, res);
    return undefined;
  }
  if (type === 'virtualmachines' && name) {
    const record = state.vms.get(key(rg, name));
    if (parts.length === 8 && method === 'PATCH') return patchVm(state, lab, rg, name, input, res);
    if (record && lower[8] === 'deallocate' && method === 'POST') return deallocateVm(state, record, res);
  }
  return undefined;
}

/** `…/snapshots/{name}` ("Snapshots - Get") or `…/snapshots` ("Snapshots - List By Resource Group"). */
function snapshots(state: ArmState, rg: string, name: string | undefined, res: ServerResponse): Sent {
  const inRg = [...state.snapshots.values()].filter((s) =>
    String(s.id).toLowerCase().includes(`/resourcegroups/${rg.toLowerCase()}/`),
  );
  if (!name) return send(res, 200, { value: inRg });
  const found = inRg.find((s) => String(s.name).toLowerCase() === name.toLowerCase());
  return found
    ? send(res, 200, found)
    : send(
        res,
        404,
        armError(
          'ResourceNotFound',
          `The Resource 'Microsoft.Compute/snapshots/${name}' under resource group '${rg}' was not found.`,
        ),
      );
}

/**
 * "Resource Groups - Create Or Update" (PUT: 201 new, 200 updated, synchronous), "- Get"
 * (404 ResourceGroupNotFound) and "- Delete" (202; here it goes at once). A group that holds a
 * simulated or lab resource exists without having been created. Deleting a group deletes
 * what is in it, as ARM does: the product only asks for an empty one.
 */
function group(
  state: ArmState,
  lab: LabStore,
  rg: string,
  method: string,
  input: Input,
  res: ServerResponse,
): Sent {
  const stored = state.groups.get(rg.toLowerCase());
  const implicit = resourcesIn(state, lab, rg).length > 0;
  const body = (g: { name: string; location: string; tags: Record<string, string> }) => ({
    id: `/subscriptions/${state.subscriptionId}/resourceGroups/${g.name}`,
    name: g.name,
    type: 'Microsoft.Resources/resourceGroups',
    location: g.location,
    tags: g.tags,
    properties: { provisioningState: 'Succeeded' },
  });
  if (method === 'PUT') {
    if (!input.location)
      return send(
        res,
        400,
        armError('LocationRequired', 'The location property is required for this definition.'),
      );
    const g = { name: rg, location: input.location, tags: input.tags ?? {} };
    state.groups.set(rg.toLowerCase(), g);
    return send(res, stored ? 200 : 201, body(g));
  }
  if (method === 'GET') {
    if (stored) return send(res, 200, body(stored));
    if (implicit) return send(res, 200, body({ name: rg, location: 'westeurope', tags: {} }));
    return send(res, 404, armError('ResourceGroupNotFound', `Resource group '${rg}' could not be found.`));
  }
  if (method === 'DELETE') {
    if (!stored && !implicit)
      return send(res, 404, armError('ResourceGroupNotFound', `Resource group '${rg}' could not be found.`));
    for (const type of Object.keys(LabTypes) as LabType[])
      for (const r of lab.list(type, rg)) lab.remove(type, rg, r.name);
    state.groups.delete(rg.toLowerCase());
    return send(res, 202, undefined);
  }
  return send(res, 405, armError('MethodNotAllowed', `${method} is not supported here`));
}

/** The ids of everything in a group: lab-store resources and simulated VMs with their NIC and OS disk. */
function resourcesIn(state: ArmState, lab: LabStore, rg: string): string[] {
  const ids = (Object.keys(LabTypes) as LabType[]).flatMap((t) => lab.list(t, rg).map((r) => r.id));
  for (const r of state.vms.values()) {
    if (
      r.entry.resourceGroup.toLowerCase() !== rg.toLowerCase() ||
      lab.get('virtualmachines', rg, r.entry.name)
    )
      continue;
    ids.push(state.shapes.vmId(r), osDiskBodyOf(state.subscriptionId, r).id);
  }
  return ids;
}

import type { ServerResponse } from 'node:http';
import type { ArmRequest, ArmState } from './arm-routes';
import { armError, key, type Sent, send } from './arm-wire';
import { deleteDisk, deleteVm, patchDisk, putSchedule, putVm } from './lab-compute-routes';
import { deleteNic, deleteVnet, putNic, putVnet } from './lab-network-routes';
import { type Input, notFound, subscriptionPath } from './lab-route-helpers';
import type { LabStore, LabType } from './lab-store';
import { osDiskBodyOf } from './rescue-disks';

export { labVmRecord } from './lab-compute-routes';

/**
 * ARM's routes for what `rdp-fix lab` creates and deletes: virtual networks, NICs, VMs (a
 * new VM becomes a healthy simulated Windows VM that incidents run against), OS disks and
 * DevTestLab auto-shutdown schedules, with lists by resource group. Asked before the
 * product's routes; `undefined` hands the request on to them (a lab VM's instance view, Run
 * Command and restart are the product's routes, on the VM record this adds).
 */
export function routeLabRequest(
  state: ArmState,
  lab: LabStore,
  req: ArmRequest,
  res: ServerResponse,
): Sent | undefined {
  const { url, method } = req;
  const path = subscriptionPath(state.subscriptionId, req);
  if (!path) return undefined;
  const { parts, lower } = path;
  if (lower[2] === 'providers' && lower[4] === 'locations' && lower[6] === 'operations' && parts[7]) {
    return lab.has(parts[7]) ? lab.poll(res, parts[7], lower[8] === 'result') : undefined;
  }
  lab.settleAll();
  if (lower[2] === 'providers' && lower[4] === 'virtualmachines' && parts.length === 5 && method === 'GET') {
    return lab.list('virtualmachines').length ? send(res, 200, { value: vmList(state, lab) }) : undefined;
  }
  if (lower[2] !== 'resourcegroups' || !parts[3] || lower[4] !== 'providers') return undefined;
  const rg = parts[3];
  const type = lower[6] as LabType;
  const name = parts[7];
  const input = (req.body ?? {}) as Input;
  if (!name && method === 'GET') return list(state, lab, type, rg, res);
  if (
    type === 'networkinterfaces' &&
    name &&
    lab.get(type, rg, name) &&
    lower[8] === 'effectivenetworksecuritygroups'
  ) {
    // A lab NIC has no NSG, nor has its subnet: Azure lists no effective group (REST reference,
    // "List Effective Network Security Groups"); answered at once (200).
    return method === 'POST' ? send(res, 200, { value: [] }) : undefined;
  }
  if (!name || parts.length > 8) return undefined;
  switch (type) {
    case 'virtualnetworks':
      if (method === 'PUT') return putVnet(state, lab, rg, name, input, res);
      if (method === 'DELETE') return deleteVnet(state, lab, rg, name, res);
      return getOf(lab, type, rg, name, method, res);
    case 'networkinterfaces':
      if (!lab.get(type, rg, name) && method !== 'PUT') return undefined; // a simulated VM's own NIC
      if (method === 'PUT') return putNic(state, lab, rg, name, input, res);
      if (method === 'DELETE') return deleteNic(state, lab, rg, name, res);
      return getOf(lab, type, rg, name, method, res);
    case 'virtualmachines':
      if (method === 'PUT') return putVm(state, lab, rg, name, input, res);
      if (!lab.get(type, rg, name)) return undefined; // the simulator's own VMs
      if (method === 'DELETE') return deleteVm(state, lab, rg, name, res);
      if (method === 'GET') return send(res, 200, vmWithView(state, lab, rg, name, url));
      return undefined;
    case 'disks':
      if (method === 'PATCH') return patchDisk(lab, rg, name, input, res);
      if (method === 'DELETE') return deleteDisk(state, lab, rg, name, res);
      return getOf(lab, type, rg, name, method, res);
    case 'schedules':
      if (method === 'PUT') return putSchedule(lab, rg, name, input, res);
      if (method === 'DELETE') {
        const found = lab.get(type, rg, name);
        lab.remove(type, rg, name);
        return send(res, found ? 200 : 204, undefined);
      }
      return getOf(lab, type, rg, name, method, res);
    default:
      return undefined;
  }
}

function getOf(
  lab: LabStore,
  type: LabType,
  rg: string,
  name: string,
  method: string,
  res: ServerResponse,
): Sent {
  if (method !== 'GET')
    return send(res, 405, armError('MethodNotAllowed', `${method} is not supported here`));
  const found = lab.get(type, rg, name);
  return found ? send(res, 200, found) : notFound(res, lab, type, rg, name);
}

function list(
  state: ArmState,
  lab: LabStore,
  type: LabType,
  rg: string,
  res: ServerResponse,
): Sent | undefined {
  const inRg = [...state.vms.values()].filter(
    (v) =>
      v.entry.resourceGroup.toLowerCase() === rg.toLowerCase() &&
      !lab.get('virtualmachines', rg, v.entry.name),
  );
  switch (type) {
    case 'virtualmachines':
      return lab.list(type, rg).length ? send(res, 200, { value: vmList(state, lab, rg) }) : undefined;
    // The simulator's own VMs have a NIC and an OS disk each, untagged: listed beside the lab's.
    case 'networkinterfaces':
      return send(res, 200, { value: [...inRg.map((v) => state.shapes.nic(v)), ...lab.list(type, rg)] });
    case 'disks':
      return send(res, 200, {
        value: [...inRg.map((v) => osDiskBodyOf(state.subscriptionId, v)), ...lab.list(type, rg)],
      });
    case 'virtualnetworks':
    case 'schedules':
      return send(res, 200, { value: lab.list(type, rg) });
    default:
      return undefined;
  }
}

function vmList(state: ArmState, lab: LabStore, rg?: string): Record<string, unknown>[] {
  const vms = [...state.vms.values()].filter(
    (v) => !rg || v.entry.resourceGroup.toLowerCase() === rg.toLowerCase(),
  );
  const shown = vms.map(
    (v) => lab.get('virtualmachines', v.entry.resourceGroup, v.entry.name) ?? state.shapes.vm(v),
  );
  // Lab VMs still being created are not simulated VMs yet, but ARM lists them.
  const creating = lab
    .list('virtualmachines', rg)
    .filter((b) => b.properties.provisioningState !== 'Succeeded');
  return [...shown, ...creating];
}

function vmWithView(
  state: ArmState,
  lab: LabStore,
  rg: string,
  name: string,
  url: URL,
): Record<string, unknown> {
  const body = lab.get('virtualmachines', rg, name)!;
  const record = state.vms.get(key(rg, name));
  if (url.searchParams.get('$expand') !== 'instanceView' || !record) return body;
  const instanceView = state.shapes.instanceView(record, state.operations.restarting(key(rg, name)));
  return { ...body, properties: { ...body.properties, instanceView } };
}

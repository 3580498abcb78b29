import type { ServerResponse } from 'node:http';
import type { ArmState } from './arm-routes';
import { armError, type Sent, send } from './arm-wire';
import { accepted, type Input, LabLatency, requireLocation } from './lab-route-helpers';
import { nicBody, vnetBody } from './lab-shapes';
import type { ArmBody, LabStore } from './lab-store';

/**
 * The lab's networking in the simulator: a virtual network with its subnets, NICs in a
 * subnet. As Azure, a subnet with a NIC in it cannot go (InUseSubnetCannotBeDeleted), nor a
 * NIC a VM still uses (NicInUse).
 */

export function putVnet(
  state: ArmState,
  lab: LabStore,
  rg: string,
  name: string,
  input: Input,
  res: ServerResponse,
): Sent {
  const refused = requireLocation(input, res);
  if (refused) return refused;
  const existed = Boolean(lab.get('virtualnetworks', rg, name));
  const body = vnetBody(lab, rg, name, input, 'Updating');
  lab.set('virtualnetworks', rg, body);
  const op = lab.start('Microsoft.Network', LabLatency.network * state.scale(), () => {
    lab.set('virtualnetworks', rg, vnetBody(lab, rg, name, input, 'Succeeded'));
  });
  return accepted(lab, res, existed ? 200 : 201, body, op);
}

function subnetsOf(vnet: ArmBody): { id: string; properties: { ipConfigurations: { id: string }[] } }[] {
  return vnet.properties.subnets as { id: string; properties: { ipConfigurations: { id: string }[] } }[];
}

export function deleteVnet(
  state: ArmState,
  lab: LabStore,
  rg: string,
  name: string,
  res: ServerResponse,
): Sent {
  const vnet = lab.get('virtualnetworks', rg, name);
  if (!vnet) return send(res, 204, undefined);
  const used = subnetsOf(vnet).flatMap((s) => s.properties.ipConfigurations);
  if (used.length) {
    return send(
      res,
      400,
      armError(
        'InUseSubnetCannotBeDeleted',
        `Subnet is in use by ${used[0]!.id} and cannot be deleted. In order to delete the subnet, delete all the resources within the subnet.`,
      ),
    );
  }
  const op = lab.start('Microsoft.Network', LabLatency.network * state.scale(), () =>
    lab.remove('virtualnetworks', rg, name),
  );
  return accepted(lab, res, 202, undefined, op);
}

export function putNic(
  state: ArmState,
  lab: LabStore,
  rg: string,
  name: string,
  input: Input,
  res: ServerResponse,
): Sent {
  const refused = requireLocation(input, res);
  if (refused) return refused;
  const configs = (input.properties?.ipConfigurations ?? []) as {
    properties?: { subnet?: { id?: string } };
  }[];
  const subnetId = configs[0]?.properties?.subnet?.id ?? '';
  const vnet = lab.byId(subnetId.replace(/\/subnets\/[^/]+$/i, ''));
  const subnet =
    (vnet && subnetsOf(vnet).find((s) => s.id.toLowerCase() === subnetId.toLowerCase())) ??
    simulatedSubnet(state, subnetId);
  if (!subnet) {
    return send(
      res,
      400,
      armError(
        'InvalidResourceReference',
        `Resource ${subnetId} referenced by resource ${lab.idOf('networkinterfaces', rg, name)} was not found.`,
      ),
    );
  }
  const existed = Boolean(lab.get('networkinterfaces', rg, name));
  const ip = `10.0.0.${4 + lab.list('networkinterfaces').length}`;
  const body = nicBody(lab, rg, name, input, ip, 'Succeeded');
  lab.set('networkinterfaces', rg, body);
  const configIds = (body.properties.ipConfigurations as { id: string }[]).map((c) => ({ id: c.id }));
  subnet.properties.ipConfigurations.push(...configIds);
  const op = lab.start('Microsoft.Network', LabLatency.network * state.scale(), () => undefined);
  return accepted(lab, res, existed ? 200 : 201, body, op);
}

/** The subnet of the simulator's own VMs (a rescue VM's NIC goes there); nothing keeps its list of NICs. */
function simulatedSubnet(state: ArmState, subnetId: string) {
  const known = [...state.vms.values()].some(
    (r) => state.shapes.subnetId(r).toLowerCase() === subnetId.toLowerCase(),
  );
  return known ? { id: subnetId, properties: { ipConfigurations: [] as { id: string }[] } } : undefined;
}

export function deleteNic(
  state: ArmState,
  lab: LabStore,
  rg: string,
  name: string,
  res: ServerResponse,
): Sent {
  const nic = lab.get('networkinterfaces', rg, name)!;
  const reservedFor = lab.reservedFor(nic.id);
  if (reservedFor) {
    return send(
      res,
      400,
      armError(
        'NicReservedForAnotherVm',
        `Nic(s) in request is reserved for another Virtual Machine for 180 seconds. Please provide another nic(s) or retry after 180 seconds. Reserved VM: ${reservedFor}`,
      ),
    );
  }
  const vm = nic.properties.virtualMachine as { id: string } | undefined;
  if (vm) {
    return send(
      res,
      400,
      armError(
        'NicInUse',
        `Network Interface ${nic.id} is used by existing resource ${vm.id}. In order to delete the network interface, it must be dissociated from the resource.`,
      ),
    );
  }
  const op = lab.start('Microsoft.Network', LabLatency.network * state.scale(), () => {
    const ids = (nic.properties.ipConfigurations as { id: string }[]).map((c) => c.id.toLowerCase());
    for (const vnet of lab.list('virtualnetworks')) {
      for (const s of subnetsOf(vnet))
        s.properties.ipConfigurations = s.properties.ipConfigurations.filter(
          (c) => !ids.includes(c.id.toLowerCase()),
        );
    }
    lab.remove('networkinterfaces', rg, name);
  });
  return accepted(lab, res, 202, undefined, op);
}

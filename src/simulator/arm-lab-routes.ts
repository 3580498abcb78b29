import type { ServerResponse } from 'node:http';
import { faultsOfScenario } from './arm-faults';
import type { ArmRequest, ArmState } from './arm-routes';
import { armError, key, type Sent, send } from './arm-wire';
import { LabWindowsVm } from './lab-breaks';
import { nicBody, osDiskBody, scheduleBody, vmBody, vnetBody } from './lab-shapes';
import type { ArmBody, LabStore, LabType } from './lab-store';

/** Modelled durations, scaled like the simulator's others (Azure: a Windows VM takes minutes). */
const LabLatency = { vmCreate: 120_000, vmDelete: 60_000, network: 10_000, diskDelete: 10_000 };

type Input = { location?: string; tags?: Record<string, string>; properties?: Record<string, unknown> };

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
  // Missing api-version or token: the product's routes answer ARM's errors.
  if (!url.searchParams.get('api-version') || !/^Bearer \S+/.test(String(req.headers.authorization ?? '')))
    return undefined;
  const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  const lower = parts.map((p) => p.toLowerCase());
  if (lower[0] !== 'subscriptions' || parts[1] !== state.subscriptionId) return undefined;
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

function notFound(res: ServerResponse, lab: LabStore, type: LabType, rg: string, name: string): Sent {
  const id = lab.idOf(type, rg, name).split('/providers/')[1];
  return send(
    res,
    404,
    armError('ResourceNotFound', `The Resource '${id}' under resource group '${rg}' was not found.`),
  );
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
        value: [...inRg.map((v) => simulatedOsDisk(state, v.entry.name, rg)), ...lab.list(type, rg)],
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

function simulatedOsDisk(state: ArmState, vm: string, rg: string): Record<string, unknown> {
  const id = `/subscriptions/${state.subscriptionId}/resourceGroups/${rg}/providers/Microsoft.Compute/disks/${vm}-osdisk`;
  return {
    id,
    name: `${vm}-osdisk`,
    type: 'Microsoft.Compute/disks',
    location: 'westeurope',
    managedBy: id.replace(/disks\/.*$/, `virtualMachines/${vm}`),
    properties: { osType: 'Windows', diskState: 'Attached', provisioningState: 'Succeeded' },
  };
}

function requireLocation(input: Input, res: ServerResponse): Sent | undefined {
  return input.location
    ? undefined
    : send(res, 400, armError('LocationRequired', 'The location property is required for this definition.'));
}

function accepted(
  lab: LabStore,
  res: ServerResponse,
  status: number,
  body: unknown,
  op: Parameters<LabStore['asyncHeaders']>[0],
): Sent {
  return send(res, status, body, lab.asyncHeaders(op));
}

function putVnet(
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

function deleteVnet(state: ArmState, lab: LabStore, rg: string, name: string, res: ServerResponse): Sent {
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

function putNic(
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
  const subnet = vnet && subnetsOf(vnet).find((s) => s.id.toLowerCase() === subnetId.toLowerCase());
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

function deleteNic(state: ArmState, lab: LabStore, rg: string, name: string, res: ServerResponse): Sent {
  const nic = lab.get('networkinterfaces', rg, name)!;
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

/**
 * Azure's rule for a Windows admin password: 8-123 characters and three of upper case,
 * lower case, digit, special character ("The supplied password must be between 8-123
 * characters long and must satisfy at least 3 of password complexity requirements").
 */
function passwordProblem(password: unknown): string | undefined {
  if (typeof password !== 'string') return 'The admin password is required.';
  const classes = [/[A-Z]/, /[a-z]/, /\d/, /[^A-Za-z0-9]/].filter((r) => r.test(password)).length;
  if (password.length < 8 || password.length > 123 || classes < 3 || /[\p{Cc}]/u.test(password))
    return 'The supplied password must be between 8-123 characters long and must satisfy at least 3 of password complexity requirements from the following: 1) Contains an uppercase character 2) Contains a lowercase character 3) Contains a numeric digit 4) Contains a special character 5) Control characters are not allowed';
  return undefined;
}

function putVm(
  state: ArmState,
  lab: LabStore,
  rg: string,
  name: string,
  input: Input,
  res: ServerResponse,
): Sent {
  const refused = requireLocation(input, res);
  if (refused) return refused;
  if (state.vms.has(key(rg, name)) || lab.get('virtualmachines', rg, name)) {
    return send(
      res,
      409,
      armError('OperationNotAllowed', `The simulator creates lab VMs; '${name}' exists already.`),
    );
  }
  const p = input.properties ?? {};
  const os = (p.osProfile ?? {}) as {
    computerName?: string;
    adminUsername?: string;
    adminPassword?: unknown;
  };
  const problem =
    (!(p.hardwareProfile as { vmSize?: string } | undefined)?.vmSize &&
      'hardwareProfile.vmSize is required.') ||
    (!(p.storageProfile as { imageReference?: unknown } | undefined)?.imageReference &&
      'storageProfile.imageReference is required.') ||
    (!os.adminUsername && 'osProfile.adminUsername is required.') ||
    ((os.computerName ?? name).length > 15 &&
      'Windows computer name cannot be more than 15 characters long.') ||
    passwordProblem(os.adminPassword);
  if (problem) return send(res, 400, armError('InvalidParameter', problem));
  const nicId = (p.networkProfile as { networkInterfaces?: { id?: string }[] } | undefined)
    ?.networkInterfaces?.[0]?.id;
  const nic = nicId ? lab.byId(nicId) : undefined;
  if (!nic || nic.properties.virtualMachine) {
    return send(
      res,
      400,
      armError(
        'InvalidParameter',
        `The network interface ${nicId ?? '(none)'} cannot be used: missing or in use.`,
      ),
    );
  }
  const body = vmBody(lab, rg, name, input, 'Creating');
  lab.set('virtualmachines', rg, body);
  nic.properties.virtualMachine = { id: body.id };
  const op = lab.start('Microsoft.Compute', LabLatency.vmCreate * state.scale(), () => {
    body.properties.provisioningState = 'Succeeded';
    lab.set('disks', rg, osDiskBody(lab, rg, body));
    state.vms.set(key(rg, name), labVmRecord(state, rg, name));
  });
  return accepted(lab, res, 201, body, op);
}

/** A lab VM as the simulator runs it: healthy, no injected faults, no NSG of its own. */
export function labVmRecord(state: ArmState, rg: string, name: string) {
  return {
    entry: { name, resourceGroup: rg, scenario: 'sim-healthy' },
    vm: new LabWindowsVm(name, state.now),
    nsgRules: new Map<string, Record<string, unknown>>(),
    faults: faultsOfScenario('sim-healthy'),
  };
}

function deleteVm(state: ArmState, lab: LabStore, rg: string, name: string, res: ServerResponse): Sent {
  const body = lab.get('virtualmachines', rg, name)!;
  const op = lab.start('Microsoft.Compute', LabLatency.vmDelete * state.scale(), () => {
    state.vms.delete(key(rg, name));
    lab.remove('virtualmachines', rg, name);
    for (const nic of lab.list('networkinterfaces'))
      if ((nic.properties.virtualMachine as { id: string } | undefined)?.id === body.id)
        delete nic.properties.virtualMachine;
    for (const disk of lab.list('disks')) {
      if (disk.managedBy !== body.id) continue;
      delete disk.managedBy;
      disk.properties.diskState = 'Unattached';
    }
  });
  return accepted(lab, res, 202, undefined, op);
}

function patchDisk(lab: LabStore, rg: string, name: string, input: Input, res: ServerResponse): Sent {
  const disk = lab.get('disks', rg, name);
  if (!disk) return notFound(res, lab, 'disks', rg, name);
  // PATCH replaces the tags as a whole, as ARM does.
  if (input.tags) disk.tags = { ...input.tags };
  return send(res, 200, disk);
}

function deleteDisk(state: ArmState, lab: LabStore, rg: string, name: string, res: ServerResponse): Sent {
  const disk = lab.get('disks', rg, name);
  if (!disk) return send(res, 204, undefined);
  if (disk.managedBy) {
    return send(
      res,
      409,
      armError('OperationNotAllowed', `Disk ${name} is attached to VM ${String(disk.managedBy)}.`),
    );
  }
  const op = lab.start('Microsoft.Compute', LabLatency.diskDelete * state.scale(), () =>
    lab.remove('disks', rg, name),
  );
  return accepted(lab, res, 202, undefined, op);
}

/**
 * DevTest Labs' auto-shutdown of a VM outside a lab: a "global schedule" that Azure accepts
 * only under the name `shutdown-computevm-<vm>`, with `taskType: ComputeVmShutdownTask`,
 * a daily time (HHmm) and the VM's id. Synchronous: 201 (200 when replaced).
 */
function putSchedule(lab: LabStore, rg: string, name: string, input: Input, res: ServerResponse): Sent {
  const refused = requireLocation(input, res);
  if (refused) return refused;
  const p = (input.properties ?? {}) as {
    taskType?: string;
    targetResourceId?: string;
    dailyRecurrence?: { time?: string };
  };
  const vm = p.targetResourceId?.split('/').at(-1) ?? '';
  if (
    p.taskType !== 'ComputeVmShutdownTask' ||
    name.toLowerCase() !== `shutdown-computevm-${vm}`.toLowerCase() ||
    !/^([01]\d|2[0-3])[0-5]\d$/.test(p.dailyRecurrence?.time ?? '')
  ) {
    return send(
      res,
      400,
      armError(
        'BadRequest',
        `A VM shutdown schedule must be named shutdown-computevm-<vm> and give taskType ComputeVmShutdownTask, a daily time (HHmm) and the VM id.`,
      ),
    );
  }
  const existed = Boolean(lab.get('schedules', rg, name));
  const body = scheduleBody(lab, rg, name, input);
  lab.set('schedules', rg, body);
  return send(res, existed ? 200 : 201, body);
}

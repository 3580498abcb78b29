import type { ServerResponse } from 'node:http';
import { faultsOfScenario } from './arm-faults';
import type { ArmState } from './arm-routes';
import { armError, key, type Sent, send } from './arm-wire';
import { LabWindowsVm } from './lab-breaks';
import { accepted, type Input, LabLatency, notFound, requireLocation } from './lab-route-helpers';
import { osDiskBody, scheduleBody, vmBody } from './lab-shapes';
import type { LabStore } from './lab-store';
import { plainDisk } from './rescue-disks';
import { isRescueVm, rescueVmRecord } from './rescue-vm-record';

/**
 * The lab's VM, its OS disk and its auto-shutdown in the simulator. A VM's PUT is checked as
 * Azure checks it (size, image, admin, computer name, password rule, a free NIC); once its
 * creation ends it is a healthy simulated Windows VM in the simulator's VM map, with an
 * untagged OS disk attached. As Azure, an attached disk cannot be deleted.
 */

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

export function putVm(
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
    // A VM tagged as a rescue VM also sees its data disks' Windows (rescue-vm.ts).
    state.vms.set(
      key(rg, name),
      isRescueVm(body.tags) ? rescueVmRecord(state, lab, rg, name) : labVmRecord(state, rg, name),
    );
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
    traits: plainDisk(),
  };
}

export function deleteVm(
  state: ArmState,
  lab: LabStore,
  rg: string,
  name: string,
  res: ServerResponse,
): Sent {
  const body = lab.get('virtualmachines', rg, name)!;
  const op = lab.start('Microsoft.Compute', LabLatency.vmDelete * state.scale(), () => {
    state.vms.delete(key(rg, name));
    lab.remove('virtualmachines', rg, name);
    for (const nic of lab.list('networkinterfaces')) {
      if ((nic.properties.virtualMachine as { id: string } | undefined)?.id !== body.id) continue;
      delete nic.properties.virtualMachine;
      // Azure keeps a deleted VM's NIC reserved for it for 180 seconds (NicReservedForAnotherVm).
      lab.reserve(nic.id, body.id, Date.now() + LabLatency.nicReservation * state.scale());
    }
    for (const disk of lab.list('disks')) {
      if (disk.managedBy !== body.id) continue;
      delete disk.managedBy;
      disk.properties.diskState = 'Unattached';
    }
  });
  return accepted(lab, res, 202, undefined, op);
}

export function patchDisk(lab: LabStore, rg: string, name: string, input: Input, res: ServerResponse): Sent {
  const disk = lab.get('disks', rg, name);
  if (!disk) return notFound(res, lab, 'disks', rg, name);
  // PATCH replaces the tags as a whole, as ARM does.
  if (input.tags) disk.tags = { ...input.tags };
  return send(res, 200, disk);
}

export function deleteDisk(
  state: ArmState,
  lab: LabStore,
  rg: string,
  name: string,
  res: ServerResponse,
): Sent {
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
export function putSchedule(
  lab: LabStore,
  rg: string,
  name: string,
  input: Input,
  res: ServerResponse,
): Sent {
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

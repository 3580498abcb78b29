import type { ServerResponse } from 'node:http';
import type { VmRecord } from './arm-resources';
import { type ArmState, vmNotFound } from './arm-routes';
import { armError, key, type Sent, send } from './arm-wire';
import { accepted, type Input, LabLatency, requireLocation } from './lab-route-helpers';
import type { ArmBody, LabStore } from './lab-store';
import { osDiskBodyOf } from './rescue-disks';

const zoneOf = (r: Record<string, unknown>) => String((r.zones as string[] | undefined) ?? []);
const sameId = (a: unknown, b: unknown) => String(a ?? '').toLowerCase() === String(b ?? '').toLowerCase();

/**
 * "Disks - Create Or Update" with `creationData.createOption: "Copy"` and the snapshot's id as
 * `sourceResourceId` (REST reference, learn.microsoft.com/rest/api/compute/disks/create-or-update;
 * CreationData.sourceResourceId: "If createOption is Copy, this is the ARM id of the source
 * snapshot or disk"). Answered 202 with the async operation; the disk holds what the
 * snapshot held once it is done. Other create options are not simulated.
 */
export function putDisk(
  state: ArmState,
  lab: LabStore,
  rg: string,
  name: string,
  input: Input & { sku?: { name?: string }; zones?: string[] },
  res: ServerResponse,
): Sent {
  const refused = requireLocation(input, res);
  if (refused) return refused;
  const p = input.properties ?? {};
  const creation = (p.creationData ?? {}) as { createOption?: string; sourceResourceId?: string };
  if (creation.createOption !== 'Copy' || !creation.sourceResourceId)
    return send(
      res,
      400,
      armError('InvalidParameter', 'The simulator creates disks with createOption Copy from a snapshot.'),
    );
  const contents = state.disks.get(creation.sourceResourceId);
  if (!contents)
    return send(
      res,
      404,
      armError(
        'NotFound',
        `Resource ${creation.sourceResourceId} referenced by the disk ${name} was not found.`,
      ),
    );
  const id = lab.idOf('disks', rg, name);
  const body: ArmBody = {
    id,
    name,
    type: 'Microsoft.Compute/disks',
    location: input.location ?? '',
    tags: input.tags ?? {},
    sku: { name: input.sku?.name ?? 'Standard_LRS' },
    ...(input.zones ? { zones: input.zones } : {}),
    properties: {
      ...p,
      diskSizeGB: 127,
      diskState: 'Unattached',
      provisioningState: 'Updating',
      timeCreated: lab.now().toISOString(),
    },
  };
  lab.set('disks', rg, body);
  const op = lab.start('Microsoft.Compute', LabLatency.diskCopy * state.scale(), () => {
    body.properties.provisioningState = 'Succeeded';
    state.disks.set(id, contents);
  });
  return accepted(lab, res, 202, undefined, op);
}

/**
 * "Virtual Machines - Update" (PATCH). On a rescue (lab) VM: `storageProfile.dataDisks` is the
 * whole new list: disks in it are attached (createOption Attach, a disk no other VM uses),
 * disks left out or marked `toBeDetached` are detached. On a simulated VM: a new
 * `storageProfile.osDisk.managedDisk.id` swaps the OS disk, only while the VM is deallocated
 * ("Change the OS disk used by an Azure VM", os-disk-swap); the old disk stays, unattached.
 */
export function patchVm(
  state: ArmState,
  lab: LabStore,
  rg: string,
  name: string,
  input: Input,
  res: ServerResponse,
): Sent {
  const storage = (input.properties?.storageProfile ?? {}) as {
    dataDisks?: {
      lun: number;
      createOption?: string;
      toBeDetached?: boolean;
      managedDisk?: { id?: string };
    }[];
    osDisk?: { managedDisk?: { id?: string } };
  };
  const done = () => lab.start('Microsoft.Compute', LabLatency.vmUpdate * state.scale(), () => undefined);
  const labVm = lab.get('virtualmachines', rg, name);
  if (labVm) {
    const profile = labVm.properties.storageProfile as {
      dataDisks: { lun: number; managedDisk: { id: string } }[];
    };
    if (storage.dataDisks) {
      const wanted = storage.dataDisks.filter((d) => !d.toBeDetached);
      for (const d of wanted) {
        const disk = lab.byId(d.managedDisk?.id ?? '');
        if (!disk)
          return send(res, 404, armError('NotFound', `Disk ${d.managedDisk?.id ?? '(none)'} was not found.`));
        if (disk.managedBy && !sameId(disk.managedBy, labVm.id))
          return send(
            res,
            409,
            armError(
              'OperationNotAllowed',
              `Disk ${disk.name} is already attached to VM ${String(disk.managedBy)}.`,
            ),
          );
        // A zonal disk attaches only to a VM in its zone (zonal resources stay in the zone named
        // at their creation: "What are availability zones?", learn.microsoft.com/azure/reliability).
        if (zoneOf(disk) !== zoneOf(labVm))
          return send(
            res,
            400,
            armError(
              'BadRequest',
              `Disk ${disk.name} is in zone ${zoneOf(disk) || 'none'}, the VM in zone ${zoneOf(labVm) || 'none'}.`,
            ),
          );
      }
      for (const old of profile.dataDisks) {
        if (wanted.some((d) => sameId(d.managedDisk?.id, old.managedDisk.id))) continue;
        const disk = lab.byId(old.managedDisk.id);
        if (disk) {
          delete disk.managedBy;
          disk.properties.diskState = 'Unattached';
        }
      }
      profile.dataDisks = wanted.map((d) => {
        const disk = lab.byId(d.managedDisk?.id ?? '')!;
        disk.managedBy = labVm.id;
        disk.properties.diskState = 'Attached';
        return {
          lun: d.lun,
          name: disk.name,
          createOption: 'Attach',
          caching: 'None',
          toBeDetached: false,
          managedDisk: { id: disk.id },
        };
      });
    }
    return accepted(lab, res, 200, labVm, done());
  }
  const record = state.vms.get(key(rg, name));
  if (!record) return vmNotFound(res, rg, name);
  const wantedOs = storage.osDisk?.managedDisk?.id;
  const current = osDiskBodyOf(state.subscriptionId, record);
  if (wantedOs && !sameId(wantedOs, current.id)) {
    const refused = swapRefusal(state, lab, record, wantedOs);
    if (refused) return send(res, refused.status, armError(refused.code, refused.message));
    swap(state, lab, record, current, lab.byId(wantedOs)!);
  }
  return accepted(lab, res, 200, state.shapes.vm(record), done());
}

function swapRefusal(state: ArmState, lab: LabStore, record: VmRecord, wanted: string) {
  if (record.vm.state.power !== 'deallocated')
    return {
      status: 409,
      code: 'OperationNotAllowed',
      message: `The OS disk of VM ${record.entry.name} can be changed only while the VM is deallocated.`,
    };
  const disk = lab.byId(wanted);
  if (!disk || !state.disks.get(wanted))
    return { status: 404, code: 'NotFound', message: `Disk ${wanted} was not found.` };
  if (disk.managedBy)
    return {
      status: 409,
      code: 'OperationNotAllowed',
      message: `Disk ${disk.name} is attached to VM ${String(disk.managedBy)}.`,
    };
  if (zoneOf(disk) !== String(record.traits.zone ?? ''))
    return {
      status: 400,
      code: 'BadRequest',
      message: `Disk ${disk.name} is in zone ${zoneOf(disk) || 'none'}, VM ${record.entry.name} in zone ${record.traits.zone ?? 'none'}.`,
    };
  if (record.traits.swapRefused)
    return {
      status: 409,
      code: 'OperationNotAllowed',
      message: `Disk ${disk.name} cannot be the OS disk of VM ${record.entry.name} (simulated platform refusal).`,
    };
  return undefined;
}

/** The live Windows goes onto the old disk (now unattached, in the lab store); the new disk's Windows goes live. */
function swap(state: ArmState, lab: LabStore, record: VmRecord, old: ArmBody, next: ArmBody): void {
  const vmId = state.shapes.vmId(record);
  const rg = record.entry.resourceGroup;
  const nextContents = state.disks.get(next.id)!;
  state.disks.set(old.id, { state: record.vm.state, traits: record.traits });
  const { managedBy: _was, ...unattached } = old;
  lab.set('disks', rg, { ...unattached, properties: { ...old.properties, diskState: 'Unattached' } });
  lab.remove('disks', rg, next.name);
  state.disks.delete(next.id);
  record.osDisk = {
    body: { ...next, managedBy: vmId, properties: { ...next.properties, diskState: 'Reserved' } },
  };
  record.vm.state = { ...nextContents.state, power: 'deallocated', agentReady: false };
  record.traits = nextContents.traits;
}

/**
 * "Virtual Machines - Deallocate" (REST reference: POST …/deallocate, 202 and the async
 * operation; 200 for a VM already deallocated).
 */
export function deallocateVm(state: ArmState, record: VmRecord, res: ServerResponse): Sent {
  if (record.vm.state.power === 'deallocated') return send(res, 200, undefined);
  return state.operations.accepted(
    res,
    state.operations.start(record, 'deallocate', state.latency().restart),
  );
}

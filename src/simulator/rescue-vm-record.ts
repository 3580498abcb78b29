import { RescueRole, RoleTag } from '../azure/rescue/rescue-names';
import { faultsOfScenario } from './arm-faults';
import type { VmRecord } from './arm-resources';
import type { ArmState } from './arm-routes';
import type { LabStore } from './lab-store';
import { plainDisk } from './rescue-disks';
import { type AttachedDisk, RescueWindowsVm } from './rescue-vm';

/** A VM created with the rescue tag (`rdp-fix: rescue`). */
export function isRescueVm(tags: Record<string, string> | undefined): boolean {
  return tags?.[RoleTag] === RescueRole;
}

/** The rescue VM as the simulator runs it: healthy, and its Run Commands see its data disks. */
export function rescueVmRecord(state: ArmState, lab: LabStore, rg: string, name: string): VmRecord {
  const attached = (): AttachedDisk[] => {
    const body = lab.get('virtualmachines', rg, name);
    const dataDisks = ((body?.properties.storageProfile as { dataDisks?: unknown[] } | undefined)
      ?.dataDisks ?? []) as { lun: number; managedDisk: { id: string } }[];
    return dataDisks.flatMap((d) => {
      const contents = state.disks.get(d.managedDisk.id);
      return contents ? [{ lun: d.lun, contents }] : [];
    });
  };
  return {
    entry: { name, resourceGroup: rg, scenario: 'sim-healthy' },
    vm: new RescueWindowsVm(name, state.now, attached),
    nsgRules: new Map(),
    faults: faultsOfScenario('sim-healthy'),
    traits: plainDisk(),
  };
}

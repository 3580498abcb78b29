import type { VmRecord } from './arm-resources';
import type { ArmBody } from './lab-store';
import { scenarioNameFor } from './scenarios';
import type { WindowsVmState } from './windows-vm';

/** What a disk is beyond its Windows: its VM generation, BitLocker, and a swap Azure refuses. */
export interface DiskTraits {
  generation: 1 | 2;
  bitlocker: boolean;
  /** The simulator refuses to make this disk's copy an OS disk (scenario sim-agent-down-swap-fails). */
  swapRefused: boolean;
  /** The availability zone of a zonal VM and its OS disk. */
  zone?: string;
}

const PlainDisk: DiskTraits = { generation: 1, bitlocker: false, swapRefused: false };

/** The disk traits of each scenario that has any; every other VM has a plain generation-1 disk. */
const ScenarioTraits: Record<string, Partial<DiskTraits>> = {
  'sim-agent-down-encrypted': { bitlocker: true },
  'sim-agent-down-gen2': { generation: 2 },
  'sim-agent-down-swap-fails': { swapRefused: true },
  'sim-agent-down-zonal': { zone: '2' },
};

export function traitsOfScenario(scenario: string): DiskTraits {
  return { ...PlainDisk, ...ScenarioTraits[scenarioNameFor(scenario) ?? scenario] };
}

export function plainDisk(): DiskTraits {
  return { ...PlainDisk };
}

/** A disk's Windows (what is on it) and its traits. */
export interface DiskContents {
  state: WindowsVmState;
  traits: DiskTraits;
}

/**
 * What is on the simulator's disks and snapshots, by ARM id (lower case). A simulated VM's
 * running OS disk is its live state (`record.vm.state`); a snapshot copies it, a disk copied
 * from a snapshot copies that, and an OS disk swap trades the live state with the disk's.
 */
export class RescueDisks {
  private readonly contents = new Map<string, DiskContents>();

  get(id: string): DiskContents | undefined {
    return this.contents.get(id.toLowerCase());
  }

  set(id: string, contents: DiskContents): void {
    this.contents.set(id.toLowerCase(), {
      state: structuredClone(contents.state),
      traits: { ...contents.traits },
    });
  }

  delete(id: string): void {
    this.contents.delete(id.toLowerCase());
  }

  clear(): void {
    this.contents.clear();
  }
}

/** The OS disk's name of a simulated VM: `<vm>-osdisk` until a swap changes it. */
export function osDiskNameOf(record: VmRecord): string {
  return record.osDisk?.body.name ?? `${record.entry.name}-osdisk`;
}

/**
 * A simulated VM's OS disk as "Disks - Get" returns it (REST reference): attached to the VM
 * (`managedBy`), Premium SSD, its OS type and Hyper-V generation (V1/V2), created from an image.
 */
export function osDiskBodyOf(subscriptionId: string, record: VmRecord): ArmBody {
  if (record.osDisk) return record.osDisk.body;
  const { resourceGroup: rg, name } = record.entry;
  const rgId = `/subscriptions/${subscriptionId}/resourceGroups/${rg}`;
  return {
    id: `${rgId}/providers/Microsoft.Compute/disks/${name}-osdisk`,
    name: `${name}-osdisk`,
    type: 'Microsoft.Compute/disks',
    location: 'westeurope',
    managedBy: `${rgId}/providers/Microsoft.Compute/virtualMachines/${name}`,
    sku: { name: 'Premium_LRS', tier: 'Premium' },
    ...(record.traits.zone ? { zones: [record.traits.zone] } : {}),
    tags: {},
    properties: {
      osType: 'Windows',
      hyperVGeneration: record.traits.generation === 2 ? 'V2' : 'V1',
      creationData: { createOption: 'FromImage' },
      diskSizeGB: 127,
      diskState: 'Attached',
      provisioningState: 'Succeeded',
    },
  };
}

/** A snapshot holds what its source disk held when it was taken: a running VM's live Windows, or a disk's. */
export function captureSnapshot(
  state: { vms: Map<string, VmRecord>; disks: RescueDisks; subscriptionId: string },
  snapshotId: string,
  sourceId: string,
): void {
  const record = [...state.vms.values()].find(
    (r) => osDiskBodyOf(state.subscriptionId, r).id.toLowerCase() === sourceId.toLowerCase(),
  );
  const contents = record ? { state: record.vm.state, traits: record.traits } : state.disks.get(sourceId);
  if (contents) state.disks.set(snapshotId, contents);
}

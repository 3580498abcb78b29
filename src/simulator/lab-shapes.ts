import { createHash } from 'node:crypto';
import type { ArmBody, LabStore } from './lab-store';

/**
 * The bodies ARM returns for what `rdp-fix lab` creates, built from a PUT body the way the
 * resource providers answer: ids filled in, read-only properties added, secrets (the admin
 * password) never echoed. Shapes follow the REST references "Virtual Networks - Create Or
 * Update", "Network Interfaces - Create Or Update", "Virtual Machines - Create Or Update",
 * "Disks - Get" and DevTest Labs "Global Schedules - Create Or Update" (api 2018-09-15).
 */
type Input = {
  location?: string;
  tags?: Record<string, string>;
  zones?: string[];
  properties?: Record<string, unknown>;
};

export function vnetBody(lab: LabStore, rg: string, name: string, input: Input, state: string): ArmBody {
  const id = lab.idOf('virtualnetworks', rg, name);
  const subnets =
    (input.properties?.subnets as { name: string; properties?: Record<string, unknown> }[]) ?? [];
  return {
    id,
    name,
    type: 'Microsoft.Network/virtualNetworks',
    location: input.location ?? '',
    tags: input.tags ?? {},
    etag: `W/"${uuidOf(`${id}${state}`)}"`,
    properties: {
      provisioningState: state,
      resourceGuid: uuidOf(id),
      addressSpace: input.properties?.addressSpace ?? { addressPrefixes: [] },
      subnets: subnets.map((s) => ({
        id: `${id}/subnets/${s.name}`,
        name: s.name,
        type: 'Microsoft.Network/virtualNetworks/subnets',
        properties: { ...s.properties, provisioningState: state, ipConfigurations: [] },
      })),
    },
  };
}

export function nicBody(
  lab: LabStore,
  rg: string,
  name: string,
  input: Input,
  privateIp: string,
  state: string,
): ArmBody {
  const id = lab.idOf('networkinterfaces', rg, name);
  const configs =
    (input.properties?.ipConfigurations as { name: string; properties?: Record<string, unknown> }[]) ?? [];
  return {
    id,
    name,
    type: 'Microsoft.Network/networkInterfaces',
    location: input.location ?? '',
    tags: input.tags ?? {},
    properties: {
      provisioningState: state,
      resourceGuid: uuidOf(id),
      ipConfigurations: configs.map((c, i) => ({
        id: `${id}/ipConfigurations/${c.name}`,
        name: c.name,
        type: 'Microsoft.Network/networkInterfaces/ipConfigurations',
        properties: {
          ...c.properties,
          provisioningState: state,
          privateIPAddress: privateIp,
          privateIPAllocationMethod: 'Dynamic',
          primary: i === 0,
        },
      })),
      enableAcceleratedNetworking: false,
    },
  };
}

export function vmBody(lab: LabStore, rg: string, name: string, input: Input, state: string): ArmBody {
  const id = lab.idOf('virtualmachines', rg, name);
  const p = input.properties ?? {};
  const storage = (p.storageProfile ?? {}) as {
    imageReference?: Record<string, unknown>;
    osDisk?: Record<string, unknown> & { name?: string; managedDisk?: Record<string, unknown> };
  };
  const diskName = storage.osDisk?.name ?? `${name}_OsDisk_1_${uuidOf(id).replace(/-/g, '')}`;
  // The password is accepted and dropped: ARM never returns osProfile.adminPassword.
  const { adminPassword: _secret, ...osProfile } = (p.osProfile ?? {}) as Record<string, unknown>;
  return {
    id,
    name,
    type: 'Microsoft.Compute/virtualMachines',
    location: input.location ?? '',
    tags: input.tags ?? {},
    ...(input.zones?.length ? { zones: [...input.zones] } : {}),
    properties: {
      vmId: uuidOf(id),
      provisioningState: state,
      hardwareProfile: p.hardwareProfile,
      storageProfile: {
        imageReference: {
          ...storage.imageReference,
          exactVersion: '20348.2849.241106',
        },
        osDisk: {
          osType: 'Windows',
          createOption: 'FromImage',
          caching: 'ReadWrite',
          deleteOption: 'Detach',
          diskSizeGB: 127,
          ...storage.osDisk,
          name: diskName,
          managedDisk: {
            storageAccountType: 'StandardSSD_LRS',
            ...storage.osDisk?.managedDisk,
            id: lab.idOf('disks', rg, diskName),
          },
        },
        dataDisks: [],
      },
      osProfile: { ...osProfile, secrets: [], allowExtensionOperations: true },
      networkProfile: p.networkProfile,
      ...(p.diagnosticsProfile ? { diagnosticsProfile: p.diagnosticsProfile } : {}),
      timeCreated: lab.now().toISOString(),
    },
  };
}

/** The OS disk Azure creates with a VM from an image: untagged, attached, managed by the VM. */
export function osDiskBody(lab: LabStore, rg: string, vm: ArmBody): ArmBody {
  const osDisk = (
    vm.properties.storageProfile as { osDisk: { name: string; managedDisk: { storageAccountType: string } } }
  ).osDisk;
  return {
    id: lab.idOf('disks', rg, osDisk.name),
    name: osDisk.name,
    type: 'Microsoft.Compute/disks',
    location: vm.location as string,
    tags: {},
    managedBy: vm.id,
    sku: { name: osDisk.managedDisk.storageAccountType, tier: 'Standard' },
    properties: {
      osType: 'Windows',
      hyperVGeneration: 'V2',
      creationData: {
        createOption: 'FromImage',
        imageReference: {
          id: `/Subscriptions/${vm.id.split('/')[2]}/Providers/Microsoft.Compute/Locations/${vm.location}/Publishers/MicrosoftWindowsServer/ArtifactTypes/VMImage/Offers/WindowsServer/Skus/2022-datacenter-azure-edition/Versions/20348.2849.241106`,
        },
      },
      diskSizeGB: 127,
      diskState: 'Attached',
      provisioningState: 'Succeeded',
      timeCreated: lab.now().toISOString(),
    },
  };
}

export function scheduleBody(lab: LabStore, rg: string, name: string, input: Input): ArmBody {
  const id = lab.idOf('schedules', rg, name);
  return {
    id,
    name,
    type: 'Microsoft.DevTestLab/schedules',
    location: input.location ?? '',
    tags: input.tags ?? {},
    properties: {
      ...input.properties,
      createdDate: lab.now().toISOString(),
      provisioningState: 'Succeeded',
      uniqueIdentifier: uuidOf(id),
    },
  };
}

/** A stable GUID-shaped id from a text (resource GUIDs, vmId). */
export function uuidOf(text: string): string {
  const h = createHash('sha1').update(text).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

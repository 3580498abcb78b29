import type { VirtualMachine } from '@azure/arm-compute';
import type { NetworkInterface } from '@azure/arm-network';

/**
 * The bodies of a Windows VM reached through Run Command only, as `rdp-fix lab` and the
 * offline repair's rescue VM create it: a NIC in a subnet with no public IP, and a VM from a
 * Windows Server image whose OS disk is kept when the VM goes (so that it is deleted by its
 * tags like the rest) and whose admin password is sent once, here, and kept nowhere.
 */
export function privateNicBody(
  location: string,
  tags: Record<string, string>,
  subnetId: string,
): NetworkInterface {
  // No publicIPAddress: nobody signs in to it; Run Command reaches it.
  return {
    location,
    tags,
    ipConfigurations: [{ name: 'ipconfig1', subnet: { id: subnetId }, privateIPAllocationMethod: 'Dynamic' }],
  };
}

export interface PrivateWindowsVm {
  location: string;
  zones?: string[];
  tags: Record<string, string>;
  size: string;
  image: { publisher: string; offer: string; sku: string; version: string };
  osDiskName: string;
  computerName: string;
  adminUser: string;
  adminPassword: string;
  nicId: string;
  automaticUpdates: boolean;
}

export function privateWindowsVmBody(vm: PrivateWindowsVm): VirtualMachine {
  return {
    location: vm.location,
    ...(vm.zones?.length ? { zones: vm.zones } : {}),
    tags: vm.tags,
    hardwareProfile: { vmSize: vm.size },
    storageProfile: {
      imageReference: { ...vm.image },
      osDisk: {
        name: vm.osDiskName,
        createOption: 'FromImage',
        managedDisk: { storageAccountType: 'StandardSSD_LRS' },
        deleteOption: 'Detach',
      },
    },
    osProfile: {
      computerName: vm.computerName,
      adminUsername: vm.adminUser,
      adminPassword: vm.adminPassword,
      windowsConfiguration: { provisionVMAgent: true, enableAutomaticUpdates: vm.automaticUpdates },
    },
    networkProfile: { networkInterfaces: [{ id: vm.nicId, primary: true }] },
  };
}

/**
 * Every ARM action `rdp-fix lab` performs, for the identity that runs it (a person's `az
 * login`, not the agent's managed identity: the agent's role deliberately holds no write or
 * delete of VMs). deploy/lab/rdp-fix-lab.role.json grants exactly these (a test keeps the two
 * equal, and checks the lab's requests against them in the simulator).
 */
export const LabActions = [
  // create: network, NIC (joined to the subnet), VM (joined to the NIC), the OS disk's tags, auto-shutdown
  'Microsoft.Network/virtualNetworks/read',
  'Microsoft.Network/virtualNetworks/write',
  'Microsoft.Network/virtualNetworks/subnets/join/action',
  'Microsoft.Network/networkInterfaces/read',
  'Microsoft.Network/networkInterfaces/write',
  'Microsoft.Network/networkInterfaces/join/action',
  'Microsoft.Compute/virtualMachines/read',
  'Microsoft.Compute/virtualMachines/write',
  'Microsoft.Compute/disks/read',
  'Microsoft.Compute/disks/write',
  'Microsoft.DevTestLab/schedules/read',
  'Microsoft.DevTestLab/schedules/write',
  // status and break
  'Microsoft.Compute/virtualMachines/instanceView/read',
  'Microsoft.Compute/virtualMachines/runCommand/action',
  'Microsoft.Compute/virtualMachines/restart/action',
  // destroy, of tagged resources only
  'Microsoft.DevTestLab/schedules/delete',
  'Microsoft.Compute/virtualMachines/delete',
  'Microsoft.Compute/disks/delete',
  'Microsoft.Network/networkInterfaces/delete',
  'Microsoft.Network/virtualNetworks/delete',
] as const;

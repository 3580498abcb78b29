/**
 * Every ARM action the agent performs. deploy/azure/rdp-fix-operator.role.json grants
 * exactly these (a test keeps the two equal); the start-up check compares the identity's
 * real rights with them.
 */
export const NeededActions = [
  'Microsoft.Compute/virtualMachines/read',
  'Microsoft.Compute/virtualMachines/instanceView/read',
  'Microsoft.Compute/virtualMachines/runCommand/action',
  // The managed Run Command (the default, RDPFIX_RUN_COMMAND=managed): the script is a
  // `runCommands` child resource of the VM, created (write), read for its instance view, and
  // deleted once its result is stored.
  'Microsoft.Compute/virtualMachines/runCommands/read',
  'Microsoft.Compute/virtualMachines/runCommands/write',
  'Microsoft.Compute/virtualMachines/runCommands/delete',
  'Microsoft.Compute/virtualMachines/restart/action',
  // The approved "start the VM" step, offered when the VM is stopped or deallocated.
  'Microsoft.Compute/virtualMachines/start/action',
  'Microsoft.Compute/disks/read',
  'Microsoft.Compute/disks/beginGetAccess/action',
  'Microsoft.Compute/snapshots/read',
  'Microsoft.Compute/snapshots/write',
  'Microsoft.Network/networkInterfaces/read',
  // "Check RDP security": the NIC's effective rules (its NSG and its subnet's).
  'Microsoft.Network/networkInterfaces/effectiveNetworkSecurityGroups/action',
  'Microsoft.Network/networkSecurityGroups/read',
  'Microsoft.Network/networkSecurityGroups/securityRules/read',
  'Microsoft.Network/networkSecurityGroups/securityRules/write',
  'Microsoft.Resources/subscriptions/resourceGroups/read',
] as const;

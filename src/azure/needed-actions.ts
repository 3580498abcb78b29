/**
 * Every ARM action the agent performs. deploy/azure/rdp-fix-operator.role.json grants
 * exactly these (a test keeps the two equal); the start-up check compares the identity's
 * real rights with them.
 */
export const NeededActions = [
  'Microsoft.Compute/virtualMachines/read',
  'Microsoft.Compute/virtualMachines/instanceView/read',
  'Microsoft.Compute/virtualMachines/runCommand/action',
  'Microsoft.Compute/virtualMachines/restart/action',
  'Microsoft.Compute/disks/read',
  'Microsoft.Compute/disks/beginGetAccess/action',
  'Microsoft.Compute/snapshots/read',
  'Microsoft.Compute/snapshots/write',
  'Microsoft.Network/networkInterfaces/read',
  'Microsoft.Network/networkSecurityGroups/read',
  'Microsoft.Network/networkSecurityGroups/securityRules/read',
  'Microsoft.Network/networkSecurityGroups/securityRules/write',
  'Microsoft.Resources/subscriptions/resourceGroups/read',
] as const;

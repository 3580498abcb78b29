import { NeededActions } from '../needed-actions';

/**
 * Every ARM action the offline repair performs (src/azure/rescue/), on the served resource
 * groups (the copy of the OS disk, the swap) and on the rescue group (or the subscription,
 * when rdp-fix creates a group per incident). deploy/azure/rdp-fix-rescue.role.json grants
 * exactly these (test/deploy/role.test.ts keeps the two equal); with RDPFIX_RESCUE=true the
 * start-up check compares the identity's rights with them and the operator role's.
 */
export const RescueActions = [
  // The copy of the OS disk from the snapshot, the tag on the rescue VM's OS disk, deletes by tag.
  'Microsoft.Compute/disks/read',
  'Microsoft.Compute/disks/write',
  'Microsoft.Compute/disks/delete',
  'Microsoft.Compute/snapshots/read',
  // The rescue VM, attach/detach (VM update), the OS disk swap (VM update on the deallocated VM).
  'Microsoft.Compute/virtualMachines/read',
  'Microsoft.Compute/virtualMachines/write',
  'Microsoft.Compute/virtualMachines/delete',
  'Microsoft.Compute/virtualMachines/deallocate/action',
  'Microsoft.Compute/virtualMachines/start/action',
  'Microsoft.Compute/virtualMachines/instanceView/read',
  // The managed Run Command on the rescue VM (partition detection, the offline scripts).
  'Microsoft.Compute/virtualMachines/runCommands/read',
  'Microsoft.Compute/virtualMachines/runCommands/write',
  'Microsoft.Compute/virtualMachines/runCommands/delete',
  'Microsoft.Compute/virtualMachines/runCommand/action',
  // The rescue VM's NIC in the source VM's subnet (joining a subnet is its own action).
  'Microsoft.Network/networkInterfaces/read',
  'Microsoft.Network/networkInterfaces/write',
  'Microsoft.Network/networkInterfaces/delete',
  'Microsoft.Network/networkInterfaces/join/action',
  'Microsoft.Network/virtualNetworks/subnets/join/action',
  // A rescue group per incident, deleted once empty.
  'Microsoft.Resources/subscriptions/resourceGroups/read',
  'Microsoft.Resources/subscriptions/resourceGroups/write',
  'Microsoft.Resources/subscriptions/resourceGroups/delete',
  'Microsoft.Resources/subscriptions/resourceGroups/resources/read',
] as const;

/** What the start-up check compares the identity's rights with: the operator role, and the rescue role when it is on. */
export function actionsNeeded(rescue: boolean): string[] {
  return [...new Set<string>([...NeededActions, ...(rescue ? RescueActions : [])])];
}

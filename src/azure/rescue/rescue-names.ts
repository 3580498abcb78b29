import type { VmRef } from '../../core/types';

/**
 * Names and tags of what the offline repair creates for an incident (shared/DESIGN.md,
 * "Offline repair contract"). Every name is derived from the incident id, so a step run again
 * after a crash finds what the first run made instead of making a second one.
 */
export const IncidentTag = 'rdp-fix-incident';
export const RoleTag = 'rdp-fix';
export const RescueRole = 'rescue';
/** On the repaired copy: the id of the OS disk it replaces, so `swap-back` knows what to put back. */
export const OriginalDiskTag = 'rdp-fix-original-disk';

/** The two tags nothing is ever deleted without. */
export function rescueTags(incidentId: string): Record<string, string> {
  return { [IncidentTag]: incidentId, [RoleTag]: RescueRole };
}

/** Whether a resource carries both of the incident's rescue tags: only then may rdp-fix delete it. */
export function isRescueResourceOf(tags: Record<string, string> | undefined, incidentId: string): boolean {
  return tags?.[IncidentTag] === incidentId && tags?.[RoleTag] === RescueRole;
}

/**
 * The snapshot `snapshotDisk` takes of the OS disk (in the VM's resource group). The offline
 * repair's own (a step whose id starts with `rescue-`) has a name of its own, so that it never
 * replaces the backup an earlier step of the incident took before the first change.
 */
export function snapshotNameOf(vmName: string, incidentId: string, stepId = ''): string {
  const rescue = stepId.startsWith('rescue-') ? 'rescue-' : '';
  return `${vmName}-rdpfix-${rescue}${incidentId}`.slice(0, 80);
}

/** Where and under which names the rescue resources of an incident live. */
export interface RescuePlan {
  /** The rescue VM's resource group: the configured one, or `rdpfix-rescue-<incident>`. */
  resourceGroup: string;
  /** Whether rdp-fix creates that group (and may delete it once it is empty). */
  ownGroup: boolean;
  vm: string;
  nic: string;
  osDisk: string;
  /** The repaired copy of the OS disk, in the source VM's resource group (it becomes its OS disk). */
  repairDisk: string;
}

/** The rescue VM's Windows computer name (15 characters at most); nobody signs in to it. */
export const RescueComputerName = 'rdpfixrescue';

export function rescuePlanOf(incidentId: string, source: VmRef, configuredGroup?: string): RescuePlan {
  const vm = `rdpfix-rescue-${incidentId}`;
  return {
    resourceGroup: configuredGroup ?? vm,
    ownGroup: !configuredGroup,
    vm,
    nic: `${vm}-nic`,
    osDisk: `${vm}-osdisk`,
    repairDisk: `${source.name}-rdpfix-repair-${incidentId}`.slice(0, 80),
  };
}

/** The rescue VM as a Run Command target. */
export function rescueVmRef(incidentId: string, source: VmRef, configuredGroup?: string): VmRef {
  const plan = rescuePlanOf(incidentId, source, configuredGroup);
  return { subscriptionId: source.subscriptionId, resourceGroup: plan.resourceGroup, name: plan.vm };
}

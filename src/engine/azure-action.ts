import type { RescueOperations } from '../azure/rescue/rescue-operations';
import type { ApprovedStep, VmOperations } from '../azure/vm-operations';
import { ErrorCodes, RdpFixError } from '../core/errors';
import { type AzureAction, type RescueAzureAction, RescueAzureActions } from '../playbook/schema';

/**
 * The offline repair's actions are idempotent by construction (src/azure/rescue/: names from
 * the incident id, what exists is found and finished, never made twice): after a crash the
 * approved step is sent again and carries on from what Azure holds, as a saved poll resumes a
 * Run Command. Every other change goes back to a person ("outcome unknown").
 */
const ResumableActions: ReadonlySet<AzureAction> = new Set(RescueAzureActions);

export function isResumableAction(action: AzureAction): boolean {
  return ResumableActions.has(action);
}

/** Runs an approved `azure` step (not a script) and returns what the machine keeps of it. */
export async function runAzureAction(
  vm: VmOperations,
  action: AzureAction,
  step: ApprovedStep,
  signal: AbortSignal,
  rescue?: RescueOperations,
): Promise<Record<string, unknown>> {
  switch (action) {
    case 'snapshotDisk':
      return { ...(await vm.snapshotOsDisk(step, signal)) };
    case 'restartVm':
      await vm.restart(step, signal);
      return { restarted: true };
    case 'updateNsgRule':
      return { ...(await vm.updateNsgRule(step, signal)) };
    case 'checkRdpSecurity':
      return { ...(await vm.checkRdpSecurity(step, signal)) };
    case 'startVm':
      await vm.start(step, signal);
      return { started: true };
    default:
      return { ...(await rescueAction(rescueOf(rescue), action, step, signal)) };
  }
}

function rescueOf(rescue: RescueOperations | undefined): RescueOperations {
  if (!rescue)
    throw new RdpFixError(
      ErrorCodes.RescueBlocked,
      'the offline repair is switched off (RDPFIX_RESCUE=true turns it on)',
    );
  return rescue;
}

/**
 * The offline repair's actions (src/azure/rescue/): each action is the RescueOperations method
 * of the same name.
 */
function rescueAction(
  rescue: RescueOperations,
  action: RescueAzureAction,
  step: ApprovedStep,
  signal: AbortSignal,
): Promise<object> {
  return rescue[action](step, signal);
}

import type { ApprovedStep, VmOperations } from '../azure/vm-operations';
import type { AzureAction } from '../playbook/schema';

/** Runs an approved `azure` step (not a script) and returns what the machine keeps of it. */
export async function runAzureAction(
  vm: VmOperations,
  action: AzureAction,
  step: ApprovedStep,
  signal: AbortSignal,
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
  }
}

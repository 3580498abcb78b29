import { type ComputeManagementClient, restorePoller } from '@azure/arm-compute';
import { callAzure } from './azure-errors';
import { runCommandParameters } from './run-command-parameters';
import type { ApprovedStep, RunHooks, RunOutput, ScriptToRun } from './vm-operations';

/**
 * The action Run Command: `POST …/runCommand`, polled as an async operation (DESIGN.md facts).
 * No timeout of its own and no way to cancel it; the managed Run Command has both.
 */
export class ActionRunCommand {
  constructor(
    private readonly compute: ComputeManagementClient,
    private readonly pollIntervalMs: number,
  ) {}

  async run(
    step: ApprovedStep,
    script: ScriptToRun,
    hooks: RunHooks,
    signal?: AbortSignal,
  ): Promise<RunOutput> {
    const input = {
      commandId: 'RunPowerShellScript',
      script: script.text.split(/\r?\n/),
      parameters: runCommandParameters(step, script),
    };
    const poller = this.compute.virtualMachines.runCommand(step.vm.resourceGroup, step.vm.name, input, {
      updateIntervalInMs: this.pollIntervalMs,
      abortSignal: signal,
    });
    await poller.submitted();
    // Stored before waiting: a restarted process resumes this poll instead of sending again.
    await hooks.onPollerState?.(await poller.serialize());
    return outputOf(await callAzure('run the command', () => poller.pollUntilDone({ abortSignal: signal })));
  }

  /** Picks up the poll a previous process saved (the SDK's own serialisation). */
  async resume(pollerState: string, signal?: AbortSignal): Promise<RunOutput> {
    const poller = restorePoller(this.compute, pollerState, this.compute.virtualMachines.runCommand, {
      updateIntervalInMs: this.pollIntervalMs,
      abortSignal: signal,
    });
    return outputOf(
      await callAzure('resume the command', () => poller.pollUntilDone({ abortSignal: signal })),
    );
  }
}

/** StdOut and StdErr from the result's value list (each cut by Azure to its last 4,096 bytes). */
function outputOf(result: { value?: { code?: string; message?: string }[] }): RunOutput {
  const find = (stream: string) => result.value?.find((s) => s.code?.includes(`/${stream}/`))?.message ?? '';
  return { stdout: find('StdOut'), stderr: find('StdErr') };
}

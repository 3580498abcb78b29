import type { ComputeManagementClient, VirtualMachineRunCommandInstanceView } from '@azure/arm-compute';
import { isRestError } from '@azure/core-rest-pipeline';
import { ErrorCodes, RdpFixError } from '../core/errors';
import { DefaultStepTimeoutSeconds } from '../playbook/schema';
import { runCommandParameters } from './run-command-parameters';
import type { ApprovedStep, RunHooks, RunOutput, ScriptToRun } from './vm-operations';

/**
 * Which Azure Run Command runs the scripts: `managed` (a `runCommands` child resource of the
 * VM, with a timeout Azure enforces) or `action` (`POST …/runCommand`, no timeout, up to 90
 * minutes, cannot be cancelled).
 */
export const RunCommandKinds = ['managed', 'action'] as const;
export type RunCommandKind = (typeof RunCommandKinds)[number];

/**
 * What a restarted process needs to find a managed Run Command again: the resource's name is
 * enough, its instance view says how the script is doing. Saved before waiting.
 */
export interface ManagedRunState {
  kind: 'managed';
  resourceGroup: string;
  vmName: string;
  runCommandName: string;
  timeoutSeconds: number;
}

/** The saved state of a managed run, or undefined for an action Run Command's poller state. */
export function managedStateOf(pollerState: string): ManagedRunState | undefined {
  try {
    const parsed = JSON.parse(pollerState) as Partial<ManagedRunState>;
    return parsed?.kind === 'managed' && parsed.runCommandName ? (parsed as ManagedRunState) : undefined;
  } catch {
    // An action Run Command state is the SDK's own serialisation: not ours to read.
    return undefined;
  }
}

/**
 * The run command resource's name: one per step attempt, so a retried PUT (after a 409) updates
 * the same resource instead of starting a second script. ARM names: letters, digits, `-_.`.
 */
export function runCommandNameOf(step: ApprovedStep): string {
  return `rdpfix-${step.stepId}-${step.attempt}-${step.incidentId}`
    .replace(/[^A-Za-z0-9_.-]/g, '-')
    .slice(0, 80);
}

/** Instance view states after which the script no longer runs (KnownExecutionState, arm-compute 25). */
const Terminal = new Set(['Succeeded', 'Failed', 'TimedOut', 'Canceled']);

export interface ManagedRunOptions {
  pollIntervalMs: number;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Runs an SDK call, turning its errors into coded ones. */
  call: <T>(what: string, work: () => Promise<T>) => Promise<T>;
}

/**
 * The managed Run Command on `@azure/arm-compute` 25 (`virtualMachineRunCommands`).
 *
 * Wire facts, from Microsoft's REST reference "Virtual Machine Run Commands - Create Or Update /
 * Get By Virtual Machine / Delete" (azure-rest-api-specs, ComputeRP 2024-11-01 examples
 * VirtualMachineRunCommand_CreateOrUpdate.json, _Get.json, _Delete.json) and the docs page
 * "Run scripts in your Windows VM by using managed Run Commands" (run-command-managed.md):
 * - `PUT …/virtualMachines/{vm}/runCommands/{name}` with `location` and `properties.source.script`,
 *   `parameters`, `protectedParameters`, `asyncExecution`, `timeoutInSeconds`,
 *   `treatFailureAsDeploymentFailure`; 201 when created, 200 when updated; a long-running
 *   operation. With `asyncExecution: false` provisioning completes when the script does.
 * - With `treatFailureAsDeploymentFailure: false` the provisioning state only says whether the
 *   script was run; the instance view says how it ended (`GET …?$expand=instanceView`:
 *   `executionState` Pending/Running/Failed/Succeeded/TimedOut/Canceled/Unknown, `exitCode`,
 *   `output`, `error`, `startTime`, `endTime`).
 * - "User specified script timeout"; deleting the resource while the script runs terminates it.
 * - `DELETE` answers 200, 202 (with Location) or 204.
 */
export class ManagedRunCommand {
  constructor(
    private readonly compute: ComputeManagementClient,
    private readonly options: ManagedRunOptions,
  ) {}

  /** PUTs the run command, saves where to find it, then waits for its result. */
  async run(
    step: ApprovedStep,
    script: ScriptToRun,
    hooks: RunHooks,
    signal?: AbortSignal,
  ): Promise<RunOutput> {
    const { resourceGroup, name: vmName } = step.vm;
    // The resource needs the VM's region (`location` is required in the PUT body).
    const vm = await this.options.call('read the VM', () =>
      this.compute.virtualMachines.get(resourceGroup, vmName, { abortSignal: signal }),
    );
    const state: ManagedRunState = {
      kind: 'managed',
      resourceGroup,
      vmName,
      runCommandName: runCommandNameOf(step),
      timeoutSeconds: script.timeoutSeconds ?? DefaultStepTimeoutSeconds,
    };
    const poller = this.compute.virtualMachineRunCommands.createOrUpdate(
      resourceGroup,
      vmName,
      state.runCommandName,
      {
        location: vm.location,
        source: { script: script.text },
        parameters: runCommandParameters(step, script),
        protectedParameters: [],
        // Wait for the script, not just its start; Azure stops it after timeoutInSeconds.
        asyncExecution: false,
        timeoutInSeconds: state.timeoutSeconds,
        // The script's own result line decides success; provisioning only says it ran.
        treatFailureAsDeploymentFailure: false,
      },
      { updateIntervalInMs: this.options.pollIntervalMs, abortSignal: signal },
    );
    await this.options.call('run the command', () => poller.submitted());
    // Stored before waiting: a restarted process polls this run command instead of sending again.
    await hooks.onPollerState?.(JSON.stringify(state));
    try {
      await poller.pollUntilDone({ abortSignal: signal });
    } catch (err) {
      if (signal?.aborted) throw err;
      // A failed provisioning may still have an instance view that says more (a time-out).
      const view = await this.view(state, signal).catch(() => undefined);
      if (view?.executionState !== 'TimedOut') throw err;
    }
    return this.result(state, signal);
  }

  /** Waits for a run command found by its saved state: polls its instance view until the script ends. */
  async result(state: ManagedRunState, signal?: AbortSignal): Promise<RunOutput> {
    for (;;) {
      const view = await this.view(state, signal);
      const execution = view?.executionState ?? 'Unknown';
      if (Terminal.has(execution)) return outputOf(state, execution, view ?? {});
      await this.options.sleep(this.options.pollIntervalMs, signal);
    }
  }

  /** Deletes the run command resource; one already gone is fine. */
  async release(state: ManagedRunState, signal?: AbortSignal): Promise<void> {
    try {
      await this.compute.virtualMachineRunCommands
        .delete(state.resourceGroup, state.vmName, state.runCommandName, {
          updateIntervalInMs: this.options.pollIntervalMs,
          abortSignal: signal,
        })
        .pollUntilDone({ abortSignal: signal });
    } catch (err) {
      if (isRestError(err) && err.statusCode === 404) return;
      throw err;
    }
  }

  private async view(
    state: ManagedRunState,
    signal?: AbortSignal,
  ): Promise<VirtualMachineRunCommandInstanceView | undefined> {
    // arm-compute 25: `get` is the location-level catalogue of built-in commands; the VM's own
    // run command resource is `getByVirtualMachine`.
    const resource = await this.options.call('read the run command', () =>
      this.compute.virtualMachineRunCommands.getByVirtualMachine(
        state.resourceGroup,
        state.vmName,
        state.runCommandName,
        { expand: 'instanceView', abortSignal: signal },
      ),
    );
    return resource.instanceView;
  }
}

function outputOf(
  state: ManagedRunState,
  execution: string,
  view: VirtualMachineRunCommandInstanceView,
): RunOutput {
  const output = { stdout: view.output ?? '', stderr: view.error ?? '' };
  switch (execution) {
    case 'TimedOut':
      throw new RdpFixError(
        ErrorCodes.RunCommandTimedOut,
        `the script ran past its ${state.timeoutSeconds}-second limit and Azure stopped it`,
        { timeoutSeconds: state.timeoutSeconds, output },
      );
    case 'Canceled':
      throw new RdpFixError(
        ErrorCodes.AzureOperationFailed,
        `the Run Command was canceled on the VM${view.executionMessage ? `: ${view.executionMessage}` : ''}`,
        { output },
      );
    default:
      // Succeeded, or Failed (a non-zero exit): the script's result line says what happened.
      // A script that could not even start says why only in executionMessage.
      return output.stdout || output.stderr || !view.executionMessage
        ? output
        : { stdout: '', stderr: view.executionMessage };
  }
}

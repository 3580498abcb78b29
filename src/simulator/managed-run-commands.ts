import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { armError, lastBytes, type Sent, send } from './arm-wire';
import type { SimulatedWindowsVm } from './windows-vm';

/**
 * The managed Run Command in the simulator: `runCommands` child resources of a VM, as
 * Microsoft documents them (REST reference "Virtual Machine Run Commands - Create Or Update /
 * Get By Virtual Machine / Delete", azure-rest-api-specs ComputeRP 2024-11-01 examples
 * VirtualMachineRunCommand_CreateOrUpdate.json, _Get.json, _Delete.json; docs page "Run scripts
 * in your Windows VM by using managed Run Commands", run-command-managed.md):
 * - PUT with `location` and `properties` (`source.script`, `parameters`, `protectedParameters`,
 *   `asyncExecution`, `timeoutInSeconds`, `treatFailureAsDeploymentFailure`): 201 when created,
 *   200 when updated, the resource in the body (`provisioningState` "Creating" in the 201
 *   example), and, as ARM's asynchronous PUTs do, an `Azure-AsyncOperation` header to poll.
 * - `asyncExecution: false`: provisioning completes when the script ends; with
 *   `treatFailureAsDeploymentFailure: false` it succeeds even when the script failed or timed
 *   out, and the instance view (`$expand=instanceView`) tells: `executionState`, `exitCode`,
 *   `output`, `error`, `startTime`, `endTime`.
 * - "User specified script timeout": past `timeoutInSeconds` the script is stopped and its
 *   state is TimedOut, with what it printed so far.
 * - DELETE: 200, 202 with `Location`, or 204; "if the script execution is still in progress,
 *   execution will be terminated".
 * - `protectedParameters` are never echoed back (they are secrets).
 * Times are scaled like every other simulated duration (latency scale).
 */
export interface ManagedRun {
  name: string;
  vmKey: string;
  operationId: string;
  script: string;
  params: { name: string; value: string }[];
  timeoutSeconds: number;
  startedAt: number;
  /** When the script would end by itself (never, for a hung one). */
  doneAt: number;
  /** When Azure stops it for its time limit. */
  timeoutAt: number;
  executionState: 'Running' | 'Succeeded' | 'Failed' | 'TimedOut' | 'Canceled' | 'Unknown';
  provisioningState: 'Creating' | 'Updating' | 'Succeeded' | 'Failed';
  output: string;
  error: string;
  exitCode?: number;
  endedAt?: number;
  failure?: { code: string; message: string };
}

/** The action Run Command's own ceiling, which a managed run command's timeout replaces. */
const DefaultTimeoutSeconds = 90 * 60;

export interface ManagedRunHost {
  /** The VM a run belongs to, and its ARM id. */
  vm(vmKey: string): { vm: SimulatedWindowsVm; id: string } | undefined;
  /** How long a Run Command takes, and the scale applied to every simulated duration. */
  runCommandMs(): number;
  scale(): number;
  /** An operation URL on the management host (https), like Azure's. */
  operationUrl(id: string, result: boolean): string;
}

export class ManagedRunCommands {
  private readonly runs = new Map<string, ManagedRun>();
  /** Operation ids of DELETEs that terminated a running script. */
  private readonly deletions = new Set<string>();

  constructor(private readonly host: ManagedRunHost) {}

  /** The run whose PUT (or DELETE) an operation id belongs to. */
  byOperation(id: string): ManagedRun | undefined {
    return [...this.runs.values()].find((r) => r.operationId === id);
  }

  /** A run still going on the VM. */
  running(vmKey: string): boolean {
    return [...this.runs.values()].some((r) => r.vmKey === vmKey && !this.settle(r));
  }

  put(res: ServerResponse, vmKey: string, name: string, body: unknown): Sent {
    const input = (body ?? {}) as {
      location?: string;
      properties?: {
        source?: { script?: string };
        parameters?: { name: string; value: string }[];
        timeoutInSeconds?: number;
      };
    };
    if (!input.location)
      return send(
        res,
        400,
        armError('LocationRequired', 'The location property is required for this definition.'),
      );
    const script = input.properties?.source?.script;
    if (typeof script !== 'string') {
      return send(
        res,
        400,
        armError(
          'InvalidParameter',
          "The value of parameter 'source' is invalid: give script, scriptUri or commandId.",
        ),
      );
    }
    const id = runKey(vmKey, name);
    const existing = this.runs.get(id);
    // Updating a run command replaces its script: a running one is stopped first.
    if (existing && !this.settle(existing)) this.stop(existing, 'Canceled');
    const now = Date.now();
    const host = this.host.vm(vmKey)!;
    const timeoutSeconds = input.properties?.timeoutInSeconds ?? DefaultTimeoutSeconds;
    const run: ManagedRun = {
      name,
      vmKey,
      operationId: randomUUID(),
      script,
      params: (input.properties?.parameters ?? []).map((p) => ({ name: p.name, value: String(p.value) })),
      timeoutSeconds,
      startedAt: now,
      doneAt: host.vm.hangs(script) ? Number.POSITIVE_INFINITY : now + this.host.runCommandMs(),
      timeoutAt: now + timeoutSeconds * 1000 * this.host.scale(),
      executionState: 'Running',
      provisioningState: existing ? 'Updating' : 'Creating',
      output: '',
      error: '',
    };
    this.runs.set(id, run);
    return send(res, existing ? 200 : 201, this.json(run, host.id, false), {
      'Azure-AsyncOperation': this.host.operationUrl(run.operationId, false),
      'Retry-After': '0',
    });
  }

  get(res: ServerResponse, vmKey: string, name: string, expand: boolean): Sent {
    const run = this.runs.get(runKey(vmKey, name));
    if (!run) return notFound(res, name);
    this.settle(run);
    return send(res, 200, this.json(run, this.host.vm(vmKey)!.id, expand));
  }

  delete(res: ServerResponse, vmKey: string, name: string): Sent {
    const id = runKey(vmKey, name);
    const run = this.runs.get(id);
    if (!run) return send(res, 204, undefined);
    const wasRunning = !this.settle(run);
    if (wasRunning) this.stop(run, 'Canceled');
    this.runs.delete(id);
    if (!wasRunning) return send(res, 200, undefined);
    // Terminating a running script is asynchronous: 202 with a Location to poll.
    const done = randomUUID();
    this.deletions.add(done);
    return send(res, 202, undefined, { Location: this.host.operationUrl(done, true), 'Retry-After': '0' });
  }

  /** A DELETE's operation; done at once (the simulator terminates scripts immediately). */
  isDeletion(id: string): boolean {
    return this.deletions.has(id);
  }

  /** The async operation of a PUT: InProgress while the script runs (asyncExecution false). */
  operationStatus(run: ManagedRun): { status: string; error?: { code: string; message: string } } {
    this.settle(run);
    if (run.provisioningState === 'Failed' && run.failure) return { status: 'Failed', error: run.failure };
    return { status: run.provisioningState === 'Succeeded' ? 'Succeeded' : 'InProgress' };
  }

  /** Ends a run whose time has come, applying its script once. True when it no longer runs. */
  private settle(run: ManagedRun): boolean {
    if (run.executionState !== 'Running') return true;
    const now = Date.now();
    const host = this.host.vm(run.vmKey);
    if (!host) return true;
    if (!host.vm.state.agentReady) {
      // Same failure as the action Run Command: the agent never picks the script up.
      run.executionState = 'Unknown';
      run.provisioningState = 'Failed';
      run.failure = {
        code: 'VMAgentStatusCommunicationError',
        message: `VM '${host.vm.name}' has not reported status for VM agent or extensions.`,
      };
      return true;
    }
    if (run.timeoutAt < run.doneAt && now >= run.timeoutAt) {
      this.stop(run, 'TimedOut');
      return true;
    }
    if (now < run.doneAt) return false;
    const params = Object.fromEntries(run.params.map((p) => [p.name, p.value]));
    const result = host.vm.run(run.script, params);
    run.output = lastBytes(result.stdout);
    run.error = lastBytes(result.stderr);
    run.exitCode = 0;
    run.executionState = 'Succeeded';
    run.provisioningState = 'Succeeded';
    run.endedAt = run.doneAt;
    return true;
  }

  /** Stops a running script: what it printed so far stays, nothing else of it happens. */
  private stop(run: ManagedRun, state: 'TimedOut' | 'Canceled'): void {
    const host = this.host.vm(run.vmKey);
    const partial = host?.vm.hangs(run.script) ? host.vm.run(run.script, {}) : { stdout: '', stderr: '' };
    run.output = lastBytes(partial.stdout);
    run.error = lastBytes(partial.stderr);
    run.executionState = state;
    // treatFailureAsDeploymentFailure false: provisioning only says the script was run.
    run.provisioningState = 'Succeeded';
    run.endedAt = state === 'TimedOut' ? run.timeoutAt : Date.now();
  }

  private json(run: ManagedRun, vmId: string, withInstanceView: boolean): Record<string, unknown> {
    return {
      id: `${vmId}/runCommands/${run.name}`,
      name: run.name,
      type: 'Microsoft.Compute/virtualMachines/runCommands',
      location: 'westeurope',
      properties: {
        source: { script: run.script },
        parameters: run.params,
        asyncExecution: false,
        treatFailureAsDeploymentFailure: false,
        timeoutInSeconds: run.timeoutSeconds,
        provisioningState: run.provisioningState,
        ...(withInstanceView
          ? {
              instanceView: {
                executionState: run.executionState,
                ...(run.exitCode === undefined ? {} : { exitCode: run.exitCode }),
                output: run.output,
                error: run.error,
                startTime: new Date(run.startedAt).toISOString(),
                ...(run.endedAt === undefined ? {} : { endTime: new Date(run.endedAt).toISOString() }),
                statuses: [],
              },
            }
          : {}),
      },
    };
  }
}

function runKey(vmKey: string, name: string): string {
  return `${vmKey}/${name.toLowerCase()}`;
}

function notFound(res: ServerResponse, name: string): Sent {
  return send(
    res,
    404,
    armError(
      'ResourceNotFound',
      `The Resource 'Microsoft.Compute/virtualMachines/runCommands/${name}' was not found.`,
    ),
  );
}

import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { VmRecord } from './arm-resources';
import { armError, key, lastBytes, type Sent, send } from './arm-wire';
import type { ManagedRunCommands } from './managed-run-commands';
import type { SimulatedWindowsVm } from './windows-vm';

/** Modelled durations, in milliseconds, of the operations (Azure: ~20–40 s, restart ~90 s). */
export interface Latency {
  runCommand: number;
  restart: number;
  snapshot: number;
}

export const RealisticLatency: Latency = { runCommand: 30_000, restart: 90_000, snapshot: 10_000 };

/** RealisticLatency times a scale: 0 in tests, about 0.05 in local mode, 1 for realism. */
export function scaledLatency(scale: number): Latency {
  return {
    runCommand: RealisticLatency.runCommand * scale,
    restart: RealisticLatency.restart * scale,
    snapshot: RealisticLatency.snapshot * scale,
  };
}

/** An action Run Command or a restart, answered 202 and polled until its time has come. */
export interface Operation {
  id: string;
  vmKey: string;
  kind: 'runCommand' | 'restart' | 'start' | 'deallocate';
  doneAt: number;
  script?: string[];
  params?: Record<string, string>;
  status: 'InProgress' | 'Succeeded' | 'Failed';
  output?: { stdout: string; stderr: string };
  error?: { code: string; message: string };
}

export interface OperationsHost {
  subscriptionId: string;
  /** The https host put in operation URLs, like Azure's; the client's redirect policy brings them back to loopback. */
  managementHost: string;
  vm(vmKey: string): VmRecord | undefined;
  /** The managed Run Commands, whose PUTs and DELETEs are polled at the same URLs. */
  managed: ManagedRunCommands;
}

/**
 * ARM's long-running operations in the simulator: 202 with `Azure-AsyncOperation` and
 * `Location`, InProgress polls, then the result (for Run Command, the StdOut/StdErr value
 * list cut to the last 4,096 bytes). An operation's effect is applied once, by the first
 * poll or check after its time has come.
 */
export class ArmOperations {
  private readonly operations = new Map<string, Operation>();

  constructor(private readonly host: OperationsHost) {}

  start(record: VmRecord, kind: Operation['kind'], ms: number): Operation {
    const op: Operation = {
      id: randomUUID(),
      vmKey: key(record.entry.resourceGroup, record.entry.name),
      kind,
      doneAt: Date.now() + ms,
      status: 'InProgress',
    };
    this.operations.set(op.id, op);
    return op;
  }

  /** An action Run Command still going on the VM (a finished one is settled on the way). */
  commandRunning(vmKey: string): boolean {
    return [...this.operations.values()].some(
      (o) => o.vmKey === vmKey && o.status === 'InProgress' && !this.settle(o),
    );
  }

  /** A restart still going on the VM (a finished one is settled on the way). */
  restarting(vmKey: string): boolean {
    return [...this.operations.values()].some(
      (o) => o.vmKey === vmKey && (o.kind === 'restart' || o.kind === 'start') && !this.settle(o),
    );
  }

  base(id: string): string {
    return `https://${this.host.managementHost}/subscriptions/${this.host.subscriptionId}/providers/Microsoft.Compute/locations/westeurope/operations/${id}`;
  }

  accepted(res: ServerResponse, op: Operation): Sent {
    const base = this.base(op.id);
    return send(res, 202, undefined, {
      'Azure-AsyncOperation': `${base}?api-version=2024-11-01`,
      Location: `${base}/result?api-version=2024-11-01`,
      'Retry-After': '0',
    });
  }

  /** `GET …/operations/{id}` (its status) or `…/operations/{id}/result`. */
  poll(res: ServerResponse, id: string, result: boolean): Sent {
    const { managed } = this.host;
    if (managed.isDeletion(id)) return send(res, 200, undefined);
    const run = managed.byOperation(id);
    if (run) {
      const { status, error } = managed.operationStatus(run);
      return send(res, 200, {
        name: id,
        status,
        startTime: new Date(run.startedAt).toISOString(),
        ...(error ? { error } : {}),
      });
    }
    const op = this.operations.get(id);
    if (!op) return send(res, 404, armError('NotFound', `Operation ${id} not found`));
    this.settle(op);
    if (!result) {
      return send(res, 200, {
        name: op.id,
        status: op.status,
        startTime: new Date(op.doneAt - 1).toISOString(),
        ...(op.error ? { error: op.error } : {}),
      });
    }
    if (op.status === 'InProgress') return this.accepted(res, op);
    if (op.kind !== 'runCommand' || !op.output) return send(res, 200, {});
    return send(res, 200, {
      value: [
        {
          code: 'ComponentStatus/StdOut/succeeded',
          level: 'Info',
          displayStatus: 'Provisioning succeeded',
          message: op.output.stdout,
        },
        {
          code: 'ComponentStatus/StdErr/succeeded',
          level: 'Info',
          displayStatus: 'Provisioning succeeded',
          message: op.output.stderr,
        },
      ],
    });
  }

  /** Completes an operation whose time has come, applying its effect once. True if done. */
  private settle(op: Operation): boolean {
    if (op.status !== 'InProgress') return true;
    if (Date.now() < op.doneAt) return false;
    const record = this.host.vm(op.vmKey)!;
    if (op.kind === 'restart') {
      record.vm.restart();
      op.status = 'Succeeded';
      return true;
    }
    if (op.kind === 'start') {
      bootVm(record.vm);
      op.status = 'Succeeded';
      return true;
    }
    if (op.kind === 'deallocate') {
      // Deallocated: off its host, billed for its disks only; the agent reports nothing.
      record.vm.state.power = 'deallocated';
      record.vm.state.agentReady = false;
      op.status = 'Succeeded';
      return true;
    }
    if (!record.vm.state.agentReady) {
      op.status = 'Failed';
      op.error = {
        code: 'VMAgentStatusCommunicationError',
        message:
          "VM 'sim' has not reported status for VM agent or extensions. Verify that the OS is up and healthy, the VM has a running VM agent, and that it can establish outbound connections to Azure storage.",
      };
      return true;
    }
    const output = record.vm.run((op.script ?? []).join('\n'), op.params ?? {});
    op.output = { stdout: lastBytes(output.stdout), stderr: lastBytes(output.stderr) };
    op.status = 'Succeeded';
    return true;
  }
}

/**
 * A stopped or deallocated VM started: it runs, its agent reports Ready, and Windows comes up
 * as after a restart (services started, pending settings applied).
 */
export function bootVm(vm: SimulatedWindowsVm): void {
  vm.state.power = 'running';
  vm.restart();
  // After the boot: a fresh start on a host brings the agent up whatever a restart would do.
  vm.state.agentReady = true;
}

import { randomUUID } from 'node:crypto';
import type { RdpExposure } from '../../src/azure/rdp-exposure';
import { runCommandParameters } from '../../src/azure/run-command-parameters';
import type {
  ApprovedStep,
  RunHooks,
  RunOutput,
  ScriptToRun,
  VmCheck,
  VmOperations,
} from '../../src/azure/vm-operations';
import { ErrorCodes, RdpFixError } from '../../src/core/errors';
import type { VmRef } from '../../src/core/types';
import { bootVm } from '../../src/simulator/arm-operations';
import { scenarioFor } from '../../src/simulator/scenarios';
import { SimulatedWindowsVm } from '../../src/simulator/windows-vm';

/** One call the simulated VMs received, for tests and the benchmark to count. */
export interface SimulatedCall {
  op: 'runScript' | 'snapshotOsDisk' | 'restart' | 'start' | 'updateNsgRule' | 'checkRdpSecurity';
  vm: string;
  stepId: string;
  attempt: number;
  script?: string;
  params: Record<string, string>;
  approvedBy: string;
}

export interface SimulatedVmOptions {
  now?: () => Date;
  /** Simulated latency of one operation; the default is none. */
  delay?: (op: SimulatedCall['op']) => Promise<void>;
}

/**
 * The in-process twin of the Azure `VmOperations`: VMs from the scenario table, scripts
 * applied to their simulated state. The loopback ARM simulator serves the same VMs over HTTP.
 */
export class SimulatedVmOperations implements VmOperations {
  readonly calls: SimulatedCall[] = [];
  private readonly vms = new Map<string, SimulatedWindowsVm>();
  private readonly finished = new Map<string, RunOutput>();
  private readonly now: () => Date;

  constructor(private readonly options: SimulatedVmOptions = {}) {
    this.now = options.now ?? (() => new Date());
  }

  /** The VM behind a name, created from its scenario on first use. */
  vm(name: string): SimulatedWindowsVm {
    let vm = this.vms.get(name);
    if (!vm) {
      const scenario = scenarioFor(name);
      if (!scenario) throw new RdpFixError(ErrorCodes.VmNotFound, `VM ${name} not found`);
      vm = new SimulatedWindowsVm(name, scenario(this.now()), this.now);
      this.vms.set(name, vm);
    }
    return vm;
  }

  async resolveVm(name: string, resourceGroup?: string): Promise<VmRef[]> {
    if (!scenarioFor(name)) return [];
    const group = resourceGroup ?? 'rg-sim';
    return resourceGroup && resourceGroup !== 'rg-sim'
      ? []
      : [{ subscriptionId: 'sim', resourceGroup: group, name }];
  }

  async checkVm(ref: VmRef): Promise<VmCheck> {
    if (!scenarioFor(ref.name)) return { status: 'notFound', detail: `VM ${ref.name} not found` };
    const { state } = this.vm(ref.name);
    if (state.power === 'stopped' || state.power === 'deallocated')
      return { status: 'stopped', detail: `the VM is ${state.power}` };
    if (state.power !== 'running') return { status: 'notRunning', detail: `the VM is ${state.power}` };
    if (!state.agentReady) return { status: 'agentNotReady', detail: 'the VM agent is not Ready' };
    return { status: 'ready' };
  }

  async runScript(step: ApprovedStep, script: ScriptToRun, hooks: RunHooks): Promise<RunOutput> {
    // Recorded: the step's own parameters; sent: those and the engine's (script.engineParams), as Azure gets them.
    const params = Object.fromEntries(Object.entries(step.params).map(([k, v]) => [k, String(v)]));
    const sent = Object.fromEntries(runCommandParameters(step, script).map((p) => [p.name, p.value]));
    this.record('runScript', step, params, script.name);
    const operationId = randomUUID();
    await hooks.onPollerState?.(JSON.stringify({ operationId, vm: step.vm.name }));
    const vm = this.vm(step.vm.name);
    if (!vm.state.agentReady) {
      throw new RdpFixError(
        ErrorCodes.VmAgentNotReady,
        'VMAgentStatusCommunicationError: the VM agent is not Ready',
      );
    }
    await this.options.delay?.('runScript');
    const output = vm.run(script.text, sent);
    this.finished.set(operationId, output);
    return output;
  }

  async resumeScript(pollerState: string): Promise<RunOutput> {
    const { operationId } = JSON.parse(pollerState) as { operationId: string };
    const output = this.finished.get(operationId);
    if (!output)
      throw new RdpFixError(
        ErrorCodes.AzureOperationFailed,
        `operation ${operationId} is unknown to the simulator`,
      );
    return output;
  }

  async snapshotOsDisk(step: ApprovedStep): Promise<{ snapshotId: string }> {
    this.record('snapshotOsDisk', step, {});
    await this.options.delay?.('snapshotOsDisk');
    return { snapshotId: `${step.vm.name}-osdisk-${step.incidentId.slice(0, 8)}` };
  }

  async restart(step: ApprovedStep): Promise<void> {
    this.record('restart', step, {});
    await this.options.delay?.('restart');
    this.vm(step.vm.name).restart();
  }

  async start(step: ApprovedStep): Promise<void> {
    this.record('start', step, {});
    await this.options.delay?.('start');
    bootVm(this.vm(step.vm.name));
  }

  async updateNsgRule(step: ApprovedStep): Promise<{ rule: string }> {
    this.record('updateNsgRule', step, { Port: String(step.params.Port) });
    await this.options.delay?.('updateNsgRule');
    return { rule: `allow-rdp-${step.params.Port}` };
  }

  /** The default simulated NSG: one rule open to any source on the RDP port (arm-resources.ts). */
  async checkRdpSecurity(step: ApprovedStep): Promise<RdpExposure> {
    this.record('checkRdpSecurity', step, { Port: String(step.params.Port) });
    await this.options.delay?.('checkRdpSecurity');
    const port = Number(step.params.Port);
    return {
      port,
      groups: [`${step.vm.name}-nsg (network interface): securityRules/allow-rdp Allow from 0.0.0.0/0`],
      openToAnyone: true,
    };
  }

  private record(
    op: SimulatedCall['op'],
    step: ApprovedStep,
    params: Record<string, string>,
    script?: string,
  ): void {
    this.calls.push({
      op,
      vm: step.vm.name,
      stepId: step.stepId,
      attempt: step.attempt,
      params,
      approvedBy: step.approvedBy.by.id,
      ...(script ? { script } : {}),
    });
  }
}

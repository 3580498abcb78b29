import { ComputeManagementClient, type VirtualMachine } from '@azure/arm-compute';
import { NetworkManagementClient } from '@azure/arm-network';
import type { TokenCredential } from '@azure/core-auth';
import { isRestError } from '@azure/core-rest-pipeline';
import { ErrorCodes, RdpFixError } from '../core/errors';
import type { VmRef } from '../core/types';
import { ActionRunCommand } from './action-run-command';
import { callAzure, toCoded } from './azure-errors';
import { comparePermissions, type PermissionReport, readPermissions } from './check-permissions';
import { loopbackRedirectPolicy } from './loopback-pipeline';
import { ManagedRunCommand, managedStateOf, type RunCommandKind } from './managed-run-command';
import { type RdpExposure, readRdpExposure } from './rdp-exposure';
import { AzureRescueOperations } from './rescue/azure-rescue-operations';
import { snapshotNameOf } from './rescue/rescue-names';
import { parseId } from './resource-id';
import { updateNsgRule } from './update-nsg-rule';
import type { ApprovedStep, RunHooks, RunOutput, ScriptToRun, VmCheck, VmOperations } from './vm-operations';

export interface AzureVmOptions {
  subscriptionId: string;
  credential: TokenCredential;
  /** Allow-list of resource groups; empty means the whole subscription. */
  resourceGroups?: readonly string[];
  /** An `http://127.0.0.1:…` ARM server (the simulator): requests are redirected there. */
  loopbackEndpoint?: string;
  /** A sovereign cloud's management endpoint (https). */
  endpoint?: string;
  pollIntervalMs?: number;
  /** How long to wait for the VM agent to be Ready again after a restart. */
  agentReadyTimeoutMs?: number;
  /** Retries of a Run Command refused with 409 (another command is running). */
  conflictRetries?: number;
  conflictBaseDelayMs?: number;
  /** `managed` (default: a run command resource with a timeout) or `action` (`POST …/runCommand`). */
  runCommand?: RunCommandKind;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

const AzureManagement = 'https://management.azure.com';

/**
 * VmOperations on the Azure SDK: `@azure/arm-compute` for VMs, Run Command, restarts and
 * snapshots, `@azure/arm-network` for NSG rules. Errors become coded errors with a message a
 * person can act on.
 */
export class AzureVmOperations implements VmOperations {
  private readonly compute: ComputeManagementClient;
  private readonly network: NetworkManagementClient;
  private readonly groups: string[];
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** The VM listing running now, joined by the lookups that arrive meanwhile (sharedListing). */
  private listing: Promise<VmRef[]> | undefined;
  private readonly managed: ManagedRunCommand;
  private readonly action: ActionRunCommand;

  constructor(private readonly options: AzureVmOptions) {
    const endpoint = options.loopbackEndpoint ? AzureManagement : (options.endpoint ?? AzureManagement);
    const additionalPolicies = options.loopbackEndpoint
      ? [{ policy: loopbackRedirectPolicy(options.loopbackEndpoint), position: 'perRetry' as const }]
      : [];
    this.compute = new ComputeManagementClient(options.credential, options.subscriptionId, {
      endpoint,
      additionalPolicies,
    });
    this.network = new NetworkManagementClient(options.credential, options.subscriptionId, {
      endpoint,
      additionalPolicies,
    });
    this.groups = (options.resourceGroups ?? []).map((g) => g.toLowerCase());
    this.sleep = options.sleep ?? sleepFor;
    this.managed = new ManagedRunCommand(this.compute, {
      pollIntervalMs: options.pollIntervalMs ?? 5_000,
      sleep: this.sleep,
      call: callAzure,
    });
    this.action = new ActionRunCommand(this.compute, options.pollIntervalMs ?? 5_000);
  }

  /**
   * The offline repair's operations on the same clients; rescue VMs go to `rescueGroup`
   * (`RDPFIX_RESCUE_RESOURCE_GROUP`) or to a new group per incident.
   */
  rescueOperations(rescueGroup: string | undefined): AzureRescueOperations {
    return new AzureRescueOperations({
      compute: this.compute,
      network: this.network,
      groups: {
        pipeline: this.compute.pipeline,
        endpoint: this.options.loopbackEndpoint
          ? AzureManagement
          : (this.options.endpoint ?? AzureManagement),
        subscriptionId: this.options.subscriptionId,
      },
      pollIntervalMs: this.options.pollIntervalMs ?? 5_000,
      rescueGroup,
      sleep: (ms) => this.sleep(ms),
      startAndWait: (step, signal) => this.start(step, signal),
    });
  }

  /** The identity's rights on each served resource group, against what the agent needs. */
  async checkPermissions(needed: readonly string[]): Promise<PermissionReport[]> {
    const endpoint = this.options.loopbackEndpoint
      ? AzureManagement
      : (this.options.endpoint ?? AzureManagement);
    // No allow-list: the rights on the whole subscription are what counts.
    const groups: (string | undefined)[] = this.options.resourceGroups?.length
      ? [...this.options.resourceGroups]
      : [undefined];
    const reports: PermissionReport[] = [];
    for (const rg of groups) {
      const granted = await callAzure('read its own permissions', () =>
        readPermissions(this.compute.pipeline, endpoint, this.options.subscriptionId, rg),
      );
      reports.push(comparePermissions(rg ?? 'subscription', granted, needed));
    }
    return reports;
  }

  async resolveVm(name: string, resourceGroup?: string, signal?: AbortSignal): Promise<VmRef[]> {
    const inScope = (rg: string) => this.groups.length === 0 || this.groups.includes(rg.toLowerCase());
    return callAzure('resolve the VM', async () => {
      if (resourceGroup) {
        if (!inScope(resourceGroup)) return [];
        try {
          const vm = await this.compute.virtualMachines.get(resourceGroup, name, { abortSignal: signal });
          return [this.refOf(vm)];
        } catch (err) {
          if (isRestError(err) && err.statusCode === 404) return [];
          throw err;
        }
      }
      const all = signal ? await this.listVms(signal) : await this.sharedListing();
      return all.filter((ref) => ref.name.toLowerCase() === name.toLowerCase() && inScope(ref.resourceGroup));
    });
  }

  /**
   * Every VM in scope, one listing for all the lookups that wait at the same time: a name
   * without its resource group means listing the subscription (or the allowed groups), and
   * each start listing hundreds of VMs on its own made most of a burst's Azure traffic and
   * CPU (issue 20). A lookup joins only a listing still running, so it is never older than
   * the lookup.
   */
  private sharedListing(): Promise<VmRef[]> {
    this.listing ??= this.listVms().finally(() => {
      this.listing = undefined;
    });
    return this.listing;
  }

  private async listVms(signal?: AbortSignal): Promise<VmRef[]> {
    const found: VmRef[] = [];
    const pages =
      this.groups.length > 0
        ? this.options.resourceGroups!.map((rg) =>
            this.compute.virtualMachines.list(rg, { abortSignal: signal }),
          )
        : [this.compute.virtualMachines.listAll({ abortSignal: signal })];
    for (const page of pages) {
      for await (const vm of page) found.push(this.refOf(vm));
    }
    return found;
  }

  async checkVm(vm: VmRef, signal?: AbortSignal): Promise<VmCheck> {
    try {
      const view = await callAzure('read the VM instance view', () =>
        this.compute.virtualMachines.instanceView(vm.resourceGroup, vm.name, { abortSignal: signal }),
      );
      const codes = (view.statuses ?? []).map((s) => s.code ?? '');
      const power = codes.find((c) => c.startsWith('PowerState/'))?.slice('PowerState/'.length) ?? 'unknown';
      const provisioning =
        codes.find((c) => c.startsWith('ProvisioningState/'))?.slice('ProvisioningState/'.length) ??
        'unknown';
      const agent = view.vmAgent?.statuses?.[0]?.displayStatus ?? 'Unknown';
      // Stopped or deallocated: a person can approve starting it. Anything else: wait or look.
      if (power === 'stopped' || power === 'deallocated')
        return { status: 'stopped', detail: `the VM is ${power}` };
      if (power !== 'running') return { status: 'notRunning', detail: `the VM is ${power}` };
      if (provisioning !== 'succeeded')
        return { status: 'notRunning', detail: `provisioning is ${provisioning}` };
      if (agent !== 'Ready') return { status: 'agentNotReady', detail: `the VM agent is ${agent}` };
      return { status: 'ready' };
    } catch (err) {
      if (err instanceof RdpFixError && err.code === ErrorCodes.VmNotFound)
        return { status: 'notFound', detail: err.message };
      throw err;
    }
  }

  async runScript(
    step: ApprovedStep,
    script: ScriptToRun,
    hooks: RunHooks,
    signal?: AbortSignal,
  ): Promise<RunOutput> {
    await this.assertReady(step.vm, signal);
    const attempts = (this.options.conflictRetries ?? 5) + 1;
    for (let attempt = 1; ; attempt++) {
      try {
        return this.options.runCommand === 'action'
          ? await this.action.run(step, script, hooks, signal)
          : await this.managed.run(step, script, hooks, signal);
      } catch (err) {
        const coded = err instanceof RdpFixError ? err : toCoded(err, 'run the command');
        if (coded.code !== ErrorCodes.RunCommandConflict || attempt >= attempts) throw coded;
        const delay = (this.options.conflictBaseDelayMs ?? 15_000) * 2 ** (attempt - 1);
        hooks.onRetry?.('another Run Command is in progress on this VM', delay);
        await this.sleep(delay, signal);
      }
    }
  }

  /** A saved state names its kind: a run started as managed resumes as managed, whatever the setting now. */
  async resumeScript(pollerState: string, signal?: AbortSignal): Promise<RunOutput> {
    const managed = managedStateOf(pollerState);
    if (managed) return this.managed.result(managed, signal);
    return this.action.resume(pollerState, signal);
  }

  /** Deletes a managed run command once its result is stored; an action Run Command leaves nothing. */
  async releaseScript(pollerState: string, signal?: AbortSignal): Promise<void> {
    const managed = managedStateOf(pollerState);
    if (managed) await callAzure('delete the run command', () => this.managed.release(managed, signal));
  }

  async snapshotOsDisk(step: ApprovedStep, signal?: AbortSignal): Promise<{ snapshotId: string }> {
    const vm = await callAzure('read the VM', () =>
      this.compute.virtualMachines.get(step.vm.resourceGroup, step.vm.name, { abortSignal: signal }),
    );
    const disk = vm.storageProfile?.osDisk?.managedDisk?.id;
    if (!disk)
      throw new RdpFixError(ErrorCodes.AzureOperationFailed, 'the VM has no managed OS disk to snapshot');
    const name = snapshotNameOf(step.vm.name, step.incidentId, step.stepId);
    const snapshot = await callAzure('create the snapshot', () =>
      this.compute.snapshots
        .createOrUpdate(
          step.vm.resourceGroup,
          name,
          {
            location: vm.location,
            tags: { 'rdp-fix-incident': step.incidentId, 'rdp-fix-approved-by': step.approvedBy.by.id },
            // The modular SDK flattens `properties`.
            creationData: { createOption: 'Copy', sourceResourceId: disk },
            incremental: true,
          },
          { updateIntervalInMs: this.options.pollIntervalMs ?? 5_000, abortSignal: signal },
        )
        .pollUntilDone({ abortSignal: signal }),
    );
    return { snapshotId: snapshot.id ?? name };
  }

  async restart(step: ApprovedStep, signal?: AbortSignal): Promise<void> {
    await callAzure('restart the VM', () =>
      this.compute.virtualMachines
        .restart(step.vm.resourceGroup, step.vm.name, {
          updateIntervalInMs: this.options.pollIntervalMs ?? 5_000,
          abortSignal: signal,
        })
        .pollUntilDone({ abortSignal: signal }),
    );
    await this.waitForAgent(step, 'restarted', signal);
  }

  /** `POST …/virtualMachines/{vm}/start` (202, then the async operation), as Azure's "Virtual Machines - Start". */
  async start(step: ApprovedStep, signal?: AbortSignal): Promise<void> {
    await callAzure('start the VM', () =>
      this.compute.virtualMachines
        .start(step.vm.resourceGroup, step.vm.name, {
          updateIntervalInMs: this.options.pollIntervalMs ?? 5_000,
          abortSignal: signal,
        })
        .pollUntilDone({ abortSignal: signal }),
    );
    await this.waitForAgent(step, 'started', signal);
  }

  /** Run Command needs the agent again after a restart or a start: wait for Ready, within bounds. */
  private async waitForAgent(step: ApprovedStep, what: string, signal?: AbortSignal): Promise<void> {
    const deadline = Date.now() + (this.options.agentReadyTimeoutMs ?? 600_000);
    for (;;) {
      const check = await this.checkVm(step.vm, signal);
      if (check.status === 'ready') return;
      if (Date.now() > deadline) {
        throw new RdpFixError(
          ErrorCodes.VmAgentNotReady,
          `the VM ${what} but its agent is not Ready: ${check.detail ?? check.status}`,
        );
      }
      await this.sleep(this.options.pollIntervalMs ?? 5_000, signal);
    }
  }

  async updateNsgRule(
    step: ApprovedStep,
    signal?: AbortSignal,
  ): Promise<{ rule: string; openToAnyone?: boolean }> {
    return updateNsgRule(
      { compute: this.compute, network: this.network },
      step,
      this.options.pollIntervalMs ?? 5_000,
      signal,
    );
  }

  async checkRdpSecurity(step: ApprovedStep, signal?: AbortSignal): Promise<RdpExposure> {
    return readRdpExposure(
      { compute: this.compute, network: this.network },
      step,
      this.options.pollIntervalMs ?? 5_000,
      signal,
    );
  }

  private async assertReady(vm: VmRef, signal?: AbortSignal): Promise<void> {
    const check = await this.checkVm(vm, signal);
    if (check.status === 'ready') return;
    if (check.status === 'agentNotReady')
      throw new RdpFixError(
        ErrorCodes.VmAgentNotReady,
        `${check.detail}: Run Command cannot work; use the offline repair`,
      );
    if (check.status === 'notFound')
      throw new RdpFixError(ErrorCodes.VmNotFound, check.detail ?? 'VM not found');
    throw new RdpFixError(
      ErrorCodes.VmNotRunning,
      `${check.detail ?? 'the VM is not running'}: start it first`,
    );
  }

  private refOf(vm: VirtualMachine): VmRef {
    return {
      subscriptionId: this.options.subscriptionId,
      resourceGroup: parseId(vm.id ?? '').resourceGroup,
      name: vm.name ?? '',
    };
  }
}

function sleepFor(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}

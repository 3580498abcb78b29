import { ComputeManagementClient, restorePoller, type VirtualMachine } from '@azure/arm-compute';
import { NetworkManagementClient } from '@azure/arm-network';
import type { TokenCredential } from '@azure/core-auth';
import { isRestError } from '@azure/core-rest-pipeline';
import { ErrorCodes, RdpFixError } from '../core/errors';
import type { VmRef } from '../core/types';
import { comparePermissions, type PermissionReport, readPermissions } from './check-permissions';
import { loopbackRedirectPolicy } from './loopback-pipeline';
import {
  ManagedRunCommand,
  managedStateOf,
  type RunCommandKind,
  runCommandParameters,
} from './managed-run-command';
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
  private readonly managed: ManagedRunCommand;

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
      call: (what, work) => this.call(what, work),
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
      const granted = await this.call('read its own permissions', () =>
        readPermissions(this.compute.pipeline, endpoint, this.options.subscriptionId, rg),
      );
      reports.push(comparePermissions(rg ?? 'subscription', granted, needed));
    }
    return reports;
  }

  async resolveVm(name: string, resourceGroup?: string, signal?: AbortSignal): Promise<VmRef[]> {
    const inScope = (rg: string) => this.groups.length === 0 || this.groups.includes(rg.toLowerCase());
    return this.call('resolve the VM', async () => {
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
      const found: VmRef[] = [];
      const pages =
        this.groups.length > 0
          ? this.options.resourceGroups!.map((rg) =>
              this.compute.virtualMachines.list(rg, { abortSignal: signal }),
            )
          : [this.compute.virtualMachines.listAll({ abortSignal: signal })];
      for (const page of pages) {
        for await (const vm of page) {
          if (vm.name?.toLowerCase() === name.toLowerCase()) found.push(this.refOf(vm));
        }
      }
      return found.filter((ref) => inScope(ref.resourceGroup));
    });
  }

  async checkVm(vm: VmRef, signal?: AbortSignal): Promise<VmCheck> {
    try {
      const view = await this.call('read the VM instance view', () =>
        this.compute.virtualMachines.instanceView(vm.resourceGroup, vm.name, { abortSignal: signal }),
      );
      const codes = (view.statuses ?? []).map((s) => s.code ?? '');
      const power = codes.find((c) => c.startsWith('PowerState/'))?.slice('PowerState/'.length) ?? 'unknown';
      const provisioning =
        codes.find((c) => c.startsWith('ProvisioningState/'))?.slice('ProvisioningState/'.length) ??
        'unknown';
      const agent = view.vmAgent?.statuses?.[0]?.displayStatus ?? 'Unknown';
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
          ? await this.runAction(step, script, hooks, signal)
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
    const poller = restorePoller(this.compute, pollerState, this.compute.virtualMachines.runCommand, {
      updateIntervalInMs: this.options.pollIntervalMs ?? 5_000,
      abortSignal: signal,
    });
    return outputOf(
      await this.call('resume the command', () => poller.pollUntilDone({ abortSignal: signal })),
    );
  }

  /** Deletes a managed run command once its result is stored; an action Run Command leaves nothing. */
  async releaseScript(pollerState: string, signal?: AbortSignal): Promise<void> {
    const managed = managedStateOf(pollerState);
    if (managed) await this.call('delete the run command', () => this.managed.release(managed, signal));
  }

  /** The action Run Command: `POST …/runCommand`, polled as an async operation (DESIGN.md facts). */
  private async runAction(
    step: ApprovedStep,
    script: ScriptToRun,
    hooks: RunHooks,
    signal?: AbortSignal,
  ): Promise<RunOutput> {
    const input = {
      commandId: 'RunPowerShellScript',
      script: script.text.split(/\r?\n/),
      parameters: runCommandParameters(step),
    };
    const poller = this.compute.virtualMachines.runCommand(step.vm.resourceGroup, step.vm.name, input, {
      updateIntervalInMs: this.options.pollIntervalMs ?? 5_000,
      abortSignal: signal,
    });
    await poller.submitted();
    // Stored before waiting: a restarted process resumes this poll instead of sending again.
    await hooks.onPollerState?.(await poller.serialize());
    return outputOf(await this.call('run the command', () => poller.pollUntilDone({ abortSignal: signal })));
  }

  async snapshotOsDisk(step: ApprovedStep, signal?: AbortSignal): Promise<{ snapshotId: string }> {
    const vm = await this.call('read the VM', () =>
      this.compute.virtualMachines.get(step.vm.resourceGroup, step.vm.name, { abortSignal: signal }),
    );
    const disk = vm.storageProfile?.osDisk?.managedDisk?.id;
    if (!disk)
      throw new RdpFixError(ErrorCodes.AzureOperationFailed, 'the VM has no managed OS disk to snapshot');
    const name = `${step.vm.name}-rdpfix-${step.incidentId}`.slice(0, 80);
    const snapshot = await this.call('create the snapshot', () =>
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
    await this.call('restart the VM', () =>
      this.compute.virtualMachines
        .restart(step.vm.resourceGroup, step.vm.name, {
          updateIntervalInMs: this.options.pollIntervalMs ?? 5_000,
          abortSignal: signal,
        })
        .pollUntilDone({ abortSignal: signal }),
    );
    // Run Command needs the agent again: wait for Ready, within bounds.
    const deadline = Date.now() + (this.options.agentReadyTimeoutMs ?? 600_000);
    for (;;) {
      const check = await this.checkVm(step.vm, signal);
      if (check.status === 'ready') return;
      if (Date.now() > deadline) {
        throw new RdpFixError(
          ErrorCodes.VmAgentNotReady,
          `the VM restarted but its agent is not Ready: ${check.detail ?? check.status}`,
        );
      }
      await this.sleep(this.options.pollIntervalMs ?? 5_000, signal);
    }
  }

  async updateNsgRule(
    step: ApprovedStep,
    signal?: AbortSignal,
  ): Promise<{ rule: string; openToAnyone?: boolean }> {
    const port = String(step.params.Port);
    const vm = await this.call('read the VM', () =>
      this.compute.virtualMachines.get(step.vm.resourceGroup, step.vm.name, { abortSignal: signal }),
    );
    const nicId = vm.networkProfile?.networkInterfaces?.[0]?.id;
    if (!nicId) throw new RdpFixError(ErrorCodes.AzureOperationFailed, 'the VM has no network interface');
    const nic = parseId(nicId);
    const nicResource = await this.call('read the network interface', () =>
      this.network.networkInterfaces.get(nic.resourceGroup, nic.name, { abortSignal: signal }),
    );
    const nsgId = nicResource.networkSecurityGroup?.id;
    if (!nsgId)
      throw new RdpFixError(
        ErrorCodes.AzureOperationFailed,
        'no network security group on the VM network interface; update the subnet NSG by hand',
      );
    const nsg = parseId(nsgId);
    const group = await this.call('read the network security group', () =>
      this.network.networkSecurityGroups.get(nsg.resourceGroup, nsg.name, { abortSignal: signal }),
    );
    const rule = (group.securityRules ?? []).find(
      (r) =>
        r.direction === 'Inbound' &&
        r.access === 'Allow' &&
        (r.destinationPortRange === '3389' || r.destinationPortRange === port),
    );
    if (!rule?.name)
      throw new RdpFixError(ErrorCodes.AzureOperationFailed, `no inbound rule allows RDP in ${nsg.name}`);
    // arm-network 39 is the modular SDK: createOrUpdate returns an awaitable poller (the
    // begin*AndWait forms are deprecated there).
    await this.call('update the security rule', async () =>
      this.network.securityRules.createOrUpdate(
        nsg.resourceGroup,
        nsg.name,
        rule.name!,
        { ...rule, destinationPortRange: port },
        {
          abortSignal: signal,
          updateIntervalInMs: this.options.pollIntervalMs ?? 5_000,
        },
      ),
    );
    // The newer article: a VM whose RDP is open to any source may have been attacked.
    const openToAnyone = ['*', 'Internet', '0.0.0.0/0', 'Any'].includes(rule.sourceAddressPrefix ?? '');
    return { rule: `${nsg.name}/${rule.name}`, openToAnyone };
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

  private async call<T>(what: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      throw err instanceof RdpFixError ? err : toCoded(err, what);
    }
  }
}

/** Turns an SDK error into a coded error that says what to do. Decides by status and code. */
export function toCoded(err: unknown, what: string): RdpFixError {
  if (isRestError(err)) {
    const code = (err.code ?? '').toString();
    const message = err.message;
    switch (err.statusCode) {
      case 404:
        return new RdpFixError(
          ErrorCodes.VmNotFound,
          `Azure could not find it while trying to ${what}: ${message}`,
          {},
          { cause: err },
        );
      case 403: {
        const action = /perform action '([^']+)'/.exec(message)?.[1] ?? 'the needed action';
        return new RdpFixError(
          ErrorCodes.AzureForbidden,
          `rdp-fix's identity may not ${what}: it lacks ${action}. Assign it the rdp-fix operator role on this resource group.`,
          { action },
          { cause: err },
        );
      }
      case 409:
        // The action Run Command's busy message; a managed run command PUT refused because
        // another operation holds the VM comes back as ARM's generic `Conflict` code.
        if (/run command extension execution is in progress/i.test(message) || code === 'Conflict') {
          return new RdpFixError(
            ErrorCodes.RunCommandConflict,
            'another Run Command is still running on this VM; try again when it ends',
            {},
            { cause: err },
          );
        }
        if (code === 'OperationNotAllowed')
          return new RdpFixError(ErrorCodes.VmNotRunning, message, {}, { cause: err });
        break;
      case 429:
        return new RdpFixError(
          ErrorCodes.AzureThrottled,
          `Azure is throttling requests (tried to ${what}); wait a minute and try again`,
          {},
          { cause: err },
        );
    }
    return new RdpFixError(
      ErrorCodes.AzureOperationFailed,
      `Azure refused to ${what} (${err.statusCode ?? '?'} ${code}): ${message}`,
      {},
      { cause: err },
    );
  }
  const e = err as { code?: string; message?: string; name?: string };
  if (e?.name === 'AbortError')
    return new RdpFixError(
      ErrorCodes.AzureOperationFailed,
      `stopped while trying to ${what}`,
      {},
      { cause: err },
    );
  if (
    e?.code === 'VMAgentStatusCommunicationError' ||
    /VMAgentStatusCommunicationError/.test(e?.message ?? '')
  ) {
    return new RdpFixError(
      ErrorCodes.VmAgentNotReady,
      `the VM agent did not answer (${e.message ?? ''}); use the offline repair`,
      {},
      { cause: err },
    );
  }
  return new RdpFixError(
    ErrorCodes.AzureOperationFailed,
    `could not ${what}: ${e?.message ?? String(err)}`,
    {},
    { cause: err },
  );
}

function outputOf(result: { value?: { code?: string; message?: string }[] }): RunOutput {
  const find = (stream: string) => result.value?.find((s) => s.code?.includes(`/${stream}/`))?.message ?? '';
  return { stdout: find('StdOut'), stderr: find('StdErr') };
}

function parseId(id: string): { resourceGroup: string; name: string } {
  const parts = id.split('/');
  const rgIndex = parts.findIndex((p) => p.toLowerCase() === 'resourcegroups');
  return { resourceGroup: parts[rgIndex + 1] ?? '', name: parts.at(-1) ?? '' };
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

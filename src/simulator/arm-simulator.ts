import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NeededActions } from '../azure/needed-actions';
import { armError, key, lastBytes, readBody, type Sent, send } from './arm-wire';
import { ManagedRunCommands } from './managed-run-commands';
import { scenarioFor } from './scenarios';
import { SimulatedWindowsVm } from './windows-vm';

/**
 * A loopback HTTP server speaking the Azure Resource Manager routes rdp-fix uses, in ARM's
 * wire format: VMs and their instance view, Run Command as a long-running operation (202
 * with Azure-AsyncOperation and Location, InProgress polls, a StdOut/StdErr value list cut to
 * the last 4,096 bytes), restart, snapshots, NICs and NSG rules, and ARM-shaped errors.
 * Like Azure, it hands back operation URLs on the management host over https; the client's
 * redirect policy brings them back to loopback.
 */
export interface SimulatedVmEntry {
  name: string;
  resourceGroup: string;
  /** Scenario name (see scenarios.ts); defaults to the VM name. */
  scenario?: string;
}

/** Modelled durations, in milliseconds, of the operations (Azure: ~20–40 s, restart ~90 s). */
export interface Latency {
  runCommand: number;
  restart: number;
  snapshot: number;
}

export const RealisticLatency: Latency = { runCommand: 30_000, restart: 90_000, snapshot: 10_000 };

export interface ArmSimulatorOptions {
  subscriptionId: string;
  vms?: SimulatedVmEntry[];
  /** Multiplies RealisticLatency: 0 in tests, about 0.05 in local mode, 1 for realism. */
  latencyScale?: number;
  /** The https host the simulator puts in operation URLs. */
  managementHost?: string;
  now?: () => Date;
  /** What `Microsoft.Authorization/permissions` reports; the agent's own role by default. */
  grantedActions?: string[];
}

/** One script sent to a VM, by either Run Command. */
export interface ScriptDispatch {
  kind: 'action' | 'managed';
  vm: string;
  /** The script text (the action Run Command's lines joined). */
  text: string;
  params: { name: string; value: string }[];
  at: number;
  request: RecordedRequest;
}

/** One request the simulator received, for wire-level tests. */
export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  at: number;
}

interface Operation {
  id: string;
  vmKey: string;
  kind: 'runCommand' | 'restart';
  doneAt: number;
  script?: string[];
  params?: Record<string, string>;
  status: 'InProgress' | 'Succeeded' | 'Failed';
  output?: { stdout: string; stderr: string };
  error?: { code: string; message: string };
}

interface VmRecord {
  entry: SimulatedVmEntry;
  vm: SimulatedWindowsVm;
  nsgRules: Map<string, Record<string, unknown>>;
  /** 409s still to answer (scenario sim-busy), 429s (sim-throttled), 503s (sim-unavailable). */
  busyLeft: number;
  throttledLeft: number;
  unavailableLeft: number;
  forbidden: boolean;
}

function scaled(scale: number): Latency {
  return {
    runCommand: RealisticLatency.runCommand * scale,
    restart: RealisticLatency.restart * scale,
    snapshot: RealisticLatency.snapshot * scale,
  };
}

/** The default inventory: one VM per scenario in rg-sim, and one name that exists twice. */
export function defaultInventory(): SimulatedVmEntry[] {
  const names = [
    'sim-healthy',
    'sim-port-stoppable',
    'sim-port-unstoppable',
    'sim-rdp-stopped',
    'sim-cert-expired',
    'sim-machinekeys',
    'sim-tls-disabled',
    'sim-tls-gpo',
    'sim-all-three',
    'sim-agent-down',
    'sim-deallocated',
    'sim-busy',
    'sim-throttled',
    'sim-unavailable',
    'sim-forbidden',
    'sim-hung',
  ];
  return [
    ...names.map((name) => ({ name, resourceGroup: 'rg-sim' })),
    { name: 'sim-twin', resourceGroup: 'rg-sim', scenario: 'sim-tls-disabled' },
    { name: 'sim-twin', resourceGroup: 'rg-sim-east', scenario: 'sim-cert-expired' },
  ];
}

export class ArmSimulator {
  readonly requests: RecordedRequest[] = [];
  private readonly vms = new Map<string, VmRecord>();
  private readonly operations = new Map<string, Operation>();
  private readonly snapshots = new Map<string, Record<string, unknown>>();
  private server: Server | undefined;
  private readonly now: () => Date;
  private latency: Latency;
  private scale: number;
  private readonly host: string;
  private readonly managed: ManagedRunCommands;

  constructor(private readonly options: ArmSimulatorOptions) {
    this.now = options.now ?? (() => new Date());
    this.scale = options.latencyScale ?? 0;
    this.latency = scaled(this.scale);
    this.host = options.managementHost ?? 'management.azure.com';
    this.managed = new ManagedRunCommands({
      vm: (vmKey) => {
        const record = this.vms.get(vmKey);
        return record ? { vm: record.vm, id: this.vmId(record) } : undefined;
      },
      runCommandMs: () => this.latency.runCommand,
      scale: () => this.scale,
      operationUrl: (id, result) =>
        `${this.operationBase(id)}${result ? '/result' : ''}?api-version=2024-11-01`,
    });
    for (const entry of options.vms ?? defaultInventory()) this.addVm(entry);
  }

  /** Changes how long operations started from now on take (a test slows one step down). */
  setLatencyScale(scale: number): void {
    this.scale = scale;
    this.latency = scaled(scale);
  }

  addVm(entry: SimulatedVmEntry): void {
    const scenarioName = entry.scenario ?? entry.name;
    const scenario = scenarioFor(scenarioName) ?? scenarioFor('sim-healthy')!;
    const vm = new SimulatedWindowsVm(entry.name, scenario(this.now()), this.now);
    this.vms.set(key(entry.resourceGroup, entry.name), {
      entry,
      vm,
      nsgRules: new Map([
        [
          'allow-rdp',
          {
            protocol: 'Tcp',
            sourceAddressPrefix: '*',
            sourcePortRange: '*',
            destinationAddressPrefix: '*',
            destinationPortRange: '3389',
            access: 'Allow',
            direction: 'Inbound',
            priority: 300,
          },
        ],
      ]),
      busyLeft: scenarioName.startsWith('sim-busy') ? 2 : 0,
      throttledLeft: scenarioName.startsWith('sim-throttled') ? 1 : 0,
      unavailableLeft: scenarioName.startsWith('sim-unavailable') ? 2 : 0,
      forbidden: scenarioName.startsWith('sim-forbidden'),
    });
  }

  /** The simulated Windows VM behind a name, for tests to inspect. */
  windowsVm(resourceGroup: string, name: string): SimulatedWindowsVm | undefined {
    return this.vms.get(key(resourceGroup, name))?.vm;
  }

  nsgRule(resourceGroup: string, name: string, rule = 'allow-rdp'): Record<string, unknown> | undefined {
    return this.vms.get(key(resourceGroup, name))?.nsgRules.get(rule);
  }

  /**
   * Every script dispatch the simulator received, action (`POST …/runCommand`) or managed
   * (`PUT …/runCommands/{name}`), in order: refused ones (409, 429, 503) included.
   */
  scriptDispatches(vmName?: string): ScriptDispatch[] {
    return this.requests.flatMap((r): ScriptDispatch[] => {
      const parts = r.path.split('/');
      const vm = parts[parts.indexOf('virtualMachines') + 1] ?? '';
      if (vmName && vm.toLowerCase() !== vmName.toLowerCase()) return [];
      if (r.method === 'POST' && r.path.endsWith('/runCommand')) {
        const body = r.body as { script?: string[]; parameters?: { name: string; value: string }[] };
        return [
          {
            kind: 'action',
            vm,
            text: (body.script ?? []).join('\n'),
            params: body.parameters ?? [],
            at: r.at,
            request: r,
          },
        ];
      }
      if (r.method === 'PUT' && parts.at(-2)?.toLowerCase() === 'runcommands') {
        const body = r.body as {
          properties?: { source?: { script?: string }; parameters?: { name: string; value: string }[] };
        };
        const p = body.properties ?? {};
        return [
          {
            kind: 'managed',
            vm,
            text: p.source?.script ?? '',
            params: p.parameters ?? [],
            at: r.at,
            request: r,
          },
        ];
      }
      return [];
    });
  }

  snapshotNames(): string[] {
    return [...this.snapshots.keys()];
  }

  async listen(port = 0): Promise<string> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) =>
        send(res, 500, armError('InternalServerError', String(err))),
      );
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<Sent> {
    const url = new URL(req.url ?? '/', 'http://sim');
    const body = await readBody(req);
    this.requests.push({
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      body,
      at: Date.now(),
    });
    if (!url.searchParams.get('api-version')) {
      return send(
        res,
        400,
        armError(
          'MissingApiVersionParameter',
          'The api-version query parameter (?api-version=) is required for all requests.',
        ),
      );
    }
    if (!/^Bearer \S+/.test(String(req.headers.authorization ?? ''))) {
      return send(
        res,
        401,
        armError('AuthenticationFailed', 'Authentication failed. The Authorization header is missing.'),
      );
    }
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const lower = parts.map((p) => p.toLowerCase());
    if (lower[0] !== 'subscriptions' || parts[1] !== this.options.subscriptionId) {
      return send(
        res,
        404,
        armError('SubscriptionNotFound', `The subscription '${parts[1] ?? ''}' could not be found.`),
      );
    }
    const method = req.method ?? 'GET';
    if (lower.at(-2) === 'microsoft.authorization' && lower.at(-1) === 'permissions' && method === 'GET') {
      return send(res, 200, {
        value: [{ actions: this.options.grantedActions ?? [...NeededActions], notActions: [] }],
      });
    }
    // /subscriptions/{s}/providers/Microsoft.Compute/virtualMachines
    if (
      lower[2] === 'providers' &&
      lower[3] === 'microsoft.compute' &&
      lower[4] === 'virtualmachines' &&
      parts.length === 5
    ) {
      return send(res, 200, { value: [...this.vms.values()].map((v) => this.vmJson(v, false)) });
    }
    // /subscriptions/{s}/providers/Microsoft.Compute/locations/{l}/operations/{id}[/result]
    if (lower[2] === 'providers' && lower[4] === 'locations' && lower[6] === 'operations' && parts[7]) {
      return this.operation(res, parts[7], lower[8] === 'result');
    }
    if (lower[2] !== 'resourcegroups' || !parts[3])
      return send(res, 404, armError('NotFound', 'Unknown route'));
    const rg = parts[3];
    const provider = lower[5];
    const type = lower[6];
    const name = parts[7];
    if (provider === 'microsoft.compute' && type === 'virtualmachines') {
      if (!name) {
        return send(res, 200, {
          value: [...this.vms.values()]
            .filter((v) => v.entry.resourceGroup.toLowerCase() === rg.toLowerCase())
            .map((v) => this.vmJson(v, false)),
        });
      }
      const record = this.vms.get(key(rg, name));
      if (!record) {
        return send(
          res,
          404,
          armError(
            'ResourceNotFound',
            `The Resource 'Microsoft.Compute/virtualMachines/${name}' under resource group '${rg}' was not found.`,
          ),
        );
      }
      const action = lower[8];
      if (!action && method === 'GET')
        return send(res, 200, this.vmJson(record, url.searchParams.get('$expand') === 'instanceView'));
      if (action === 'instanceview' && method === 'GET') return send(res, 200, this.instanceView(record));
      if (action === 'runcommand' && method === 'POST') return this.runCommand(res, record, body);
      if (action === 'restart' && method === 'POST') return this.restart(res, record);
      // The managed Run Command: /virtualMachines/{vm}/runCommands/{name}
      if (action === 'runcommands' && parts[9]) {
        const vmKey = key(rg, name);
        if (method === 'PUT')
          return (
            this.refuseRunCommand(res, record, 'Microsoft.Compute/virtualMachines/runCommands/write') ??
            this.managed.put(res, vmKey, parts[9], body)
          );
        if (method === 'GET')
          return this.managed.get(res, vmKey, parts[9], url.searchParams.get('$expand') === 'instanceView');
        if (method === 'DELETE') return this.managed.delete(res, vmKey, parts[9]);
      }
    }
    if (provider === 'microsoft.compute' && type === 'snapshots' && name && method === 'PUT') {
      return this.snapshot(res, rg, name, body);
    }
    if (
      provider === 'microsoft.network' &&
      (type === 'networkinterfaces' || type === 'networksecuritygroups') &&
      name
    ) {
      // Each VM has one NIC `<vm>-nic` with one NSG `<vm>-nsg`, in the VM's resource group.
      const suffix = type === 'networkinterfaces' ? '-nic' : '-nsg';
      const record = [...this.vms.values()].find(
        (v) => `${v.entry.name}${suffix}` === name && v.entry.resourceGroup === rg,
      );
      if (!record) {
        return send(
          res,
          404,
          armError('ResourceNotFound', `The Resource 'Microsoft.Network/${parts[6]}/${name}' was not found.`),
        );
      }
      if (type === 'networkinterfaces')
        return method === 'GET'
          ? send(res, 200, this.nicJson(record))
          : send(res, 405, armError('MethodNotAllowed', method));
      if (!lower[8] && method === 'GET') return send(res, 200, this.nsgJson(record));
      const ruleName = parts[9];
      if (lower[8] === 'securityrules' && ruleName && method === 'PUT') {
        const properties = ((body as { properties?: Record<string, unknown> } | null)?.properties ??
          {}) as Record<string, unknown>;
        record.nsgRules.set(ruleName, properties);
        return send(res, 200, this.ruleJson(record, ruleName, properties));
      }
    }
    return send(res, 404, armError('NotFound', `No route for ${method} ${url.pathname}`));
  }

  /**
   * What stops a Run Command (action or managed) before it starts: a missing right, an ARM
   * burst (503, 429), a VM that is not running, another command in progress (409).
   */
  private refuseRunCommand(res: ServerResponse, record: VmRecord, action: string): Sent | undefined {
    if (record.forbidden) {
      return send(
        res,
        403,
        armError(
          'AuthorizationFailed',
          `The client 'rdp-fix' with object id '00000000-0000-0000-0000-000000000001' does not have authorization to perform action '${action}' over scope '${this.vmId(record)}' or the scope is invalid.`,
        ),
      );
    }
    if (record.unavailableLeft > 0) {
      // ARM having a bad moment: the request was not taken, so the SDK may send it again.
      record.unavailableLeft -= 1;
      return send(res, 503, armError('ServiceUnavailable', 'The service is temporarily unavailable.'));
    }
    if (record.throttledLeft > 0) {
      record.throttledLeft -= 1;
      return send(res, 429, armError('TooManyRequests', 'The request is being throttled.'), {
        'Retry-After': '1',
      });
    }
    const state = record.vm.state;
    if (state.power !== 'running') {
      return send(
        res,
        409,
        armError(
          'OperationNotAllowed',
          `Operation 'RunCommand' is not allowed on VM '${record.entry.name}' since the VM is ${state.power}.`,
        ),
      );
    }
    const running = [...this.operations.values()].some(
      (o) =>
        o.vmKey === key(record.entry.resourceGroup, record.entry.name) &&
        o.status === 'InProgress' &&
        !this.settle(o),
    );
    if (running || record.busyLeft > 0) {
      if (!running) record.busyLeft -= 1;
      return send(
        res,
        409,
        armError(
          'Conflict',
          'Run command extension execution is in progress. Please wait for completion before invoking a run command.',
        ),
      );
    }
    return undefined;
  }

  private runCommand(res: ServerResponse, record: VmRecord, body: unknown): Sent {
    const refused = this.refuseRunCommand(res, record, 'Microsoft.Compute/virtualMachines/runCommand/action');
    if (refused) return refused;
    const input = (body ?? {}) as {
      commandId?: string;
      script?: string[];
      parameters?: { name: string; value: string }[];
    };
    if (input.commandId !== 'RunPowerShellScript' || !Array.isArray(input.script)) {
      return send(
        res,
        400,
        armError('InvalidParameter', 'The value of parameter commandId is invalid or the script is missing.'),
      );
    }
    // The action Run Command has no timeout: a hung script holds the VM until Azure's
    // 90-minute ceiling ("the maximum time a script can run is 90 minutes"), scaled.
    const ms = record.vm.hangs(input.script.join('\n')) ? 90 * 60_000 * this.scale : this.latency.runCommand;
    const op = this.startOperation(record, 'runCommand', ms);
    op.script = input.script;
    op.params = Object.fromEntries((input.parameters ?? []).map((p) => [p.name, String(p.value)]));
    return this.accepted(res, op);
  }

  private restart(res: ServerResponse, record: VmRecord): Sent {
    if (record.vm.state.power !== 'running') {
      return send(
        res,
        409,
        armError(
          'OperationNotAllowed',
          `Operation 'restart' is not allowed since the VM is ${record.vm.state.power}.`,
        ),
      );
    }
    return this.accepted(res, this.startOperation(record, 'restart', this.latency.restart));
  }

  private snapshot(res: ServerResponse, rg: string, name: string, body: unknown): Sent {
    const source = (body as { properties?: { creationData?: { sourceResourceId?: string } } } | null)
      ?.properties?.creationData?.sourceResourceId;
    if (!source)
      return send(res, 400, armError('InvalidParameter', 'creationData.sourceResourceId is required.'));
    const snapshot = {
      id: `/subscriptions/${this.options.subscriptionId}/resourceGroups/${rg}/providers/Microsoft.Compute/snapshots/${name}`,
      name,
      type: 'Microsoft.Compute/snapshots',
      location: (body as { location?: string }).location ?? 'westeurope',
      tags: (body as { tags?: Record<string, string> }).tags ?? {},
      properties: {
        ...(body as { properties: Record<string, unknown> }).properties,
        provisioningState: 'Succeeded',
        timeCreated: this.now().toISOString(),
      },
    };
    this.snapshots.set(name, snapshot);
    return send(res, 200, snapshot);
  }

  private startOperation(record: VmRecord, kind: Operation['kind'], ms: number): Operation {
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

  private operationBase(id: string): string {
    return `https://${this.host}/subscriptions/${this.options.subscriptionId}/providers/Microsoft.Compute/locations/westeurope/operations/${id}`;
  }

  private accepted(res: ServerResponse, op: Operation): Sent {
    const base = this.operationBase(op.id);
    return send(res, 202, undefined, {
      'Azure-AsyncOperation': `${base}?api-version=2024-11-01`,
      Location: `${base}/result?api-version=2024-11-01`,
      'Retry-After': '0',
    });
  }

  /** Completes an operation whose time has come, applying its effect once. True if done. */
  private settle(op: Operation): boolean {
    if (op.status !== 'InProgress') return true;
    if (Date.now() < op.doneAt) return false;
    const record = [...this.vms.values()].find((v) => key(v.entry.resourceGroup, v.entry.name) === op.vmKey)!;
    if (op.kind === 'restart') {
      record.vm.restart();
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

  private operation(res: ServerResponse, id: string, result: boolean): Sent {
    if (this.managed.isDeletion(id)) return send(res, 200, undefined);
    const run = this.managed.byOperation(id);
    if (run) {
      const { status, error } = this.managed.operationStatus(run);
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
    if (op.kind === 'restart' || !op.output) return send(res, 200, {});
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

  private vmId(record: VmRecord): string {
    return `/subscriptions/${this.options.subscriptionId}/resourceGroups/${record.entry.resourceGroup}/providers/Microsoft.Compute/virtualMachines/${record.entry.name}`;
  }

  private vmJson(record: VmRecord, withInstanceView: boolean): Record<string, unknown> {
    const { entry } = record;
    const rgId = `/subscriptions/${this.options.subscriptionId}/resourceGroups/${entry.resourceGroup}`;
    return {
      id: this.vmId(record),
      name: entry.name,
      type: 'Microsoft.Compute/virtualMachines',
      location: 'westeurope',
      properties: {
        vmId: `00000000-0000-4000-8000-${hex12(entry.resourceGroup + entry.name)}`,
        provisioningState: 'Succeeded',
        storageProfile: {
          osDisk: {
            osType: 'Windows',
            name: `${entry.name}-osdisk`,
            createOption: 'FromImage',
            managedDisk: { id: `${rgId}/providers/Microsoft.Compute/disks/${entry.name}-osdisk` },
          },
        },
        networkProfile: {
          networkInterfaces: [
            { id: `${rgId}/providers/Microsoft.Network/networkInterfaces/${entry.name}-nic` },
          ],
        },
        ...(withInstanceView ? { instanceView: this.instanceView(record) } : {}),
      },
    };
  }

  private instanceView(record: VmRecord): Record<string, unknown> {
    const s = record.vm.state;
    const restarting = [...this.operations.values()].some(
      (o) =>
        o.vmKey === key(record.entry.resourceGroup, record.entry.name) &&
        o.kind === 'restart' &&
        !this.settle(o),
    );
    const power = restarting ? 'starting' : s.power;
    return {
      computerName: record.entry.name.slice(0, 15),
      osName: 'Windows Server 2022 Datacenter',
      statuses: [
        { code: 'ProvisioningState/succeeded', level: 'Info', displayStatus: 'Provisioning succeeded' },
        { code: `PowerState/${power}`, level: 'Info', displayStatus: `VM ${power}` },
      ],
      vmAgent: {
        vmAgentVersion: s.agentReady ? '2.7.41491.1102' : 'Unknown',
        statuses: [
          s.agentReady && !restarting
            ? {
                code: 'ProvisioningState/succeeded',
                level: 'Info',
                displayStatus: 'Ready',
                message: 'GuestAgent is running and processing the extensions.',
              }
            : {
                code: 'ProvisioningState/Unavailable',
                level: 'Warning',
                displayStatus: 'Not Ready',
                message: 'VM status blob is found but not yet populated.',
              },
        ],
      },
    };
  }

  private nicJson(record: VmRecord): Record<string, unknown> {
    const rgId = `/subscriptions/${this.options.subscriptionId}/resourceGroups/${record.entry.resourceGroup}`;
    return {
      id: `${rgId}/providers/Microsoft.Network/networkInterfaces/${record.entry.name}-nic`,
      name: `${record.entry.name}-nic`,
      location: 'westeurope',
      properties: {
        provisioningState: 'Succeeded',
        networkSecurityGroup: {
          id: `${rgId}/providers/Microsoft.Network/networkSecurityGroups/${record.entry.name}-nsg`,
        },
      },
    };
  }

  private nsgJson(record: VmRecord): Record<string, unknown> {
    return {
      id: `/subscriptions/${this.options.subscriptionId}/resourceGroups/${record.entry.resourceGroup}/providers/Microsoft.Network/networkSecurityGroups/${record.entry.name}-nsg`,
      name: `${record.entry.name}-nsg`,
      location: 'westeurope',
      properties: {
        provisioningState: 'Succeeded',
        securityRules: [...record.nsgRules.entries()].map(([name, properties]) =>
          this.ruleJson(record, name, properties),
        ),
      },
    };
  }

  private ruleJson(
    record: VmRecord,
    name: string,
    properties: Record<string, unknown>,
  ): Record<string, unknown> {
    return {
      id: `/subscriptions/${this.options.subscriptionId}/resourceGroups/${record.entry.resourceGroup}/providers/Microsoft.Network/networkSecurityGroups/${record.entry.name}-nsg/securityRules/${name}`,
      name,
      properties: { ...properties, provisioningState: 'Succeeded' },
    };
  }
}

function hex12(text: string): string {
  let h = 0;
  for (const c of text) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return h.toString(16).padStart(12, '0').slice(-12);
}

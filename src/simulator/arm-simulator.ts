import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { messageOf } from '../core/errors';
import { faultsOfScenario } from './arm-faults';
import { labVmRecord, routeLabRequest } from './arm-lab-routes';
import { ArmOperations, type Latency, scaledLatency } from './arm-operations';
import {
  defaultInventory,
  defaultNsgRules,
  ResourceShapes,
  type SimulatedVmEntry,
  type VmRecord,
} from './arm-resources';
import {
  type ArmState,
  type RecordedRequest,
  routeArmRequest,
  type ScriptDispatch,
  scriptDispatchesOf,
} from './arm-routes';
import { armError, key, readBody, type Sent, send } from './arm-wire';
import { LabStore } from './lab-store';
import { ManagedRunCommands } from './managed-run-commands';
import { RescueDisks, traitsOfScenario } from './rescue-disks';
import { routeRescueRequest } from './rescue-routes';
import { isRescueVm, rescueVmRecord } from './rescue-vm-record';
import { scenarioFor } from './scenarios';
import { SimulatedWindowsVm } from './windows-vm';

/** Where the simulator takes `rdp-fix simulate --reset` (outside ARM's `/subscriptions/…`). */
export const ResetPath = '/rdp-fix/reset';

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

/**
 * A loopback HTTP server speaking the Azure Resource Manager routes rdp-fix uses, in ARM's
 * wire format: VMs and their instance view, Run Command as a long-running operation (202
 * with Azure-AsyncOperation and Location, InProgress polls, a StdOut/StdErr value list cut to
 * the last 4,096 bytes), restart, start (Azure's "Virtual Machines - Start": 202 and the async operation), snapshots, NICs and NSG rules, and ARM-shaped errors.
 * Like Azure, it hands back operation URLs on the management host over https; the client's
 * redirect policy brings them back to loopback.
 *
 * This class holds the state and the server; the routes (arm-routes.ts), resource bodies
 * (arm-resources.ts), long-running operations (arm-operations.ts), injected faults
 * (arm-faults.ts) and managed Run Commands (managed-run-commands.ts) are apart, and so are the
 * resources `rdp-fix lab` creates (arm-lab-routes.ts, lab-store.ts), whose VMs join this one's.
 */
export class ArmSimulator {
  readonly requests: RecordedRequest[] = [];
  private readonly vms = new Map<string, VmRecord>();
  private readonly snapshots = new Map<string, Record<string, unknown>>();
  private server: Server | undefined;
  private listeningUrl: string | undefined;
  private readonly now: () => Date;
  private latency: Latency;
  private scale: number;
  private readonly managed: ManagedRunCommands;
  private readonly operations: ArmOperations;
  private readonly state: ArmState;
  /** What `rdp-fix lab` created (networks, NICs, VMs, disks, schedules): arm-lab-routes.ts. */
  private readonly lab: LabStore;

  constructor(options: ArmSimulatorOptions) {
    this.now = options.now ?? (() => new Date());
    this.scale = options.latencyScale ?? 0;
    this.latency = scaledLatency(this.scale);
    const shapes = new ResourceShapes(options.subscriptionId);
    this.managed = new ManagedRunCommands({
      vm: (vmKey) => {
        const record = this.vms.get(vmKey);
        return record ? { vm: record.vm, id: shapes.vmId(record) } : undefined;
      },
      runCommandMs: () => this.latency.runCommand,
      scale: () => this.scale,
      operationUrl: (id, result) =>
        `${this.operations.base(id)}${result ? '/result' : ''}?api-version=2024-11-01`,
    });
    this.operations = new ArmOperations({
      subscriptionId: options.subscriptionId,
      managementHost: options.managementHost ?? 'management.azure.com',
      vm: (vmKey) => this.vms.get(vmKey),
      managed: this.managed,
    });
    this.state = {
      subscriptionId: options.subscriptionId,
      grantedActions: options.grantedActions,
      vms: this.vms,
      snapshots: this.snapshots,
      disks: new RescueDisks(),
      groups: new Map(),
      shapes,
      operations: this.operations,
      managed: this.managed,
      latency: () => this.latency,
      scale: () => this.scale,
      now: this.now,
    };
    for (const entry of options.vms ?? defaultInventory()) this.addVm(entry);
    this.lab = new LabStore(
      options.subscriptionId,
      () => options.managementHost ?? 'management.azure.com',
      this.now,
    );
  }

  /** Changes how long operations started from now on take (a test slows one step down). */
  setLatencyScale(scale: number): void {
    this.scale = scale;
    this.latency = scaledLatency(scale);
  }

  addVm(entry: SimulatedVmEntry): void {
    const scenarioName = entry.scenario ?? entry.name;
    const scenario = scenarioFor(scenarioName) ?? scenarioFor('sim-healthy')!;
    const vm = new SimulatedWindowsVm(entry.name, scenario(this.now()), this.now);
    this.vms.set(key(entry.resourceGroup, entry.name), {
      entry,
      vm,
      nsgRules: defaultNsgRules(),
      faults: faultsOfScenario(scenarioName),
      traits: traitsOfScenario(scenarioName),
    });
  }

  /**
   * Puts every simulated VM back in its scenario's starting state (the article's faults, the
   * NSG's open RDP rule, the injected 403/409/429/503s) and forgets the snapshots. Repairs
   * otherwise last as long as the process. Runs in progress finish against the state they
   * started on; incidents in the store are not touched. Returns how many VMs were reset.
   */
  reset(): number {
    const entries = [...this.vms.values()].map((record) => record.entry);
    this.vms.clear();
    this.snapshots.clear();
    this.state.disks.clear();
    for (const entry of entries) {
      const { resourceGroup: rg, name } = entry;
      const labVm = this.lab.get('virtualmachines', rg, name);
      // A lab VM starts healthy and keeps running the lab's break scripts; a rescue VM still
      // sees its data disks.
      if (labVm)
        this.vms.set(
          key(rg, name),
          isRescueVm(labVm.tags)
            ? rescueVmRecord(this.state, this.lab, rg, name)
            : labVmRecord(this.state, rg, name),
        );
      else {
        // Its own OS disk again: one an offline repair swapped out goes.
        this.lab.remove('disks', rg, `${name}-osdisk`);
        this.addVm(entry);
      }
    }
    return entries.length;
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
    return scriptDispatchesOf(this.requests, vmName);
  }

  snapshotNames(): string[] {
    return [...this.snapshots.keys()];
  }

  async listen(port = 0): Promise<string> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) =>
        send(res, 500, armError('InternalServerError', messageOf(err))),
      );
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.listeningUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.listeningUrl;
  }

  /** Where it listens (loopback), once `listen` has returned. */
  get url(): string | undefined {
    return this.listeningUrl;
  }

  async close(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<Sent> {
    const url = new URL(req.url ?? '/', 'http://sim');
    const body = await readBody(req);
    // The simulator's own route, not ARM's: `rdp-fix simulate --reset`. JSON only, so a web
    // page cannot send it without a CORS preflight that this server never answers.
    if (url.pathname === ResetPath) {
      if (req.method !== 'POST' || !String(req.headers['content-type'] ?? '').startsWith('application/json'))
        return send(
          res,
          405,
          armError('MethodNotAllowed', `POST ${ResetPath} with a JSON body resets the VMs`),
        );
      return send(res, 200, { reset: this.reset() });
    }
    this.requests.push({
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      body,
      at: Date.now(),
    });
    const armRequest = { method: req.method ?? 'GET', url, headers: req.headers, body };
    return (
      routeRescueRequest(this.state, this.lab, armRequest, res) ??
      routeLabRequest(this.state, this.lab, armRequest, res) ??
      routeArmRequest(this.state, armRequest, res)
    );
  }
}

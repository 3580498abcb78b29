import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { NeededActions } from '../azure/needed-actions';
import { type RunCommandTarget, refuseRunCommand } from './arm-faults';
import type { ArmOperations, Latency } from './arm-operations';
import type { ResourceShapes, VmRecord } from './arm-resources';
import { armError, key, type Sent, send } from './arm-wire';
import type { ManagedRunCommands } from './managed-run-commands';
import { captureSnapshot, type RescueDisks } from './rescue-disks';

/** One request the simulator received, for wire-level tests. */
export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  at: number;
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

/**
 * Every script dispatch among the recorded requests, action (`POST …/runCommand`) or managed
 * (`PUT …/runCommands/{name}`), in order: refused ones (409, 429, 503) included.
 */
export function scriptDispatchesOf(requests: RecordedRequest[], vmName?: string): ScriptDispatch[] {
  return requests.flatMap((r): ScriptDispatch[] => {
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

/** What the routes act on: the simulator's state and the parts it is composed of. */
export interface ArmState {
  subscriptionId: string;
  /** What `Microsoft.Authorization/permissions` reports; the agent's own role by default. */
  grantedActions: string[] | undefined;
  vms: Map<string, VmRecord>;
  snapshots: Map<string, Record<string, unknown>>;
  /** What is on disks and snapshots that no VM runs now (rescue-disks.ts). */
  disks: RescueDisks;
  /** Resource groups created through ARM (rescue-routes.ts); groups with resources exist anyway. */
  groups: Map<string, { name: string; location: string; tags: Record<string, string> }>;
  shapes: ResourceShapes;
  operations: ArmOperations;
  managed: ManagedRunCommands;
  latency(): Latency;
  scale(): number;
  now(): Date;
}

/** One HTTP request, its body already read. */
export interface ArmRequest {
  method: string;
  url: URL;
  headers: IncomingHttpHeaders;
  body: unknown;
}

/** Answers one request on ARM's routes the way ARM does, ARM-shaped errors included. */
export function routeArmRequest(state: ArmState, req: ArmRequest, res: ServerResponse): Sent {
  const { url, body, method } = req;
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
  if (lower[0] !== 'subscriptions' || parts[1] !== state.subscriptionId) {
    return send(
      res,
      404,
      armError('SubscriptionNotFound', `The subscription '${parts[1] ?? ''}' could not be found.`),
    );
  }
  if (lower.at(-2) === 'microsoft.authorization' && lower.at(-1) === 'permissions' && method === 'GET') {
    return send(res, 200, {
      value: [{ actions: state.grantedActions ?? [...NeededActions], notActions: [] }],
    });
  }
  // /subscriptions/{s}/providers/Microsoft.Compute/virtualMachines
  if (
    lower[2] === 'providers' &&
    lower[3] === 'microsoft.compute' &&
    lower[4] === 'virtualmachines' &&
    parts.length === 5
  ) {
    return send(res, 200, { value: [...state.vms.values()].map((v) => state.shapes.vm(v)) });
  }
  // /subscriptions/{s}/providers/Microsoft.Compute/locations/{l}/operations/{id}[/result]
  if (lower[2] === 'providers' && lower[4] === 'locations' && lower[6] === 'operations' && parts[7]) {
    return state.operations.poll(res, parts[7], lower[8] === 'result');
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
        value: [...state.vms.values()]
          .filter((v) => v.entry.resourceGroup.toLowerCase() === rg.toLowerCase())
          .map((v) => state.shapes.vm(v)),
      });
    }
    const record = state.vms.get(key(rg, name));
    if (!record) return vmNotFound(res, rg, name);
    const action = lower[8];
    if (!action && method === 'GET') {
      const expand = url.searchParams.get('$expand') === 'instanceView';
      return send(res, 200, state.shapes.vm(record, expand ? instanceView(state, record) : undefined));
    }
    if (action === 'instanceview' && method === 'GET') return send(res, 200, instanceView(state, record));
    if (action === 'runcommand' && method === 'POST') return runCommand(state, res, record, body);
    if (action === 'restart' && method === 'POST') return restart(state, res, record);
    if (action === 'start' && method === 'POST') return start(state, res, record);
    // The managed Run Command: /virtualMachines/{vm}/runCommands/{name}
    if (action === 'runcommands' && parts[9]) {
      const vmKey = key(rg, name);
      if (method === 'PUT')
        return (
          refuse(state, res, record, 'Microsoft.Compute/virtualMachines/runCommands/write') ??
          state.managed.put(res, vmKey, parts[9], body)
        );
      if (method === 'GET')
        return state.managed.get(res, vmKey, parts[9], url.searchParams.get('$expand') === 'instanceView');
      if (method === 'DELETE') return state.managed.delete(res, vmKey, parts[9]);
    }
  }
  if (provider === 'microsoft.compute' && type === 'snapshots' && name && method === 'PUT') {
    return snapshot(state, res, rg, name, body);
  }
  if (
    provider === 'microsoft.network' &&
    (type === 'networkinterfaces' || type === 'networksecuritygroups') &&
    name
  ) {
    // Each VM has one NIC `<vm>-nic` with one NSG `<vm>-nsg`, in the VM's resource group.
    const suffix = type === 'networkinterfaces' ? '-nic' : '-nsg';
    const record = [...state.vms.values()].find(
      (v) => `${v.entry.name}${suffix}` === name && v.entry.resourceGroup === rg,
    );
    if (!record) {
      return send(
        res,
        404,
        armError('ResourceNotFound', `The Resource 'Microsoft.Network/${parts[6]}/${name}' was not found.`),
      );
    }
    if (type === 'networkinterfaces' && lower[8] === 'effectivenetworksecuritygroups' && method === 'POST') {
      // Azure may answer 200 with the list at once or 202 to poll (REST reference); the simulator answers 200.
      return send(res, 200, state.shapes.effectiveNsgs(record));
    }
    if (type === 'networkinterfaces')
      return method === 'GET'
        ? send(res, 200, state.shapes.nic(record))
        : send(res, 405, armError('MethodNotAllowed', method));
    if (!lower[8] && method === 'GET') return send(res, 200, state.shapes.nsg(record));
    const ruleName = parts[9];
    if (lower[8] === 'securityrules' && ruleName && method === 'PUT') {
      const properties = ((body as { properties?: Record<string, unknown> } | null)?.properties ??
        {}) as Record<string, unknown>;
      record.nsgRules.set(ruleName, properties);
      return send(res, 200, state.shapes.rule(record, ruleName, properties));
    }
  }
  return send(res, 404, armError('NotFound', `No route for ${method} ${url.pathname}`));
}

/** ARM's 404 for a VM that does not exist. */
export function vmNotFound(res: ServerResponse, rg: string, name: string): Sent {
  return send(
    res,
    404,
    armError(
      'ResourceNotFound',
      `The Resource 'Microsoft.Compute/virtualMachines/${name}' under resource group '${rg}' was not found.`,
    ),
  );
}

function instanceView(state: ArmState, record: VmRecord): Record<string, unknown> {
  const restarting = state.operations.restarting(key(record.entry.resourceGroup, record.entry.name));
  return state.shapes.instanceView(record, restarting);
}

/** The injected faults and Azure's own refusals, for either Run Command. */
function refuse(state: ArmState, res: ServerResponse, record: VmRecord, action: string): Sent | undefined {
  const target: RunCommandTarget = {
    name: record.entry.name,
    id: state.shapes.vmId(record),
    vm: record.vm,
    faults: record.faults,
  };
  const vmKey = key(record.entry.resourceGroup, record.entry.name);
  return refuseRunCommand(res, target, action, () => state.operations.commandRunning(vmKey));
}

function runCommand(state: ArmState, res: ServerResponse, record: VmRecord, body: unknown): Sent {
  const refused = refuse(state, res, record, 'Microsoft.Compute/virtualMachines/runCommand/action');
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
  const ms = record.vm.hangs(input.script.join('\n'))
    ? 90 * 60_000 * state.scale()
    : state.latency().runCommand;
  const op = state.operations.start(record, 'runCommand', ms);
  op.script = input.script;
  op.params = Object.fromEntries((input.parameters ?? []).map((p) => [p.name, String(p.value)]));
  return state.operations.accepted(res, op);
}

function restart(state: ArmState, res: ServerResponse, record: VmRecord): Sent {
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
  return state.operations.accepted(res, state.operations.start(record, 'restart', state.latency().restart));
}

/**
 * Azure's "Virtual Machines - Start" (https://learn.microsoft.com/rest/api/compute/virtual-machines/start):
 * `POST …/virtualMachines/{vm}/start` answers 202 with the async operation to poll (200 for
 * a VM that already runs); the power state is `starting` until the operation ends.
 */
function start(state: ArmState, res: ServerResponse, record: VmRecord): Sent {
  if (record.vm.state.power === 'running') return send(res, 200, undefined);
  return state.operations.accepted(res, state.operations.start(record, 'start', state.latency().restart));
}

function snapshot(state: ArmState, res: ServerResponse, rg: string, name: string, body: unknown): Sent {
  const source = (body as { properties?: { creationData?: { sourceResourceId?: string } } } | null)
    ?.properties?.creationData?.sourceResourceId;
  if (!source)
    return send(res, 400, armError('InvalidParameter', 'creationData.sourceResourceId is required.'));
  const created = state.shapes.snapshot(rg, name, body, state.now());
  state.snapshots.set(name, created);
  captureSnapshot(state, created.id as string, source);
  return send(res, 200, created);
}

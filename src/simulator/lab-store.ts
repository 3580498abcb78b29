import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { type Sent, send } from './arm-wire';

/** The resource types `rdp-fix lab` creates, by their ARM type segment. */
export const LabTypes = {
  virtualnetworks: { namespace: 'Microsoft.Network', type: 'virtualNetworks' },
  networkinterfaces: { namespace: 'Microsoft.Network', type: 'networkInterfaces' },
  virtualmachines: { namespace: 'Microsoft.Compute', type: 'virtualMachines' },
  disks: { namespace: 'Microsoft.Compute', type: 'disks' },
  schedules: { namespace: 'Microsoft.DevTestLab', type: 'schedules' },
} as const;

export type LabType = keyof typeof LabTypes;

/** One resource as ARM returns it: id, name, type, location, tags, properties (and sku, managedBy). */
export type ArmBody = Record<string, unknown> & {
  id: string;
  name: string;
  tags?: Record<string, string>;
  properties: Record<string, unknown>;
};

/** A long-running operation of a lab resource: polled until its time has come, then `done` runs once. */
interface LabOperation {
  id: string;
  namespace: string;
  doneAt: number;
  status: 'InProgress' | 'Succeeded';
  startedAt: number;
  done: () => void;
}

/**
 * What the simulator holds for `rdp-fix lab`: virtual networks, NICs, VMs, disks and
 * DevTestLab schedules created through ARM, in ARM's shapes, and their long-running
 * operations (202/201 with `Azure-AsyncOperation` and `Location`, InProgress polls).
 * The lab VMs themselves are also simulated Windows VMs in the simulator's VM map, so the
 * product finds them and runs incidents against them like any other.
 */
export class LabStore {
  private readonly resources = new Map<string, { type: LabType; rg: string; body: ArmBody }>();
  private readonly operations = new Map<string, LabOperation>();
  /** NICs of deleted VMs, still reserved for them until a time (Azure: 180 seconds). */
  private readonly reservations = new Map<string, { vmId: string; until: number }>();

  constructor(
    private readonly subscriptionId: string,
    /** The https host Azure puts in operation URLs (the client's redirect policy brings them back). */
    private readonly managementHost: () => string,
    /** The simulator's clock, for the times the bodies carry. */
    readonly now: () => Date,
  ) {}

  idOf(type: LabType, rg: string, name: string): string {
    const t = LabTypes[type];
    return `/subscriptions/${this.subscriptionId}/resourceGroups/${rg}/providers/${t.namespace}/${t.type}/${name}`;
  }

  get(type: LabType, rg: string, name: string): ArmBody | undefined {
    return this.resources.get(storeKey(type, rg, name))?.body;
  }

  /** A resource by its ARM id (case-insensitive, as ARM compares them). */
  byId(id: string): ArmBody | undefined {
    return [...this.resources.values()].find((r) => r.body.id.toLowerCase() === id.toLowerCase())?.body;
  }

  set(type: LabType, rg: string, body: ArmBody): void {
    this.resources.set(storeKey(type, rg, body.name), { type, rg, body });
  }

  remove(type: LabType, rg: string, name: string): void {
    this.resources.delete(storeKey(type, rg, name));
  }

  list(type: LabType, rg?: string): ArmBody[] {
    return [...this.resources.values()]
      .filter((r) => r.type === type && (!rg || r.rg.toLowerCase() === rg.toLowerCase()))
      .map((r) => r.body);
  }

  /** Starts an operation that ends after `ms` (scaled by the caller) and runs `done` then. */
  start(namespace: string, ms: number, done: () => void): LabOperation {
    const op: LabOperation = {
      id: randomUUID(),
      namespace,
      doneAt: Date.now() + ms,
      startedAt: Date.now(),
      status: 'InProgress',
      done,
    };
    this.operations.set(op.id, op);
    if (ms <= 0) this.settle(op);
    return op;
  }

  reserve(nicId: string, vmId: string, until: number): void {
    if (until > Date.now()) this.reservations.set(nicId.toLowerCase(), { vmId, until });
  }

  /** The VM a NIC is still reserved for, if its reservation has not run out. */
  reservedFor(nicId: string): string | undefined {
    const r = this.reservations.get(nicId.toLowerCase());
    return r && r.until > Date.now() ? r.vmId : undefined;
  }

  has(operationId: string): boolean {
    return this.operations.has(operationId);
  }

  /** The headers ARM sends with an asynchronous answer (201 for a PUT, 202 for a DELETE). */
  asyncHeaders(op: LabOperation): Record<string, string> {
    const base = `https://${this.managementHost()}/subscriptions/${this.subscriptionId}/providers/${op.namespace}/locations/westeurope/operations/${op.id}`;
    return {
      'Azure-AsyncOperation': `${base}?api-version=2024-11-01`,
      Location: `${base}/result?api-version=2024-11-01`,
      'Retry-After': '0',
    };
  }

  /** `GET …/operations/{id}` (its status) or `…/operations/{id}/result` (202 until done, then 200). */
  poll(res: ServerResponse, id: string, result: boolean): Sent {
    const op = this.operations.get(id)!;
    this.settle(op);
    if (result)
      return op.status === 'InProgress'
        ? send(res, 202, undefined, this.asyncHeaders(op))
        : send(res, 200, {});
    return send(res, 200, {
      name: op.id,
      status: op.status,
      startTime: new Date(op.startedAt).toISOString(),
      ...(op.status === 'Succeeded' ? { endTime: new Date(op.doneAt).toISOString() } : {}),
    });
  }

  /** Completes every operation whose time has come (a GET of a resource sees their effect). */
  settleAll(): void {
    for (const op of this.operations.values()) this.settle(op);
  }

  private settle(op: LabOperation): void {
    if (op.status !== 'InProgress' || Date.now() < op.doneAt) return;
    op.status = 'Succeeded';
    op.done();
  }
}

function storeKey(type: LabType, rg: string, name: string): string {
  return `${type}/${rg.toLowerCase()}/${name.toLowerCase()}`;
}

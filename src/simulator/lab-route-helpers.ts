import type { ServerResponse } from 'node:http';
import { armError, type Sent, send } from './arm-wire';
import type { LabStore, LabType } from './lab-store';

// What the lab routes share: modelled durations, the PUT body shape, ARM's common answers.

/** Modelled durations, scaled like the simulator's others (Azure: a Windows VM takes minutes). */
export const LabLatency = {
  vmCreate: 120_000,
  vmDelete: 60_000,
  network: 10_000,
  diskDelete: 10_000,
  /** A managed disk copied from a snapshot (the offline repair's copy). */
  diskCopy: 10_000,
  /** A VM update: a data disk attached or detached, an OS disk swapped. */
  vmUpdate: 10_000,
  /** How long Azure keeps a deleted VM's NIC for it. */
  nicReservation: 180_000,
};

export type Input = {
  location?: string;
  tags?: Record<string, string>;
  /** Availability zones (a zonal VM or disk): `["2"]`. */
  zones?: string[];
  properties?: Record<string, unknown>;
};

export function notFound(res: ServerResponse, lab: LabStore, type: LabType, rg: string, name: string): Sent {
  const id = lab.idOf(type, rg, name).split('/providers/')[1];
  return send(
    res,
    404,
    armError('ResourceNotFound', `The Resource '${id}' under resource group '${rg}' was not found.`),
  );
}

export function requireLocation(input: Input, res: ServerResponse): Sent | undefined {
  return input.location
    ? undefined
    : send(res, 400, armError('LocationRequired', 'The location property is required for this definition.'));
}

export function accepted(
  lab: LabStore,
  res: ServerResponse,
  status: number,
  body: unknown,
  op: Parameters<LabStore['asyncHeaders']>[0],
): Sent {
  return send(res, status, body, lab.asyncHeaders(op));
}

/**
 * The path segments of a well-formed request to this subscription (as given and lower-cased),
 * for the routes asked before the product's own; undefined hands the request on, and a missing
 * api-version or token is left to the product's routes, which answer ARM's errors.
 */
export function subscriptionPath(
  subscriptionId: string,
  req: { url: URL; headers: { authorization?: string | undefined } },
): { parts: string[]; lower: string[] } | undefined {
  if (
    !req.url.searchParams.get('api-version') ||
    !/^Bearer \S+/.test(String(req.headers.authorization ?? ''))
  )
    return undefined;
  const parts = req.url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  const lower = parts.map((p) => p.toLowerCase());
  return lower[0] === 'subscriptions' && parts[1] === subscriptionId ? { parts, lower } : undefined;
}

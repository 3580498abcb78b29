import type { DispatchRecord, NewIncident } from '../../../src/store/incident-store';

/** What every store under test also has: the suites close what they open. */
export interface Closeable {
  close(): Promise<void>;
}

/**
 * A new open incident. Each id gets a VM of its own (its own subscription): a VM has one open
 * incident at most, which the contract checks with `sameVm`.
 */
export function newIncident(id: string, overrides: Partial<NewIncident> = {}): NewIncident {
  return {
    id,
    playbookId: 'rdp-internal-error',
    playbookHash: 'h',
    vm: { subscriptionId: `s-${id}`, resourceGroup: 'rg', name: 'vm-web-01' },
    requester: { id: 'U1', name: 'alice' },
    channel: { platform: 'slack', channel: 'C1' },
    locale: 'en',
    status: 'open',
    outcome: null,
    state: 'preflight',
    causes: [],
    snapshot: { value: 'preflight', context: { n: 1 } },
    pending: null,
    ...overrides,
  };
}

export const T0 = '2026-11-25T10:00:00.000Z';
export const T1 = '2026-11-25T10:00:30.000Z';
export const T2 = '2026-11-25T10:01:00.000Z';

/** Step enable-tls, attempt 1, of incident i1, held by replica-a until T1. */
export function dispatch(over: Partial<DispatchRecord> = {}): DispatchRecord {
  return {
    incidentId: 'i1',
    stepId: 'enable-tls',
    attempt: 1,
    status: 'dispatching',
    pollerState: null,
    result: null,
    updatedAt: T0,
    owner: 'replica-a',
    leaseUntil: T1,
    ...over,
  };
}

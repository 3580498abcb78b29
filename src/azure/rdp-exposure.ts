import type { ComputeManagementClient } from '@azure/arm-compute';
import type { EffectiveNetworkSecurityGroup, NetworkManagementClient } from '@azure/arm-network';
import { ErrorCodes, RdpFixError } from '../core/errors';
import { callAzure } from './azure-errors';
import { parseId } from './resource-id';
import type { ApprovedStep } from './vm-operations';

/**
 * "Check RDP security", the first step of Microsoft's current article: who can reach the RDP
 * port through the network security groups. Read-only: the effective rules of the VM's first
 * network interface, which Azure computes from the NSG of the NIC and the NSG of its subnet
 * ("Network Interfaces - List Effective Network Security Groups",
 * learn.microsoft.com/rest/api/virtualnetwork/network-interfaces/list-effective-network-security-groups).
 * Inbound traffic must be allowed by both when both exist ("How network security groups filter
 * network traffic", learn.microsoft.com/azure/virtual-network/network-security-group-how-it-works).
 */
export interface RdpExposure {
  port: number;
  /** One line per NSG: which rule decides traffic from the Internet to the port. */
  groups: string[];
  /** Every NSG lets any Internet source reach the port: the article's warning applies. */
  openToAnyone: boolean;
}

/** Sources that mean "anyone": the any wildcard, the whole IPv4 space and the Internet service tag. */
const AnySource = new Set(['*', '0.0.0.0/0', 'internet', 'any']);

/** Reads the effective NSG rules of the VM's NIC for the step's `Port`. */
export async function readRdpExposure(
  clients: { compute: ComputeManagementClient; network: NetworkManagementClient },
  step: ApprovedStep,
  pollIntervalMs: number,
  signal?: AbortSignal,
): Promise<RdpExposure> {
  const { compute, network } = clients;
  const port = Number(step.params.Port);
  const vm = await callAzure('read the VM', () =>
    compute.virtualMachines.get(step.vm.resourceGroup, step.vm.name, { abortSignal: signal }),
  );
  const nicId = vm.networkProfile?.networkInterfaces?.[0]?.id;
  if (!nicId) throw new RdpFixError(ErrorCodes.AzureOperationFailed, 'the VM has no network interface');
  const nic = parseId(nicId);
  // arm-network 39 (modular): an awaitable poller; Azure answers 200 at once or 202 to poll.
  const result = await callAzure('read the effective security rules', async () =>
    network.networkInterfaces.listEffectiveNetworkSecurityGroups(nic.resourceGroup, nic.name, {
      abortSignal: signal,
      updateIntervalInMs: pollIntervalMs,
    }),
  );
  const groups = (result.value ?? []).map((group) => decide(group, port));
  return {
    port,
    groups: groups.map((g) => g.line),
    // No NSG at all also lets anyone in: Azure filters nothing without one.
    openToAnyone: groups.every((g) => g.allowsAnyone),
  };
}

/** The rule that decides Internet traffic to `port` in one NSG: the first match by priority. */
function decide(group: EffectiveNetworkSecurityGroup, port: number): { line: string; allowsAnyone: boolean } {
  const name = group.networkSecurityGroup?.id ? parseId(group.networkSecurityGroup.id).name : '(unnamed)';
  const where = group.association?.subnet ? 'subnet' : 'network interface';
  const rule = [...(group.effectiveSecurityRules ?? [])]
    .filter((r) => r.direction === 'Inbound')
    .filter((r) => ['tcp', 'all', '*'].includes(String(r.protocol).toLowerCase()))
    .filter((r) =>
      portRanges(r.destinationPortRange, r.destinationPortRanges).some(
        ([lo, hi]) => lo <= port && port <= hi,
      ),
    )
    .filter((r) =>
      sources(r.sourceAddressPrefix, r.sourceAddressPrefixes).some((s) => AnySource.has(s.toLowerCase())),
    )
    .sort((a, b) => (a.priority ?? 0) - (b.priority ?? 0))[0];
  if (!rule) return { line: `${name} (${where}): no rule for port ${port}`, allowsAnyone: false };
  const allowsAnyone = rule.access === 'Allow';
  const source = sources(rule.sourceAddressPrefix, rule.sourceAddressPrefixes).join(', ');
  return { line: `${name} (${where}): ${rule.name} ${rule.access} from ${source}`, allowsAnyone };
}

/** Effective rules write ports as "3389-3389", "0-65535" or "*"; a list may replace the single range. */
function portRanges(range: string | undefined, ranges: string[] | undefined): [number, number][] {
  return [...(ranges ?? []), ...(range ? [range] : [])].map((r) => {
    if (r === '*') return [0, 65535];
    const [lo, hi] = r.split('-').map(Number);
    return [lo ?? 0, hi ?? lo ?? 0];
  });
}

function sources(prefix: string | undefined, prefixes: string[] | undefined): string[] {
  return [...(prefixes ?? []), ...(prefix ? [prefix] : [])];
}

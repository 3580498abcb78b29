import type { ComputeManagementClient } from '@azure/arm-compute';
import type { NetworkManagementClient } from '@azure/arm-network';
import { ErrorCodes, RdpFixError } from '../core/errors';
import { callAzure } from './azure-errors';
import { parseId } from './resource-id';
import type { ApprovedStep } from './vm-operations';

/**
 * Moves the inbound rule that allows RDP on the NSG of the VM's first network interface to
 * the step's `Port` (the article's fix after a port change): VM → NIC → NSG → the rule that
 * allows 3389 (or the new port already); with `FromPort` (the undo), the rule on that port.
 * A subnet NSG is left for a person to change.
 */
export async function updateNsgRule(
  clients: { compute: ComputeManagementClient; network: NetworkManagementClient },
  step: ApprovedStep,
  pollIntervalMs: number,
  signal?: AbortSignal,
): Promise<{ rule: string; openToAnyone?: boolean }> {
  const { compute, network } = clients;
  const port = String(step.params.Port);
  // The undo names the port the rule has now (FromPort); the fix finds the rule still on 3389.
  const from = step.params.FromPort === undefined ? undefined : String(step.params.FromPort);
  const vm = await callAzure('read the VM', () =>
    compute.virtualMachines.get(step.vm.resourceGroup, step.vm.name, { abortSignal: signal }),
  );
  const nicId = vm.networkProfile?.networkInterfaces?.[0]?.id;
  if (!nicId) throw new RdpFixError(ErrorCodes.AzureOperationFailed, 'the VM has no network interface');
  const nic = parseId(nicId);
  const nicResource = await callAzure('read the network interface', () =>
    network.networkInterfaces.get(nic.resourceGroup, nic.name, { abortSignal: signal }),
  );
  const nsgId = nicResource.networkSecurityGroup?.id;
  if (!nsgId)
    throw new RdpFixError(
      ErrorCodes.AzureOperationFailed,
      'no network security group on the VM network interface; update the subnet NSG by hand',
    );
  const nsg = parseId(nsgId);
  const group = await callAzure('read the network security group', () =>
    network.networkSecurityGroups.get(nsg.resourceGroup, nsg.name, { abortSignal: signal }),
  );
  const rule = (group.securityRules ?? []).find(
    (r) =>
      r.direction === 'Inbound' &&
      r.access === 'Allow' &&
      (from
        ? r.destinationPortRange === from || r.destinationPortRange === port
        : r.destinationPortRange === '3389' || r.destinationPortRange === port),
  );
  if (!rule?.name)
    throw new RdpFixError(ErrorCodes.AzureOperationFailed, `no inbound rule allows RDP in ${nsg.name}`);
  // arm-network 39 is the modular SDK: createOrUpdate returns an awaitable poller (the
  // begin*AndWait forms are deprecated there).
  await callAzure('update the security rule', async () =>
    network.securityRules.createOrUpdate(
      nsg.resourceGroup,
      nsg.name,
      rule.name!,
      { ...rule, destinationPortRange: port },
      {
        abortSignal: signal,
        updateIntervalInMs: pollIntervalMs,
      },
    ),
  );
  // The newer article: a VM whose RDP is open to any source may have been attacked.
  const openToAnyone = ['*', 'Internet', '0.0.0.0/0', 'Any'].includes(rule.sourceAddressPrefix ?? '');
  return { rule: `${nsg.name}/${rule.name}`, openToAnyone };
}

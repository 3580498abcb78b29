import type { VmFaults } from './arm-faults';
import type { ArmBody } from './lab-store';
import type { DiskTraits } from './rescue-disks';
import type { SimulatedWindowsVm } from './windows-vm';

/** One VM of the simulator's inventory. */
export interface SimulatedVmEntry {
  name: string;
  resourceGroup: string;
  /** Scenario name (see scenarios.ts); defaults to the VM name. */
  scenario?: string;
}

/** A simulated VM with what ARM shows around it: its NSG's rules and its injected faults. */
export interface VmRecord {
  entry: SimulatedVmEntry;
  vm: SimulatedWindowsVm;
  nsgRules: Map<string, Record<string, unknown>>;
  faults: VmFaults;
  /** Its OS disk's traits (generation, BitLocker); a plain generation-1 disk when absent. */
  traits: DiskTraits;
  /** Its OS disk once a swap made another disk the OS disk (rescue-routes.ts); `<vm>-osdisk` before. */
  osDisk?: { body: ArmBody };
}

/** The default inventory: one VM per scenario in rg-sim, and one name that exists twice. */
export function defaultInventory(): SimulatedVmEntry[] {
  const names = [
    'sim-healthy',
    'sim-port-stoppable',
    'sim-port-unstoppable',
    'sim-port-stop-fails',
    'sim-port-shared-svchost',
    'sim-port-no-firewall-rule',
    'sim-rdp-stopped',
    'sim-cert-expired',
    'sim-machinekeys',
    'sim-tls-disabled',
    'sim-tls-gpo',
    'sim-all-three',
    'sim-key-unreadable',
    'sim-key-missing',
    'sim-tls-disabled-by-default',
    'sim-rdp-disabled',
    'sim-termservice-disabled',
    'sim-machinekeys-unreadable',
    'sim-pinned-cert',
    'sim-agent-down',
    'sim-agent-down-cert',
    'sim-agent-down-tls',
    'sim-agent-down-nla',
    'sim-agent-down-encrypted',
    'sim-agent-down-gen2',
    'sim-agent-down-swap-fails',
    'sim-agent-down-zonal',
    'sim-tls-agent-lost',
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

/** Every VM's NSG starts with one rule: RDP open to any source. */
export function defaultNsgRules(): Map<string, Record<string, unknown>> {
  return new Map([
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
  ]);
}

/**
 * The JSON bodies ARM returns for the simulator's resources: VMs and their instance view,
 * NICs, NSGs and their rules, snapshots. Each VM has one NIC `<vm>-nic` with one NSG
 * `<vm>-nsg`, in the VM's resource group.
 */
export class ResourceShapes {
  constructor(private readonly subscriptionId: string) {}

  vmId(record: VmRecord): string {
    return `/subscriptions/${this.subscriptionId}/resourceGroups/${record.entry.resourceGroup}/providers/Microsoft.Compute/virtualMachines/${record.entry.name}`;
  }

  /** A VM; with `instanceView` as `$expand=instanceView` asks. */
  vm(record: VmRecord, instanceView?: Record<string, unknown>): Record<string, unknown> {
    const { entry } = record;
    const rgId = `/subscriptions/${this.subscriptionId}/resourceGroups/${entry.resourceGroup}`;
    return {
      id: this.vmId(record),
      name: entry.name,
      type: 'Microsoft.Compute/virtualMachines',
      location: 'westeurope',
      ...(record.traits.zone ? { zones: [record.traits.zone] } : {}),
      properties: {
        vmId: `00000000-0000-4000-8000-${hex12(entry.resourceGroup + entry.name)}`,
        provisioningState: 'Succeeded',
        storageProfile: {
          osDisk: {
            osType: 'Windows',
            name: record.osDisk?.body.name ?? `${entry.name}-osdisk`,
            createOption: record.osDisk ? 'Attach' : 'FromImage',
            managedDisk: {
              id: record.osDisk?.body.id ?? `${rgId}/providers/Microsoft.Compute/disks/${entry.name}-osdisk`,
            },
          },
          dataDisks: [],
        },
        networkProfile: {
          networkInterfaces: [
            { id: `${rgId}/providers/Microsoft.Network/networkInterfaces/${entry.name}-nic` },
          ],
        },
        ...(instanceView ? { instanceView } : {}),
      },
    };
  }

  /** The instance view; a VM restarting shows `starting` and an agent that is not ready. */
  instanceView(record: VmRecord, restarting: boolean): Record<string, unknown> {
    const s = record.vm.state;
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

  nic(record: VmRecord): Record<string, unknown> {
    const rgId = `/subscriptions/${this.subscriptionId}/resourceGroups/${record.entry.resourceGroup}`;
    return {
      id: `${rgId}/providers/Microsoft.Network/networkInterfaces/${record.entry.name}-nic`,
      name: `${record.entry.name}-nic`,
      location: 'westeurope',
      properties: {
        provisioningState: 'Succeeded',
        networkSecurityGroup: {
          id: `${rgId}/providers/Microsoft.Network/networkSecurityGroups/${record.entry.name}-nsg`,
        },
        ipConfigurations: [
          {
            id: `${rgId}/providers/Microsoft.Network/networkInterfaces/${record.entry.name}-nic/ipConfigurations/ipconfig1`,
            name: 'ipconfig1',
            properties: { privateIPAllocationMethod: 'Dynamic', subnet: { id: this.subnetId(record) } },
          },
        ],
      },
    };
  }

  /** The subnet every simulated VM of a resource group is in: `sim-vnet/default`. */
  subnetId(record: VmRecord): string {
    return `/subscriptions/${this.subscriptionId}/resourceGroups/${record.entry.resourceGroup}/providers/Microsoft.Network/virtualNetworks/sim-vnet/subnets/default`;
  }

  nsg(record: VmRecord): Record<string, unknown> {
    return {
      id: `/subscriptions/${this.subscriptionId}/resourceGroups/${record.entry.resourceGroup}/providers/Microsoft.Network/networkSecurityGroups/${record.entry.name}-nsg`,
      name: `${record.entry.name}-nsg`,
      location: 'westeurope',
      properties: {
        provisioningState: 'Succeeded',
        securityRules: [...record.nsgRules.entries()].map(([name, properties]) =>
          this.rule(record, name, properties),
        ),
      },
    };
  }

  /**
   * `POST …/networkInterfaces/{nic}/effectiveNetworkSecurityGroups`: the NIC's NSG with its rules
   * as Azure states them effective — ports as "3389-3389" (or "0-65535" for *), sources "*" as
   * "0.0.0.0/0", rule names prefixed "securityRules/" — followed by the default rules every NSG
   * has (AllowVnetInBound 65000, AllowAzureLoadBalancerInBound 65001, DenyAllInBound 65500:
   * "Network security groups", learn.microsoft.com/azure/virtual-network/network-security-groups-overview;
   * the shapes of "Diagnose a virtual machine network traffic filter problem",
   * learn.microsoft.com/azure/virtual-network/diagnose-network-traffic-filter-problem).
   */
  effectiveNsgs(record: VmRecord): Record<string, unknown> {
    const nsg = this.nsg(record) as { id: string };
    const nic = this.nic(record) as { id: string };
    const range = (r: unknown) =>
      r === '*' || r === undefined ? '0-65535' : /-/.test(String(r)) ? String(r) : `${r}-${r}`;
    const prefix = (p: unknown) => (p === '*' || p === undefined ? '0.0.0.0/0' : String(p));
    const custom = [...record.nsgRules.entries()].map(([name, p]) => ({
      name: `securityRules/${name}`,
      protocol: p.protocol === '*' ? 'All' : p.protocol,
      sourcePortRange: range(p.sourcePortRange),
      destinationPortRange: range(p.destinationPortRange),
      sourceAddressPrefix: prefix(p.sourceAddressPrefix),
      destinationAddressPrefix: prefix(p.destinationAddressPrefix),
      access: p.access,
      priority: p.priority,
      direction: p.direction,
    }));
    const defaults = [
      ['AllowVnetInBound', 'VirtualNetwork', 'Allow', 65000],
      ['AllowAzureLoadBalancerInBound', 'AzureLoadBalancer', 'Allow', 65001],
      ['DenyAllInBound', '0.0.0.0/0', 'Deny', 65500],
    ].map(([name, source, access, priority]) => ({
      name: `defaultSecurityRules/${name}`,
      protocol: 'All',
      sourcePortRange: '0-65535',
      destinationPortRange: '0-65535',
      sourceAddressPrefix: source,
      destinationAddressPrefix: '0.0.0.0/0',
      access,
      priority,
      direction: 'Inbound',
    }));
    return {
      value: [
        {
          networkSecurityGroup: { id: nsg.id },
          association: { networkInterface: { id: nic.id } },
          effectiveSecurityRules: [...custom, ...defaults],
        },
      ],
    };
  }

  rule(record: VmRecord, name: string, properties: Record<string, unknown>): Record<string, unknown> {
    return {
      id: `/subscriptions/${this.subscriptionId}/resourceGroups/${record.entry.resourceGroup}/providers/Microsoft.Network/networkSecurityGroups/${record.entry.name}-nsg/securityRules/${name}`,
      name,
      properties: { ...properties, provisioningState: 'Succeeded' },
    };
  }

  /** A snapshot as created from a PUT body (its `creationData` already checked). */
  snapshot(rg: string, name: string, body: unknown, now: Date): Record<string, unknown> {
    return {
      id: `/subscriptions/${this.subscriptionId}/resourceGroups/${rg}/providers/Microsoft.Compute/snapshots/${name}`,
      name,
      type: 'Microsoft.Compute/snapshots',
      location: (body as { location?: string }).location ?? 'westeurope',
      tags: (body as { tags?: Record<string, string> }).tags ?? {},
      properties: {
        ...(body as { properties: Record<string, unknown> }).properties,
        provisioningState: 'Succeeded',
        timeCreated: now.toISOString(),
      },
    };
  }
}

/** A stable fake `vmId` suffix from the VM's name. */
function hex12(text: string): string {
  let h = 0;
  for (const c of text) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return h.toString(16).padStart(12, '0').slice(-12);
}

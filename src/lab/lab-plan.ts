import { ErrorCodes, RdpFixError } from '../core/errors';
import { LabTag } from './lab-causes';

/** What `rdp-fix lab create` was asked for. */
export interface LabOptions {
  resourceGroup: string;
  location: string;
  /** The VM's name, also its Windows computer name (15 characters at most). */
  name: string;
  size: string;
  /** The value of every resource's `rdp-fix-lab` tag. */
  labId: string;
  /** The daily auto-shutdown time, HHmm in UTC. */
  shutdownAt: string;
}

/** One resource the lab creates, for the confirmation question and the summary. */
export interface PlannedResource {
  type: string;
  name: string;
  what: string;
}

/** Names and bodies of everything a lab is made of, all tagged `rdp-fix-lab: <lab id>`. */
export interface LabPlan {
  options: LabOptions;
  tags: Record<string, string>;
  vnet: string;
  subnet: string;
  nic: string;
  vm: string;
  osDisk: string;
  schedule: string;
  resources: PlannedResource[];
}

export const LabImage = {
  publisher: 'MicrosoftWindowsServer',
  offer: 'WindowsServer',
  sku: '2022-datacenter-azure-edition',
  version: 'latest',
} as const;

export const LabAdminUser = 'rdpfixlab';

const Names = {
  resourceGroup: /^[A-Za-z0-9_.()-]{1,90}$/,
  // Windows computer names: 15 characters, letters, digits and hyphens, not only digits.
  name: /^(?!\d+$)[A-Za-z0-9][A-Za-z0-9-]{0,13}[A-Za-z0-9]$|^[A-Za-z]$/,
  location: /^[a-z0-9]{2,40}$/,
  size: /^[A-Za-z0-9_]{2,64}$/,
  shutdownAt: /^([01]\d|2[0-3])[0-5]\d$/,
};

/** Checks every option at once and lays out the lab; the names are derived from the VM's. */
export function planLab(options: LabOptions): LabPlan {
  const problems = (Object.keys(Names) as (keyof typeof Names)[])
    .filter((field) => !Names[field].test(options[field]))
    .map((field) => `${field} "${options[field]}"`);
  if (problems.length) {
    throw new RdpFixError(
      ErrorCodes.InvalidParameter,
      `invalid ${problems.join(', ')} (a VM name is 1-15 letters, digits or hyphens; a location like westeurope; a time HHmm)`,
    );
  }
  const n = options.name;
  const plan = {
    options,
    tags: { [LabTag]: options.labId },
    vnet: `${n}-vnet`,
    subnet: 'default',
    nic: `${n}-nic`,
    vm: n,
    osDisk: `${n}-osdisk`,
    // Azure accepts a VM's auto-shutdown schedule only under this name.
    schedule: `shutdown-computevm-${n}`,
  };
  return {
    ...plan,
    resources: [
      { type: 'virtual network', name: plan.vnet, what: '10.0.0.0/24, one subnet "default"' },
      { type: 'network interface', name: plan.nic, what: 'private address only, no public IP' },
      {
        type: 'virtual machine',
        name: plan.vm,
        what: `${options.size}, Windows Server 2022 Datacenter Azure Edition, admin "${LabAdminUser}" with a random password nobody is told`,
      },
      { type: 'OS disk', name: plan.osDisk, what: '127 GiB Standard SSD' },
      { type: 'auto-shutdown', name: plan.schedule, what: `every day at ${options.shutdownAt} UTC` },
    ],
  };
}

/** The default auto-shutdown: the next quarter hour at least two hours from now, in UTC. */
export function defaultShutdownAt(now: Date): string {
  const at = new Date(now.getTime() + 2 * 3_600_000);
  const minutes = Math.ceil((at.getUTCHours() * 60 + at.getUTCMinutes()) / 15) * 15;
  const hh = Math.floor(minutes / 60) % 24;
  const mm = minutes % 60;
  return `${String(hh).padStart(2, '0')}${String(mm).padStart(2, '0')}`;
}

/**
 * What the lab costs on Azure, as an order of magnitude: the basis is said with the
 * numbers (pay-as-you-go list prices, which vary by region and change).
 */
export function costEstimate(size: string): string {
  const compute =
    size.toLowerCase() === 'standard_b2s'
      ? 'about US$0.05 an hour while it runs (Standard_B2s with the Windows licence, pay-as-you-go list price)'
      : `${size}: see the Azure pricing calculator for its hourly price`;
  return `Estimated cost: ${compute}, stopped by the daily auto-shutdown (deallocated VMs cost no compute); the OS disk about US$10 a month (US$0.30 a day) until \`rdp-fix lab destroy\`. Order of magnitude only: prices vary by region.`;
}

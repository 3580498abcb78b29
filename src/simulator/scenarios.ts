import { healthyVmState, RequiredMachineKeysGrants, type WindowsVmState } from './windows-vm';

/** The Remote Desktop certificate of a VM nobody looked after since early 2024. */
const ExpiredCertificate = {
  thumbprint: '9A8B7C6D5E4F30211203A4B5C6D7E8F901234567',
  notAfter: '2024-01-31T10:00:00Z',
  hasPrivateKey: true,
};

/**
 * TermService started while another program held the RDP port: it runs, but its listener never
 * bound the port (fix-scripts.ts, rdpListenerBound).
 */
const PortTaken = { rdpListenerBound: false } as const;

/**
 * A server whose TLS protocols were switched off by hand: Enabled=0 under each Server key, and
 * DisabledByDefault=1 for 1.0 and 1.1 (the pair Microsoft's "TLS, DTLS, and SSL protocol version
 * settings" page documents for disabling a version), which enable-tls must leave alone.
 */
const tlsSwitchedOff = () => ({
  tls: { 'TLS 1.0': 0, 'TLS 1.1': 0, 'TLS 1.2': 0 },
  schannelServerOther: {
    'TLS 1.0': { DisabledByDefault: 1 },
    'TLS 1.1': { DisabledByDefault: 1 },
    'TLS 1.2': {},
  },
});

/**
 * Simulated VMs by name. Each scenario is one of the article's situations (or an Azure
 * situation the agent must handle), built from the healthy state.
 */
export const Scenarios: Record<string, (now: Date) => WindowsVmState> = {
  'sim-healthy': (now) => healthyVmState(now),
  'sim-port-stoppable': (now) => ({
    ...healthyVmState(now),
    ...PortTaken,
    portOwner: { process: 'svchost', pid: 2210, services: ['W3SVC'], acceptStop: true },
  }),
  // IP Helper's port proxy (netsh interface portproxy) on the RDP port, in an svchost it shares with
  // other services: on a VM with less than 3.5 GB of memory Windows still groups services in one
  // svchost (learn.microsoft.com/windows/application-management/svchost-service-refactoring).
  'sim-port-shared-svchost': (now) => ({
    ...healthyVmState(now),
    ...PortTaken,
    portOwner: {
      process: 'svchost',
      pid: 1312,
      services: ['iphlpsvc', 'Themes', 'ShellHWDetection'],
      acceptStop: true,
    },
  }),
  // As sim-port-unstoppable, and the firewall rule RDP needs is gone: the port change must fail whole.
  'sim-port-no-firewall-rule': (now) => ({
    ...healthyVmState(now),
    ...PortTaken,
    portOwner: { process: 'legacyagent', pid: 3304, services: ['LegacyAgent'], acceptStop: false },
    firewallRuleMissing: true,
  }),
  // A vendor service that does not accept a stop request (Win32_Service.AcceptStop false).
  'sim-port-unstoppable': (now) => ({
    ...healthyVmState(now),
    ...PortTaken,
    portOwner: { process: 'legacyagent', pid: 3304, services: ['LegacyAgent'], acceptStop: false },
  }),
  // A service that accepts a stop, but Stop-Service fails anyway: the article's fallback, move the port.
  'sim-port-stop-fails': (now) => ({
    ...healthyVmState(now),
    ...PortTaken,
    portOwner: {
      process: 'vendorsync',
      pid: 3412,
      services: ['VendorSync'],
      acceptStop: true,
      stopFails:
        "Service 'VendorSync (VendorSync)' cannot be stopped due to the following error: Cannot stop VendorSync service on computer '.'.",
    },
  }),
  'sim-rdp-stopped': (now) => ({ ...healthyVmState(now), termService: 'Stopped' }),
  'sim-cert-expired': (now) => ({ ...healthyVmState(now), certificate: ExpiredCertificate }),
  'sim-machinekeys': (now) => ({
    ...healthyVmState(now),
    machineKeysMissing: [...RequiredMachineKeysGrants.slice(0, 2)],
  }),
  'sim-tls-disabled': (now) => ({ ...healthyVmState(now), ...tlsSwitchedOff() }),
  'sim-tls-gpo': (now) => ({
    ...healthyVmState(now),
    tls: { 'TLS 1.0': 0, 'TLS 1.1': 0, 'TLS 1.2': 0 },
    gpoDisablesTls: true,
    domainJoined: true,
  }),
  'sim-all-three': (now) => ({
    ...healthyVmState(now),
    certificate: ExpiredCertificate,
    machineKeysMissing: ['NT AUTHORITY\\NETWORK SERVICE'],
    tls: { 'TLS 1.0': 0, 'TLS 1.1': 0, 'TLS 1.2': 0 },
  }),
  'sim-agent-down': (now) => ({ ...healthyVmState(now), agentReady: false }),
  'sim-deallocated': (now) => ({ ...healthyVmState(now), power: 'deallocated', agentReady: false }),
  // The diagnostic never ends (its RDP probe waits forever): only a time limit frees the VM.
  'sim-hung': (now) => ({ ...healthyVmState(now), hangsIn: ['diagnose'] }),
};

export const ScenarioNames = Object.keys(Scenarios);

/**
 * The scenario of a VM name: the name itself, or a scenario name followed by `-<suffix>`
 * (`sim-all-three-42`), so that many VMs can share one scenario.
 */
export function scenarioFor(vmName: string): ((now: Date) => WindowsVmState) | undefined {
  if (Scenarios[vmName]) return Scenarios[vmName];
  const match = ScenarioNames.filter((s) => vmName.startsWith(`${s}-`)).sort(
    (a, b) => b.length - a.length,
  )[0];
  return match ? Scenarios[match] : undefined;
}

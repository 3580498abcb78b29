import { healthyVmState, NoEvents, type SimulatedCertificate, type WindowsVmState } from './windows-vm';

/** The Remote Desktop certificate of a VM nobody looked after since early 2024. */
const ExpiredCertificate: SimulatedCertificate = {
  thumbprint: '9A8B7C6D5E4F30211203A4B5C6D7E8F901234567',
  notAfter: '2024-01-31T10:00:00Z',
  hasPrivateKey: true,
  keyAccess: 'readable',
};

/**
 * The article's MachineKeys case as Windows shows it: the listener's key file denies NETWORK
 * SERVICE, so Schannel cannot open the private key and logs 36870 at every attempt ("Troubleshoot
 * Azure VM RDP connection issues by Event ID", learn.microsoft.com/troubleshoot/azure/virtual-machines/event-id-troubleshoot-vm-rdp-connecton).
 */
const keyDenied = (now: Date): Pick<WindowsVmState, 'certificate'> => ({
  certificate: {
    ...(healthyVmState(now).certificate as SimulatedCertificate),
    keyAccess: 'networkServiceDenied',
  },
});

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
    ...keyDenied(now),
    events: { ...NoEvents, schannel36870: 14 },
  }),
  // The same ACL with no event in the last 24 hours (nobody tried, or the log rolled over): the
  // key file's ACL alone is the proof.
  'sim-key-unreadable': (now) => ({ ...healthyVmState(now), ...keyDenied(now) }),
  // The certificate says it has a key, but the key file is gone (Keyset does not exist).
  'sim-key-missing': (now) => ({
    ...healthyVmState(now),
    certificate: { ...(healthyVmState(now).certificate as SimulatedCertificate), keyAccess: 'missing' },
    events: { ...NoEvents, schannel36870: 3 },
  }),
  'sim-tls-disabled': (now) => ({
    ...healthyVmState(now),
    ...tlsSwitchedOff(),
    events: { ...NoEvents, schannel36874: 9 },
  }),
  // Enabled is absent (the OS default) but DisabledByDefault=1: a server that asks for the
  // default protocols, as TermService does, gets none ("TLS registry settings", DisabledByDefault).
  'sim-tls-disabled-by-default': (now) => ({
    ...healthyVmState(now),
    schannelServerOther: {
      'TLS 1.0': { DisabledByDefault: 1 },
      'TLS 1.1': { DisabledByDefault: 1 },
      'TLS 1.2': { DisabledByDefault: 1 },
    },
  }),
  'sim-tls-gpo': (now) => ({
    ...healthyVmState(now),
    ...tlsSwitchedOff(),
    gpoDisablesTls: true,
    domainJoined: true,
  }),
  'sim-all-three': (now) => ({
    ...healthyVmState(now),
    certificate: { ...ExpiredCertificate, keyAccess: 'networkServiceDenied' },
    ...tlsSwitchedOff(),
    events: { ...NoEvents, schannel36870: 14, tsRcm1058: 2 },
  }),
  // Remote Desktop switched off (System Properties > Remote: fDenyTSConnections=1): the RDP-Tcp
  // listener does not listen ("Troubleshoot an RDP general error in Azure VM", learn.microsoft.com/troubleshoot/azure/virtual-machines/windows/troubleshoot-rdp-general-error).
  'sim-rdp-disabled': (now) => ({
    ...healthyVmState(now),
    rdp: { ...healthyVmState(now).rdp, fDenyTSConnections: 1 },
  }),
  // TermService set to Disabled: nothing starts it, not even a restart.
  'sim-termservice-disabled': (now) => ({
    ...healthyVmState(now),
    termService: 'Stopped',
    termServiceStart: 'Disabled',
  }),
  // Get-Acl on the MachineKeys folder is refused even to SYSTEM: nothing can be said about the
  // folder, and the listener's own key file still reads fine: no cause, one "could not check".
  'sim-machinekeys-unreadable': (now) => ({
    ...healthyVmState(now),
    failingChecks: { 'machineKeys/folder': 'Attempted to perform an unauthorized operation.' },
  }),
  // A CA certificate pinned for the listener (SSLCertificateSHA1Hash) while the Remote Desktop
  // store still holds an expired self-signed one that nothing uses: no certificate cause.
  'sim-pinned-cert': (now) => ({
    ...healthyVmState(now),
    certificate: ExpiredCertificate,
    pinnedCertificate: {
      thumbprint: '5B1D0C4E8A7F6392A1B2C3D4E5F60718293A4B5C',
      notAfter: new Date(now.getTime() + 365 * 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      hasPrivateKey: true,
      keyAccess: 'readable',
    },
  }),
  'sim-agent-down': (now) => ({ ...healthyVmState(now), agentReady: false }),
  // The agent is down and an article cause is on the disk: only the offline repair reaches it
  // (rescue-disks.ts gives the disk traits: generation 2, BitLocker, a swap Azure refuses).
  'sim-agent-down-cert': (now) => ({
    ...healthyVmState(now),
    ...keyDenied(now),
    events: { ...NoEvents, schannel36870: 6 },
    agentReady: false,
  }),
  'sim-agent-down-tls': (now) => ({
    ...healthyVmState(now),
    ...tlsSwitchedOff(),
    events: { ...NoEvents, schannel36874: 9 },
    agentReady: false,
  }),
  'sim-agent-down-nla': (now) => ({
    ...healthyVmState(now),
    nla: { userAuthentication: 0, securityLayer: 0 },
    agentReady: false,
  }),
  'sim-agent-down-encrypted': (now) => ({ ...healthyVmState(now), ...keyDenied(now), agentReady: false }),
  'sim-agent-down-gen2': (now) => ({ ...healthyVmState(now), ...tlsSwitchedOff(), agentReady: false }),
  'sim-agent-down-zonal': (now) => ({ ...healthyVmState(now), ...tlsSwitchedOff(), agentReady: false }),
  'sim-agent-down-swap-fails': (now) => ({ ...healthyVmState(now), ...keyDenied(now), agentReady: false }),
  // TLS switched off, and the restart after the fix never brings the agent back: the offline
  // repair is offered (restart-failed) with RDPFIX_RESCUE=true.
  'sim-tls-agent-lost': (now) => ({
    ...healthyVmState(now),
    ...tlsSwitchedOff(),
    events: { ...NoEvents, schannel36874: 9 },
    agentLostOnRestart: true,
  }),
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
  const name = scenarioNameFor(vmName);
  return name ? Scenarios[name] : undefined;
}

/** The name of the scenario `scenarioFor` picks for a VM name. */
export function scenarioNameFor(vmName: string): string | undefined {
  if (Scenarios[vmName]) return vmName;
  return ScenarioNames.filter((s) => vmName.startsWith(`${s}-`)).sort((a, b) => b.length - a.length)[0];
}

/**
 * Who holds the RDP port and whether Stop-Service can free it: the rules diagnose.ps1 applies
 * (`Get-PortOwner`), on the simulated VM's facts. Where this and the script disagree, the script
 * (Windows) is right; test/simulator/port-owner.test.ts holds the service list to the script's.
 */

/** A process listening on the RDP port in place of TermService. */
export interface PortOwner {
  process: string;
  pid: number;
  /** Services hosted in the process (Win32_Service where ProcessId = pid); none for a plain program. */
  services: string[];
  /**
   * Win32_Service.AcceptStop of the hosted services: "Indicates whether the service can be
   * stopped" (learn.microsoft.com/windows/win32/cimwin32prov/win32-service), i.e.
   * SERVICE_ACCEPT_STOP in the service's SERVICE_STATUS.dwControlsAccepted.
   */
  acceptStop: boolean;
  /** Stop-Service fails anyway (a stop that times out): the Stop-Service error text. */
  stopFails?: string;
  /** Running services that depend on the hosted service (Get-Service -DependentServices). */
  runningDependents?: string[];
}

/**
 * Services whose stop takes Windows, Remote Desktop or the Azure VM agent down: the "Do not
 * disable" entries of Microsoft's "Guidance on disabling system services on Windows Server 2016
 * with Desktop Experience" that live in svchost or lsass, plus the agent that runs Run Command.
 * The same list as `$CriticalServices` in diagnose.ps1 and verify.ps1.
 */
export const CriticalServices = [
  'RpcSs',
  'RpcEptMapper',
  'DcomLaunch',
  'LSM',
  'TermService',
  'SessionEnv',
  'UmRdpService',
  'SamSs',
  'KeyIso',
  'Netlogon',
  'EventLog',
  'PlugPlay',
  'Power',
  'BrokerInfrastructure',
  'SystemEventsBroker',
  'Schedule',
  'Winmgmt',
  'gpsvc',
  'ProfSvc',
  'CryptSvc',
  'BFE',
  'MpsSvc',
  'Dhcp',
  'Dnscache',
  'NlaSvc',
  'nsi',
  'LanmanServer',
  'LanmanWorkstation',
  'W32Time',
  'WinRM',
  'WindowsAzureGuestAgent',
  'RdAgent',
] as const;

/** PID 4 is the System process: kernel listeners such as HTTP.sys, no service to stop by name. */
const SystemPid = 4;

/** Why Stop-Service cannot free the port, or null when it can (diagnose.ps1's wording). */
export function notStoppableBecause(owner: PortOwner): string | null {
  if (owner.pid === SystemPid) return 'PID 4 is the System process (HTTP.sys or another kernel listener)';
  if (owner.services.length === 0) return `${owner.process} is not a service`;
  // PowerShell's -contains compares case-insensitively, as service names are.
  const critical = owner.services.filter((s) =>
    CriticalServices.some((c) => c.toLowerCase() === s.toLowerCase()),
  );
  if (critical.length > 0) return `${critical.join(', ')} must keep running (core Windows service)`;
  if (!owner.acceptStop)
    return `${owner.services.join(', ')} does not accept a stop request (AcceptStop false)`;
  return null;
}

/** The `listener` object diagnose.ps1 prints for a port owner. */
export function portOwnerEvidence(owner: PortOwner) {
  const why = notStoppableBecause(owner);
  return {
    pid: owner.pid,
    process: owner.process,
    services: [...owner.services],
    stoppable: why === null,
    notStoppableBecause: why,
    // Get-NetTCPConnection's LocalAddress of each listening socket: a program bound to every IPv4 address.
    addresses: ['0.0.0.0'],
  };
}

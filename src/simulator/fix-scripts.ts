import type { PortOwner } from './port-owner';
import { type TlsVersion, TlsVersions, type WindowsVmState } from './windows-vm';

/**
 * The fix scripts of Step 1 and Step 3 on the simulated VM: free-rdp-port.ps1,
 * change-rdp-port.ps1 and enable-tls.ps1, with the Windows behaviour each relies on (cited
 * where it is modelled). Each validates its parameters as the script does, applies its
 * effect, and returns the `data` the script prints, including the exact prior state it
 * changed so that a later undo can restore it.
 */

/** The VM state these scripts read and change beyond the diagnostic's fields. */
export interface FixScriptState {
  /**
   * TermService's RDP-Tcp listener holds the port. False while TermService runs but started
   * when another program held the port: Start-Service then does nothing (PowerShell's
   * DoStartService ignores ERROR_SERVICE_ALREADY_RUNNING), only a restart binds the port.
   */
  rdpListenerBound: boolean;
  /**
   * Values under SCHANNEL\Protocols\<version>\Server other than Enabled (which is `tls`), e.g.
   * DisabledByDefault; null while the key does not exist (nor does Enabled). They must survive
   * enable-tls: New-Item -Force on an existing key would delete them (PowerShell/PowerShell#5444).
   */
  schannelServerOther: Record<TlsVersion, Record<string, number> | null>;
  /**
   * The Windows firewall rule RemoteDesktop-UserMode-In-TCP is gone (deleted, or only a
   * Group Policy copy exists): Set-NetFirewallRule -Name then throws ObjectNotFound.
   */
  firewallRuleMissing: boolean;
}

export function healthyFixScriptState(): FixScriptState {
  return {
    rdpListenerBound: true,
    // No SCHANNEL protocol keys at all: the OS defaults (see healthyVmState).
    schannelServerOther: { 'TLS 1.0': null, 'TLS 1.1': null, 'TLS 1.2': null },
    firewallRuleMissing: false,
  };
}

export interface ScriptOutcome {
  ok: boolean;
  data: Record<string, unknown>;
  error?: string;
}

/** The RDP listener a script sees on the VM: who holds the port, or null. */
export type Listener = { pid: number; process: string; services: string[] } | null;

/** What the fix scripts need from the VM beyond its state. */
export interface FixScriptVm {
  state: WindowsVmState;
  listener(): Listener;
}

const FirewallRules = ['RemoteDesktop-UserMode-In-TCP', 'RemoteDesktop-UserMode-In-UDP'] as const;

/** The step ids this module runs. */
export const FixScriptIds = ['free-rdp-port', 'change-rdp-port', 'enable-tls'] as const;

export function isFixScript(id: string): id is (typeof FixScriptIds)[number] {
  return (FixScriptIds as readonly string[]).includes(id);
}

export function applyFixScript(
  id: (typeof FixScriptIds)[number],
  params: Record<string, string>,
  vm: FixScriptVm,
): ScriptOutcome {
  switch (id) {
    case 'free-rdp-port':
      return freeRdpPort(params, vm);
    case 'change-rdp-port':
      return changeRdpPort(params, vm);
    case 'enable-tls':
      return enableTls(params, vm.state);
  }
}

const failed = (data: Record<string, unknown>, error: string): ScriptOutcome => ({ ok: false, data, error });

function freeRdpPort(params: Record<string, string>, vm: FixScriptVm): ScriptOutcome {
  const s = vm.state;
  const name = params.ServiceName ?? '';
  if (name && !/^[A-Za-z0-9_.-]{1,80}$/.test(name)) throw new Error(`Invalid service name '${name}'`);
  const before = vm.listener();
  const data: Record<string, unknown> = {
    stoppedService: null,
    restartedTermService: false,
    rdpPort: s.rdpPort,
    listenerBefore: before,
    // Win32_Service Name, State and StartMode (TermService is Manual on Windows Server).
    termServiceBefore: { name: 'TermService', status: s.termService, startMode: 'Manual' },
  };
  const owner = s.portOwner;
  if (name && name.toLowerCase() !== 'termservice') {
    const holds = owner?.services.some((o) => o.toLowerCase() === name.toLowerCase()) ?? false;
    if (owner && !holds) {
      return failed(
        data,
        `${name} does not hold port ${s.rdpPort}: ${owner.process} (pid ${owner.pid}) does`,
      );
    }
    if (owner && holds) {
      const refused = whyNotStop(owner, name, s.rdpPort);
      if (refused) return failed(data, refused);
      data.serviceBefore = { name, status: 'Running' }; // the simulator does not model start modes
      // Stop-Service without -Force fails on a service that accepts no stop, or whose stop fails.
      if (!owner.acceptStop || owner.stopFails) {
        throw new Error(
          owner.stopFails ??
            `Service '${name} (${name})' cannot be stopped due to the following error: Cannot stop ${name} service on computer '.'.`,
        );
      }
      s.portOwner = null;
      data.stoppedService = name;
    }
  }
  if (!s.portOwner) {
    if (s.termService === 'Running' && !s.rdpListenerBound) data.restartedTermService = true;
    s.termService = 'Running';
    s.rdpListenerBound = true;
  }
  const listener = vm.listener();
  data.listener = listener;
  const ok = Boolean(listener?.services.includes('TermService'));
  return ok ? { ok, data } : failed(data, `TermService does not listen on port ${s.rdpPort}`);
}

/**
 * Why free-rdp-port.ps1 stops nothing: a process hosting several services (a shared svchost:
 * which one holds the port cannot be told from the process), or a service with running
 * dependents (Stop-Service -Force would stop them too; without -Force it refuses, PowerShell's
 * DoStopService "ServiceHasDependentServices").
 */
function whyNotStop(owner: PortOwner, name: string, port: number): string | null {
  if (owner.services.length > 1) {
    return `${owner.process} (pid ${owner.pid}) hosts ${owner.services.join(', ')}: which one holds port ${port} cannot be told from the process, so none is stopped; stop the right one yourself or move RDP to another port`;
  }
  const dependents = owner.runningDependents ?? [];
  if (dependents.length > 0) {
    return `Stopping ${name} would also stop the services that depend on it (${dependents.join(', ')}), so it is not stopped; stop them yourself if that is acceptable, or move RDP to another port`;
  }
  return null;
}

/**
 * change-rdp-port.ps1: the firewall rules first, then the port and a TermService restart; a
 * failure anywhere puts back what was changed. Set-NetFirewallRule on a missing rule throws
 * ObjectNotFound (NetSecurity's CIM cmdlets, learn.microsoft.com/powershell/module/netsecurity/set-netfirewallrule).
 */
function changeRdpPort(params: Record<string, string>, vm: FixScriptVm): ScriptOutcome {
  const s = vm.state;
  const port = Number(params.Port);
  if (!/^\d+$/.test(params.Port ?? '') || port < 1025 || port > 65535) {
    throw new Error(`Invalid port '${params.Port ?? ''}': expected 1025-65535`);
  }
  const previousFirewall = Object.fromEntries(
    FirewallRules.map((r) => [
      r,
      s.firewallRuleMissing && r.endsWith('TCP') ? null : [String(s.firewallPort)],
    ]),
  );
  const data: Record<string, unknown> = {
    previousPort: s.rdpPort,
    previousFirewall,
    termServiceBefore: { status: s.termService },
  };
  if (s.firewallRuleMissing) {
    // Nothing was changed before the firewall rule, so nothing is rolled back.
    return failed(
      { ...data, rolledBack: true },
      `No MSFT_NetFirewallRule objects found with property 'Name' equal to 'RemoteDesktop-UserMode-In-TCP'.  Verify the value of the property and retry.`,
    );
  }
  s.firewallPort = port;
  s.rdpPort = port;
  // The program that held the old port keeps it; RDP now listens on the new one.
  s.portOwner = null;
  s.termService = 'Running';
  s.rdpListenerBound = true;
  return { ok: true, data: { ...data, rdpPort: port, listening: true } };
}

/**
 * enable-tls.ps1: Server\Enabled=1 for the chosen versions, creating a key only where it is
 * missing, so the key's other values survive; Group Policy paused (gpsvc Start=4).
 */
function enableTls(params: Record<string, string>, s: WindowsVmState): ScriptOutcome {
  const versions = params.Versions ?? '1.2';
  const pause = params.PauseGroupPolicy ?? 'true';
  if (!['1.2', 'all'].includes(versions))
    throw new Error(`Invalid TLS versions '${versions}': expected 1.2 or all`);
  if (!['true', 'false'].includes(pause)) throw new Error(`Invalid PauseGroupPolicy '${pause}'`);
  const chosen: TlsVersion[] = versions === 'all' ? [...TlsVersions] : ['TLS 1.2'];
  const before = { ...s.tls };
  // The versions whose Server key did not exist: an undo deletes the key, not only the value.
  const createdServerKeys: TlsVersion[] = [];
  // DisabledByDefault=1 keeps a version from a server that asks for the defaults, as TermService
  // does ("TLS registry settings"): enable-tls sets it to 0 for the versions it enables and
  // records the value it replaced.
  const disabledByDefaultBefore: Partial<Record<TlsVersion, number>> = {};
  for (const v of chosen) {
    if (s.tls[v] === null && s.schannelServerOther[v] === null) {
      createdServerKeys.push(v);
      s.schannelServerOther[v] = {};
    }
    s.tls[v] = 1;
    const other = s.schannelServerOther[v];
    if (other?.DisabledByDefault === 1) {
      disabledByDefaultBefore[v] = 1;
      other.DisabledByDefault = 0;
    }
  }
  const data: Record<string, unknown> = {
    before,
    after: { ...s.tls },
    createdServerKeys,
    disabledByDefaultBefore,
  };
  if (pause === 'true') {
    data.gpsvcPreviousStart = s.gpsvcStart;
    // The first saved value is kept: running twice must not save the paused 4.
    s.gpsvcSavedStart ??= s.gpsvcStart;
    s.gpsvcStart = 4;
    data.gpsvcStart = 4;
  }
  return { ok: s.tls['TLS 1.2'] === 1, data };
}

import { createHash } from 'node:crypto';
import { ScriptMarker } from '../playbook/script-header';
import { evidenceOf, limitResultLine, limitStrings, rdpAllowed, rdpCanStart } from './evidence';
import { applyFixScript, type FixScriptState, healthyFixScriptState, isFixScript } from './fix-scripts';
import { restoreGroupPolicy } from './group-policy';
import type { PortOwner } from './port-owner';
import { enableRdp, resetKeyFileAcl } from './rdp-scripts';
import { assertIncidentId, changedSince, priorStateOf, type UndoEntry, undoChanges } from './undo-journal';

/**
 * A simulated Windows VM with the state the article talks about. Each playbook script is
 * recognised by its first line (`# rdp-fix-step: <id>`), its parameters are validated as the
 * script validates them, its effect is applied, and it prints exactly what the real script
 * prints: one `RDPFIX-RESULT:` line (the details go to a log file on the VM).
 */
export type { PortOwner } from './port-owner';

/** The fix scripts' own fields (rdpListenerBound, schannelServerOther, firewallRuleMissing) are in fix-scripts.ts. */
export interface WindowsVmState extends FixScriptState {
  power: 'running' | 'deallocated' | 'stopped';
  agentReady: boolean;
  rdpPort: number;
  /** Another program listening on the RDP port, or null. */
  portOwner: PortOwner | null;
  termService: 'Running' | 'Stopped';
  /** TermService's start type; Windows' default is Manual (it is started on demand). */
  termServiceStart: 'Manual' | 'Automatic' | 'Disabled';
  sessionEnv: 'Running' | 'Stopped';
  /** The self-signed certificate TermService keeps in LocalMachine\Remote Desktop. */
  certificate: SimulatedCertificate | null;
  /** A certificate pinned for the listener (SSLCertificateSHA1Hash) from LocalMachine\My: the listener uses it. */
  pinnedCertificate: SimulatedCertificate | null;
  tls: Record<TlsVersion, number | null>;
  /** fDenyTSConnections, local (Control\Terminal Server) and by policy; MinEncryptionLevel and LanAdapter of RDP-Tcp. */
  rdp: {
    fDenyTSConnections: number | null;
    policyDeny: number | null;
    minEncryptionLevel: number | null;
    lanAdapter: number | null;
  };
  /** System log counts in the last 24 hours (they stay after a fix: the log is history). */
  events: EventCounts;
  /** Checks of the evidence that fail on this VM (Get-Acl denied, WMI broken): check name to the error text. */
  failingChecks: Record<string, string>;
  gpsvcStart: number;
  /** %ProgramData%\rdp-fix\gpsvc-start.txt: the Start value enable-tls saved before pausing Group Policy. */
  gpsvcSavedStart: number | null;
  /** "sc.exe config gpsvc" is refused (exit code 5, access denied: gpsvc's security descriptor on some builds). */
  gpsvcConfigDenied: boolean;
  /** A domain GPO that disables TLS 1.2 whenever Group Policy applies. */
  gpoDisablesTls: boolean;
  nla: { userAuthentication: number; securityLayer: number };
  domainJoined: boolean;
  firewallPort: number;
  restarts: number;
  /** Counts renewals, so every new certificate gets a new thumbprint. */
  certificateSerial: number;
  /** Scripts (by step id) that never finish on this VM: they print a little, then hang. */
  hangsIn: string[];
  /**
   * The next restart leaves the VM agent down (the guest comes back without it, as with
   * VMAgentStatusCommunicationError); once only: a deallocate and start on a new host boots clean.
   */
  agentLostOnRestart?: boolean;
  /**
   * %ProgramData%\rdp-fix\undo: the prior state each changing script saved before it changed
   * anything (lib/undo-journal.ps1), oldest first; undo-changes.ps1 restores them newest first.
   */
  undoJournal: UndoEntry[];
}

export const TlsVersions = ['TLS 1.0', 'TLS 1.1', 'TLS 1.2'] as const;
export type TlsVersion = (typeof TlsVersions)[number];

/**
 * A certificate and its private key file. `keyAccess`: NETWORK SERVICE (TermService's account)
 * can read the key file; or an ACE denies it; or the file is gone while the certificate still
 * says it has a key (lib/evidence.ps1 `Get-KeyFile`).
 */
export interface SimulatedCertificate {
  thumbprint: string;
  notAfter: string;
  hasPrivateKey: boolean;
  keyAccess: 'readable' | 'networkServiceDenied' | 'missing';
}

/** The counts lib/evidence.ps1 `Get-EventCounts` reads from the System log. */
export interface EventCounts {
  schannel36870: number;
  schannel36871: number;
  schannel36874: number;
  schannel36888: number;
  tsRcm1057: number;
  tsRcm1058: number;
}

export const NoEvents: EventCounts = {
  schannel36870: 0,
  schannel36871: 0,
  schannel36874: 0,
  schannel36888: 0,
  tsRcm1057: 0,
  tsRcm1058: 0,
};

const TermServiceListener = { process: 'svchost', pid: 1048, services: ['TermService'] };

export function healthyVmState(now: Date): WindowsVmState {
  return {
    power: 'running',
    agentReady: true,
    rdpPort: 3389,
    portOwner: null,
    termService: 'Running',
    termServiceStart: 'Manual',
    sessionEnv: 'Running',
    certificate: {
      thumbprint: thumbprintFor(0),
      notAfter: addDays(now, 180),
      hasPrivateKey: true,
      keyAccess: 'readable',
    },
    pinnedCertificate: null,
    // No SCHANNEL protocol keys: Windows Server 2016-2025 then use their defaults, TLS 1.2 on
    // ("TLS registry settings", learn.microsoft.com/windows-server/security/tls/tls-registry-settings).
    tls: { 'TLS 1.0': null, 'TLS 1.1': null, 'TLS 1.2': null },
    // An Azure Windows image: RDP allowed (fDenyTSConnections 0), no policy, RDP-Tcp's
    // MinEncryptionLevel 2 (client compatible) and LanAdapter 0 (every adapter).
    rdp: { fDenyTSConnections: 0, policyDeny: null, minEncryptionLevel: 2, lanAdapter: 0 },
    events: { ...NoEvents },
    failingChecks: {},
    gpsvcStart: 2,
    gpsvcSavedStart: null,
    gpsvcConfigDenied: false,
    gpoDisablesTls: false,
    nla: { userAuthentication: 1, securityLayer: 2 },
    domainJoined: false,
    firewallPort: 3389,
    restarts: 0,
    certificateSerial: 0,
    hangsIn: [],
    undoJournal: [],
    ...healthyFixScriptState(),
  };
}

export interface ScriptRunResult {
  stdout: string;
  stderr: string;
  /** The script hung: this is what it printed before, and it changed nothing. */
  hung?: boolean;
}

/** Runs one playbook script against the VM state: validates, applies, prints. */
export class SimulatedWindowsVm {
  constructor(
    readonly name: string,
    public state: WindowsVmState,
    private readonly now: () => Date,
  ) {}

  /** Which script a text is, by its marker line; undefined for anything else. */
  static scriptIdOf(text: string): string | undefined {
    const first = text.split(/\r?\n/, 1)[0] ?? '';
    return first.startsWith(ScriptMarker) ? first.slice(ScriptMarker.length).trim() : undefined;
  }

  /** Whether a script never finishes on this VM (scenario sim-hung). */
  hangs(scriptText: string): boolean {
    return this.state.hangsIn.includes(SimulatedWindowsVm.scriptIdOf(scriptText) ?? '');
  }

  run(scriptText: string, params: Record<string, string>): ScriptRunResult {
    const id = SimulatedWindowsVm.scriptIdOf(scriptText);
    if (id && this.hangs(scriptText)) {
      // Stuck in its loopback probe: a listener that accepts TCP and never answers X.224.
      return {
        stdout: `rdp-fix ${id}: services, certificate and TLS read; probing 127.0.0.1:${this.state.rdpPort} (X.224)…\n`,
        stderr: '',
        hung: true,
      };
    }
    if (!id)
      return {
        stdout: '',
        stderr: 'The term is not recognized as the name of a cmdlet (not an rdp-fix script).',
      };
    const log = `C:\\ProgramData\\rdp-fix\\logs\\${id}-${stamp(this.now())}.log`;
    // diagnose.ps1 and verify.ps1 cut their line to fit Azure's 4,096-byte tail (lib/result-limit.ps1).
    const limited = id === 'diagnose' || id === 'verify';
    const print = (ok: boolean, data: Record<string, unknown>, error?: string) => {
      const render = (limit: number) =>
        `RDPFIX-RESULT: ${JSON.stringify({ step: id, ok, log, data: limitStrings(data, limit), ...(error ? { error: limitStrings(error, limit) } : {}) })}`;
      return { stdout: `${limited ? limitResultLine(render) : render(0)}\n`, stderr: '' };
    };
    try {
      const saved = priorStateOf(id, this.state, params);
      const outcome = this.apply(id, params);
      // Saved before the change; a run that changed nothing (or put everything back) leaves none,
      // and only a saved state is named in the result (lib/undo-journal.ps1's file).
      const { undoFile: _, ...data } = outcome.data as Record<string, unknown>;
      if (saved && changedSince(saved, this.state)) {
        this.state.undoJournal.push(saved);
        data.undoFile = `C:\\ProgramData\\rdp-fix\\undo\\${saved.incidentId}\\${stamp(this.now())}-${id}.json`;
      }
      return print(outcome.ok, data, outcome.error);
    } catch (err) {
      return print(false, {}, (err as Error).message);
    }
  }

  /** The evidence object the diagnostic script prints (DESIGN.md field names, contract version 2). */
  evidence(): Record<string, unknown> {
    return evidenceOf(this.state, this.now(), this.listener());
  }

  /** Restart: services come back, the certificate is recreated if missing, a GPO applies. */
  restart(): void {
    const s = this.state;
    s.restarts += 1;
    if (s.agentLostOnRestart) {
      s.agentLostOnRestart = false;
      s.agentReady = false;
    }
    s.termService = rdpCanStart(s) ? 'Running' : 'Stopped';
    s.sessionEnv = 'Running';
    // TermService makes itself a new self-signed certificate at start when it has none it can
    // use; without access to its key container it cannot (event 1057/1058, Event ID article).
    // TermService binds the port at start unless another program holds it.
    s.rdpListenerBound = !s.portOwner;
    if (!s.certificate && s.termService === 'Running') this.newCertificate();
    if (s.gpsvcStart !== 4) this.applyGroupPolicy();
  }

  listener() {
    const s = this.state;
    if (s.portOwner)
      return { pid: s.portOwner.pid, process: s.portOwner.process, services: [...s.portOwner.services] };
    return s.termService === 'Running' && s.rdpListenerBound && rdpAllowed(s)
      ? { ...TermServiceListener, services: [...TermServiceListener.services] }
      : null;
  }

  private applyGroupPolicy(): void {
    if (this.state.gpoDisablesTls) this.state.tls['TLS 1.2'] = 0;
  }

  private newCertificate(): void {
    const s = this.state;
    s.certificateSerial += 1;
    s.certificate = {
      thumbprint: thumbprintFor(s.certificateSerial),
      notAfter: addDays(this.now(), 180),
      hasPrivateKey: true,
      keyAccess: 'readable',
    };
  }

  protected apply(
    id: string,
    params: Record<string, string>,
  ): { ok: boolean; data: Record<string, unknown>; error?: string } {
    const s = this.state;
    // free-rdp-port, change-rdp-port and enable-tls live in fix-scripts.ts.
    if (isFixScript(id)) return applyFixScript(id, params, this);
    switch (id) {
      case 'diagnose':
        return { ok: true, data: this.evidence() };
      case 'enable-rdp':
        return enableRdp(s, () => this.listener());
      case 'renew-rdp-certificate': {
        const removed = s.certificate ? [s.certificate.thumbprint] : [];
        s.certificate = null;
        this.newCertificate();
        const cert = s.certificate as WindowsVmState['certificate'];
        return {
          ok: true,
          data: { removed, certificate: { present: true, ...cert, expired: false } },
        };
      }
      case 'reset-machinekeys-acl':
        return resetKeyFileAcl(s, stamp(this.now()));
      case 'undo-changes': {
        // As undo-changes.ps1: the saved changes first, newest first (all, or one step's), then
        // Group Policy back on when the TLS change went back.
        const step = params.Step ?? 'all';
        if (!/^(all|[a-z][a-z0-9-]{1,62})$/.test(step)) throw new Error(`Invalid step '${step}'`);
        const { restored } = undoChanges(s, assertIncidentId(params.IncidentId), step);
        const groupPolicy =
          step === 'all' || step === 'enable-tls'
            ? restoreGroupPolicy(s, () => this.applyGroupPolicy())
            : null;
        const data = { step, restored, failed: [], groupPolicy };
        const error = groupPolicy?.error ? `Not restored: Group Policy: ${groupPolicy.error}` : undefined;
        return { ok: !error, data, ...(error ? { error } : {}) };
      }
      case 'restore-group-policy': {
        const gp = restoreGroupPolicy(s, () => this.applyGroupPolicy());
        const status = s.gpsvcStart === 4 ? 'Stopped' : 'Running';
        const data = { ...gp, start: s.gpsvcStart, status };
        return { ok: !gp.error, data, ...(gp.error ? { error: gp.error } : {}) };
      }
      case 'verify': {
        const groupPolicy = restoreGroupPolicy(s, () => this.applyGroupPolicy());
        const data = { ...this.evidence(), groupPolicy };
        const error = groupPolicy.error ? `Group Policy is still paused: ${groupPolicy.error}` : undefined;
        return { ok: !error, data, ...(error ? { error } : {}) };
      }
      default:
        throw new Error(`The simulator does not know the script "${id}"`);
    }
  }
}

function thumbprintFor(serial: number): string {
  return createHash('sha1').update(`rdp-cert-${serial}`).digest('hex').toUpperCase();
}

function addDays(now: Date, days: number): string {
  return new Date(now.getTime() + days * 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function stamp(now: Date): string {
  return now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

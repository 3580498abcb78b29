import { createHash } from 'node:crypto';
import { ScriptMarker } from '../playbook/script-header';
import { applyFixScript, type FixScriptState, healthyFixScriptState, isFixScript } from './fix-scripts';
import { restoreGroupPolicy } from './group-policy';
import { type PortOwner, portOwnerEvidence } from './port-owner';
import { probeRdp } from './rdp-probe';

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
  sessionEnv: 'Running' | 'Stopped';
  certificate: { thumbprint: string; notAfter: string; hasPrivateKey: boolean } | null;
  machineKeysMissing: string[];
  tls: Record<TlsVersion, number | null>;
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
}

export const TlsVersions = ['TLS 1.0', 'TLS 1.1', 'TLS 1.2'] as const;
export type TlsVersion = (typeof TlsVersions)[number];
export const RequiredMachineKeysGrants = [
  'NT AUTHORITY\\SYSTEM',
  'NT AUTHORITY\\NETWORK SERVICE',
  'BUILTIN\\Administrators',
] as const;

const TermServiceListener = { process: 'svchost', pid: 1048, services: ['TermService'] };

export function healthyVmState(now: Date): WindowsVmState {
  return {
    power: 'running',
    agentReady: true,
    rdpPort: 3389,
    portOwner: null,
    termService: 'Running',
    sessionEnv: 'Running',
    certificate: { thumbprint: thumbprintFor(0), notAfter: addDays(now, 180), hasPrivateKey: true },
    machineKeysMissing: [],
    tls: { 'TLS 1.0': null, 'TLS 1.1': null, 'TLS 1.2': 1 },
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
    const print = (ok: boolean, data: Record<string, unknown>, error?: string) => ({
      stdout: `RDPFIX-RESULT: ${JSON.stringify({ step: id, ok, log, data, ...(error ? { error } : {}) })}\n`,
      stderr: '',
    });
    try {
      const outcome = this.apply(id, params);
      return print(outcome.ok, outcome.data, outcome.error);
    } catch (err) {
      return print(false, {}, (err as Error).message);
    }
  }

  /** The evidence object the diagnostic script prints (DESIGN.md field names). */
  evidence(): Record<string, unknown> {
    const s = this.state;
    const cert = s.certificate;
    return {
      rdpPort: s.rdpPort,
      listener: s.portOwner ? portOwnerEvidence(s.portOwner) : this.listener(),
      services: {
        TermService: { status: s.termService, startType: 'Manual' },
        SessionEnv: { status: s.sessionEnv, startType: 'Manual' },
        gpsvc: { status: s.gpsvcStart === 4 ? 'Stopped' : 'Running', start: s.gpsvcStart },
      },
      certificate: cert
        ? {
            present: true,
            thumbprint: cert.thumbprint,
            notAfter: cert.notAfter,
            expired: Date.parse(cert.notAfter) < this.now().getTime(),
            hasPrivateKey: cert.hasPrivateKey,
          }
        : { present: false, thumbprint: null, notAfter: null, expired: null, hasPrivateKey: null },
      machineKeys: { aclOk: s.machineKeysMissing.length === 0, missing: [...s.machineKeysMissing] },
      tls: { ...s.tls },
      nla: { ...s.nla },
      probe: probeRdp(s, s.termService === 'Running'),
      domainJoined: s.domainJoined,
    };
  }

  /** Restart: services come back, the certificate is recreated if missing, a GPO applies. */
  restart(): void {
    const s = this.state;
    s.restarts += 1;
    s.termService = 'Running';
    s.sessionEnv = 'Running';
    // TermService starts at boot and binds the port unless another program holds it.
    s.rdpListenerBound = !s.portOwner;
    if (!s.certificate && s.machineKeysMissing.length === 0) this.newCertificate();
    if (s.gpsvcStart !== 4) this.applyGroupPolicy();
  }

  listener() {
    const s = this.state;
    if (s.portOwner)
      return { pid: s.portOwner.pid, process: s.portOwner.process, services: [...s.portOwner.services] };
    return s.termService === 'Running' && s.rdpListenerBound
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
    };
  }

  private apply(
    id: string,
    params: Record<string, string>,
  ): { ok: boolean; data: Record<string, unknown>; error?: string } {
    const s = this.state;
    // free-rdp-port, change-rdp-port and enable-tls live in fix-scripts.ts.
    if (isFixScript(id)) return applyFixScript(id, params, this);
    switch (id) {
      case 'diagnose':
        return { ok: true, data: this.evidence() };
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
      case 'reset-machinekeys-acl': {
        const acl = (missing: string[]) =>
          RequiredMachineKeysGrants.filter((g) => !missing.includes(g))
            .map((g) => `C:\\ProgramData\\Microsoft\\Crypto\\RSA\\MachineKeys ${g}:(F)`)
            .join('\n');
        const beforeAcl = acl(s.machineKeysMissing);
        s.machineKeysMissing = [];
        return {
          ok: true,
          data: {
            beforeFile: `C:\\ProgramData\\rdp-fix\\acl\\MachineKeys-before-${stamp(this.now())}.txt`,
            afterFile: `C:\\ProgramData\\rdp-fix\\acl\\MachineKeys-after-${stamp(this.now())}.txt`,
            beforeAcl,
            afterAcl: acl([]),
          },
        };
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

function stamp(now: Date): string {
  return now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

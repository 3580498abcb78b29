import { portOwnerEvidence } from './port-owner';
import { probeRdp } from './rdp-probe';
import { type SimulatedCertificate, type TlsVersion, TlsVersions, type WindowsVmState } from './windows-vm';

/**
 * What lib/evidence.ps1 `Get-Evidence` prints on the simulated VM (shared/DESIGN.md, "Script
 * result contract", version 2). Where this and the script disagree, the script (Windows) is right.
 */
export function evidenceOf(
  s: WindowsVmState,
  now: Date,
  termServiceListener: { pid: number; process: string; services: string[] } | null,
): Record<string, unknown> {
  const failing = s.failingChecks;
  const evidence: Record<string, unknown> = { rdpPort: s.rdpPort };
  const listener = s.portOwner
    ? portOwnerEvidence(s.portOwner)
    : termServiceListener && {
        ...termServiceListener,
        stoppable: false,
        notStoppableBecause: 'TermService must keep running (core Windows service)',
        addresses: ['0.0.0.0', '::'],
      };
  if (!failing.listener) evidence.listener = listener;
  evidence.services = {
    TermService: {
      status: s.termService,
      startType: s.termServiceStart,
    },
    SessionEnv: { status: s.sessionEnv, startType: 'Manual' },
    gpsvc: { status: s.gpsvcStart === 4 ? 'Stopped' : 'Running', start: s.gpsvcStart },
  };
  if (!failing.certificate) {
    const { cert, source } = listenerCertificate(s);
    if (cert) {
      const readable = cert.keyAccess === 'readable';
      const found = cert.keyAccess !== 'missing';
      evidence.certificate = {
        present: true,
        thumbprint: cert.thumbprint,
        notAfter: cert.notAfter,
        expired: Date.parse(cert.notAfter) < now.getTime(),
        hasPrivateKey: cert.hasPrivateKey,
        source,
        keyFile: { found, readable, path: found ? keyFilePath(s, cert) : null },
      };
      evidence.machineKeys = {
        aclOk: found && readable,
        missing: readable ? [] : ['S-1-5-20'],
        deniedTo: cert.keyAccess === 'networkServiceDenied' ? ['S-1-5-20'] : [],
      };
    } else {
      evidence.certificate = {
        present: false,
        thumbprint: null,
        notAfter: null,
        expired: null,
        hasPrivateKey: null,
        source: 'none',
      };
    }
  }
  if (!failing.tls) {
    evidence.tls = { ...s.tls };
    evidence.tlsDisabledByDefault = Object.fromEntries(TlsVersions.map((v) => [v, disabledByDefault(s, v)]));
  }
  evidence.nla = { ...s.nla };
  evidence.rdp = { ...s.rdp };
  if (!failing.events) {
    // Get-EventCounts prints the time to the second, in UTC ("yyyy-MM-dd'T'HH:mm:ss'Z'").
    evidence.events = {
      since: new Date(now.getTime() - 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      ...s.events,
    };
  }
  evidence.probe = probeRdp(s, termServiceListener !== null);
  evidence.domainJoined = s.domainJoined;
  evidence.unknown = { ...failing };
  return evidence;
}

/**
 * The certificate the listener uses: the one pinned by SSLCertificateSHA1Hash (from
 * LocalMachine\My), else TermService's self-signed one in LocalMachine\Remote Desktop.
 */
export function listenerCertificate(s: WindowsVmState): {
  cert: SimulatedCertificate | null;
  source: 'pinned' | 'remote-desktop-store' | 'none';
} {
  if (s.pinnedCertificate) return { cert: s.pinnedCertificate, source: 'pinned' };
  if (s.certificate) return { cert: s.certificate, source: 'remote-desktop-store' };
  return { cert: null, source: 'none' };
}

/**
 * A CryptoAPI machine key file: MachineKeys\<container hash>_<MachineGuid>. TermService's
 * self-signed certificate keeps its key in the container whose file starts f686aace… (shared/ARTICLE.md);
 * a pinned certificate's key has a container of its own.
 */
export function keyFilePath(s: WindowsVmState, cert: SimulatedCertificate): string {
  const container =
    cert === s.pinnedCertificate ? cert.thumbprint.slice(0, 32).toLowerCase() : SelfSignedContainer;
  return `C:\\ProgramData\\Microsoft\\Crypto\\RSA\\MachineKeys\\${container}_${MachineGuid}`;
}

const SelfSignedContainer = 'f686aace6942fb7f7ceb231212eef4a4';
/** HKLM\SOFTWARE\Microsoft\Cryptography MachineGuid of the simulated VM. */
const MachineGuid = '8f4c2b1e-5d3a-4e6f-9a7b-0c1d2e3f4a5b';

/** Whether Windows lets RDP connections in: fDenyTSConnections 0 locally and by policy (the policy wins). */
export function rdpAllowed(s: WindowsVmState): boolean {
  return s.rdp.policyDeny !== 1 && (s.rdp.policyDeny === 0 || s.rdp.fDenyTSConnections !== 1);
}

/** Whether TermService can start: a Disabled service is not started by anything. */
export function rdpCanStart(s: WindowsVmState): boolean {
  return s.termServiceStart !== 'Disabled';
}

/**
 * The result line cut to fit Azure's 4,096-byte output tail: lib/result-limit.ps1 `Limit-ResultLine`
 * and `Limit-Strings` (every string cut to 200, 120, 60, then 24 characters, every list to 8
 * items, until the line is at most 3,900 bytes).
 */
export function limitResultLine(render: (limit: number) => string, budget = 3900): string {
  let line = render(0);
  for (const limit of [200, 120, 60, 24]) {
    if (Buffer.byteLength(line, 'utf8') <= budget) return line;
    line = render(limit);
  }
  return line;
}

/** A copy with every string longer than `limit` cut to it (ending in "...") and every list to 8 items. */
export function limitStrings(value: unknown, limit: number): unknown {
  if (value === null || value === undefined || limit <= 0) return value;
  if (typeof value === 'string') return value.length > limit ? `${value.slice(0, limit - 3)}...` : value;
  if (Array.isArray(value)) return value.slice(0, 8).map((v) => limitStrings(v, limit));
  if (typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, limitStrings(v, limit)]));
  }
  return value;
}

/** SCHANNEL\Protocols\<version>\Server DisabledByDefault; null when absent (the OS default). */
export function disabledByDefault(s: WindowsVmState, version: TlsVersion): number | null {
  return s.schannelServerOther[version]?.DisabledByDefault ?? null;
}

import { disabledByDefault, listenerCertificate } from './evidence';
import type { WindowsVmState } from './windows-vm';

/** What diagnose.ps1's `Test-RdpListener` prints: a client's view of 127.0.0.1:<rdpPort>. */
export interface RdpProbe {
  tcp: boolean;
  x224: boolean;
  tls: string | null;
  thumbprint: string | null;
  error: string | null;
}

const Versions = ['TLS 1.2', 'TLS 1.1', 'TLS 1.0'] as const;

/**
 * The probe on the simulated VM. TermService answers X.224 with TLS when SCHANNEL has a server
 * version enabled (a value of 0 disables it; unset is the OS default, enabled), it has a
 * certificate (the pinned one, else the self-signed one) and NETWORK SERVICE can read its key (otherwise Schannel logs 36870 and the
 * handshake fails, the article's cause 1). The client offers TLS 1.0 to 1.2 and gets the highest.
 */
export function probeRdp(s: WindowsVmState, termServiceListens: boolean): RdpProbe {
  const none = { tls: null, thumbprint: null };
  if (!s.portOwner && !termServiceListens) {
    return {
      tcp: false,
      x224: false,
      ...none,
      error: `No connection could be made because the target machine actively refused it 127.0.0.1:${s.rdpPort}`,
    };
  }
  if (s.portOwner) {
    return { tcp: true, x224: false, ...none, error: 'no X.224 Connection Confirm (not an RDP listener)' };
  }
  // A version is offered unless Enabled is 0 or DisabledByDefault is 1 (TermService asks for the
  // defaults: "TLS registry settings", learn.microsoft.com/windows-server/security/tls/tls-registry-settings).
  const version = Versions.find((v) => s.tls[v] !== 0 && disabledByDefault(s, v) !== 1);
  const { cert } = listenerCertificate(s);
  if (!version || !cert || cert.keyAccess !== 'readable') {
    return {
      tcp: true,
      x224: true,
      ...none,
      error: 'Authentication failed because the remote party has closed the transport stream.',
    };
  }
  return { tcp: true, x224: true, tls: version, thumbprint: cert.thumbprint, error: null };
}

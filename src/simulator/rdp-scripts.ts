import { keyFilePath, listenerCertificate, rdpCanStart } from './evidence';
import type { ScriptOutcome } from './fix-scripts';
import type { WindowsVmState } from './windows-vm';

/**
 * enable-rdp.ps1 and reset-machinekeys-acl.ps1 on the simulated VM: what Windows does to the
 * state, and the `data` each script prints (the scripts cite their sources).
 */

/**
 * enable-rdp.ps1: a denying policy changes nothing; else fDenyTSConnections 0, a Disabled
 * TermService back to Manual, started, and the listener checked.
 */
export function enableRdp(s: WindowsVmState, listener: () => unknown): ScriptOutcome {
  const before = {
    fDenyTSConnections: s.rdp.fDenyTSConnections,
    policyDeny: s.rdp.policyDeny,
    termServiceStartType: s.termServiceStart,
    termServiceStatus: s.termService,
  };
  if (s.rdp.policyDeny === 1) {
    throw new Error(
      'A Group Policy denies Remote Desktop connections (fDenyTSConnections=1 under Policies\\Microsoft\\Windows NT\\Terminal Services): change the policy "Allow users to connect remotely by using Remote Desktop Services"; a local change would not apply',
    );
  }
  s.rdp.fDenyTSConnections = 0;
  if (s.termServiceStart === 'Disabled') s.termServiceStart = 'Manual';
  s.termService = 'Running';
  const after = {
    fDenyTSConnections: 0,
    termServiceStartType: s.termServiceStart,
    termServiceStatus: s.termService,
  };
  const listening = listener() !== null;
  const data = { before, after, rdpPort: s.rdpPort, listening };
  return listening
    ? { ok: true, data }
    : { ok: false, data, error: `TermService runs but nothing listens on port ${s.rdpPort}` };
}

/**
 * reset-machinekeys-acl.ps1: the listener's key file only, by SID; a missing file is the
 * certificate's fix (renew), not this one's.
 */
export function resetKeyFileAcl(s: WindowsVmState, stamp: string): ScriptOutcome {
  const { cert } = listenerCertificate(s);
  if (!cert) throw new Error('The RDP listener has no certificate: renew it instead');
  if (cert.keyAccess === 'missing') {
    throw new Error(
      `The key file of certificate ${cert.thumbprint} does not exist: renew the certificate instead`,
    );
  }
  const beforeSddl = cert.keyAccess === 'networkServiceDenied' ? DeniedKeySddl : ReadableKeySddl;
  cert.keyAccess = 'readable';
  s.termService = rdpCanStart(s) ? 'Running' : 'Stopped';
  const keyFile = keyFilePath(s, cert);
  return {
    ok: true,
    data: {
      keyFile,
      beforeFile: `C:\\ProgramData\\rdp-fix\\acl\\${keyFile.split('\\').at(-1)}-before-${stamp}.sddl`,
      beforeSddl,
      afterSddl: ReadableKeySddl,
      readable: true,
    },
  };
}

/**
 * The key file's ACL as Get-Acl's SDDL prints it (SID strings: SY LocalSystem, BA Administrators,
 * NS Network Service; learn.microsoft.com/windows/win32/secauthz/sid-strings): a deny ACE for
 * NETWORK SERVICE before the repair, the grants of the article's Step 2.3 after.
 */
const DeniedKeySddl = 'O:SYG:SYD:(D;;FR;;;NS)(A;;FA;;;SY)(A;;FA;;;BA)';
const ReadableKeySddl = 'O:SYG:SYD:(A;;FA;;;SY)(A;;FA;;;BA)(A;;FR;;;NS)';

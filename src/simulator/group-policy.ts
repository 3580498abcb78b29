import type { WindowsVmState } from './windows-vm';

/** The `groupPolicy` object verify.ps1 prints (restore-group-policy.ps1 prints the same fields). */
export interface GroupPolicyRestore {
  wasPaused: boolean;
  savedStart: number | null;
  restored: boolean;
  gpupdateExitCode: number | null;
  error: string | null;
}

/**
 * `Restore-GroupPolicy` of verify.ps1 and restore-group-policy.ps1 on the simulated VM: with the
 * start value enable-tls saved, "sc.exe config gpsvc start= <it>" (an unknown value as auto),
 * then, unless gpsvc was disabled before, "sc start gpsvc" and "gpupdate /force" (which applies
 * a domain policy at once); the saved file is removed. Without a saved value nothing changes.
 * sc.exe config and not a registry write: the service control manager keeps the start type it
 * read at boot, and only ChangeServiceConfig updates it before the next restart.
 */
export function restoreGroupPolicy(s: WindowsVmState, gpupdate: () => void): GroupPolicyRestore {
  const gp: GroupPolicyRestore = {
    wasPaused: s.gpsvcSavedStart !== null,
    savedStart: null,
    restored: false,
    gpupdateExitCode: null,
    error: null,
  };
  if (s.gpsvcSavedStart === null) return gp;
  const value = [2, 3, 4].includes(s.gpsvcSavedStart) ? s.gpsvcSavedStart : 2;
  gp.savedStart = value;
  if (s.gpsvcConfigDenied) {
    gp.error = 'sc.exe config gpsvc failed with exit code 5';
    return gp;
  }
  s.gpsvcStart = value;
  if (value !== 4) {
    gpupdate();
    gp.gpupdateExitCode = 0;
  }
  s.gpsvcSavedStart = null;
  gp.restored = true;
  return gp;
}

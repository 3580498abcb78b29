import type { WindowsVmState } from './windows-vm';

/**
 * The undo journal on the simulated VM: what each changing script saves before it changes
 * anything (lib/undo-journal.ps1 writes one file per change), and undo-changes.ps1 putting those
 * fields back, newest change first. The fields are the ones each script changes on Windows.
 */
export interface UndoEntry {
  step: string;
  prior: Partial<WindowsVmState>;
}

const FieldsChangedBy: Record<string, readonly (keyof WindowsVmState)[]> = {
  'enable-tls': ['tls', 'schannelServerOther'],
  'change-rdp-port': ['rdpPort', 'firewallPort', 'portOwner', 'termService', 'rdpListenerBound'],
  'free-rdp-port': ['portOwner', 'termService', 'rdpListenerBound'],
  'reset-machinekeys-acl': ['certificate', 'pinnedCertificate', 'termService'],
  'enable-rdp': ['rdp', 'termServiceStart', 'termService'],
};

/** The fields a script is about to change, as they are now; undefined for a script that changes none. */
export function priorStateOf(step: string, s: WindowsVmState): UndoEntry | undefined {
  const fields = FieldsChangedBy[step];
  if (!fields) return undefined;
  const prior: Record<string, unknown> = {};
  for (const field of fields) prior[field] = structuredClone(s[field]);
  return { step, prior: prior as Partial<WindowsVmState> };
}

/** Whether the VM differs from a saved prior state in any of its fields. */
export function changedSince(entry: UndoEntry, s: WindowsVmState): boolean {
  return Object.entries(entry.prior).some(
    ([field, value]) => JSON.stringify(value) !== JSON.stringify(s[field as keyof WindowsVmState]),
  );
}

/** undo-changes.ps1: every saved change put back, newest first; the journal is empty after. */
export function undoChanges(s: WindowsVmState): { restored: string[] } {
  const restored: string[] = [];
  for (const entry of [...s.undoJournal].reverse()) {
    Object.assign(s, structuredClone(entry.prior));
    restored.push(entry.step);
  }
  s.undoJournal = [];
  return { restored };
}

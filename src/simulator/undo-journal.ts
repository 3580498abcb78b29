import type { WindowsVmState } from './windows-vm';

/**
 * The undo journal on the simulated VM: what each changing script saves before it changes
 * anything (lib/undo-journal.ps1 writes one file per change under undo\<incident id>), and
 * undo-changes.ps1 putting those fields back, newest change first, for one incident only. The
 * fields are the ones each script changes on Windows.
 */
export interface UndoEntry {
  incidentId: string;
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

/** The steps that keep an undo journal, hence declare `IncidentId`. */
export const JournaledSteps = Object.keys(FieldsChangedBy);

/** Get-UndoFolder's check of the engine-supplied incident id. */
export function assertIncidentId(id: string | undefined): string {
  if (!id || !/^[A-Za-z0-9-]{1,64}$/.test(id)) throw new Error(`Invalid incident id '${id ?? ''}'`);
  return id;
}

/**
 * The fields a script is about to change, as they are now; undefined for a script that saves
 * nothing (free-rdp-port saves only when it stops a service).
 */
export function priorStateOf(
  step: string,
  s: WindowsVmState,
  params: Record<string, string>,
): UndoEntry | undefined {
  const fields = FieldsChangedBy[step];
  if (!fields) return undefined;
  if (step === 'free-rdp-port' && !params.ServiceName) return undefined;
  const incidentId = assertIncidentId(params.IncidentId);
  const prior: Record<string, unknown> = {};
  for (const field of fields) prior[field] = structuredClone(s[field]);
  return { incidentId, step, prior: prior as Partial<WindowsVmState> };
}

/** Whether the VM differs from a saved prior state in any of its fields. */
export function changedSince(entry: UndoEntry, s: WindowsVmState): boolean {
  return Object.entries(entry.prior).some(
    ([field, value]) => JSON.stringify(value) !== JSON.stringify(s[field as keyof WindowsVmState]),
  );
}

/**
 * undo-changes.ps1: one incident's saved changes (all, or one step's) put back, newest first, and
 * their files removed. A step's saved fields are put back whole (a field another step changed
 * later, such as TermService's state, goes back to what this step found).
 */
export function undoChanges(s: WindowsVmState, incidentId: string, step = 'all'): { restored: string[] } {
  const restored: string[] = [];
  const chosen = (e: UndoEntry) => e.incidentId === incidentId && (step === 'all' || e.step === step);
  for (const entry of s.undoJournal.filter(chosen).reverse()) {
    Object.assign(s, structuredClone(entry.prior));
    restored.push(entry.step);
  }
  s.undoJournal = s.undoJournal.filter((e) => !chosen(e));
  return { restored };
}

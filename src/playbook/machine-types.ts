import type { User } from '../core/types';
import type { CauseFinding } from './evaluate-causes';
import type { Feature } from './schema';

/** A parameter value as passed to Run Command (always a string there) or an Azure action. */
export type ParamValue = string | number | boolean;
export type StepParams = Record<string, ParamValue>;

/** Who decided, and when (ISO 8601). Times come in with events: the machine reads no clock. */
export interface Decision {
  by: User;
  at: string;
}

/** What came back from a dispatched step. `unknown`: the process died and cannot tell whether it ran. */
export interface StepRunResult {
  outcome: 'ok' | 'failed' | 'unreadable' | 'unknown';
  data?: unknown;
  error?: StepError;
  log?: string;
}

/** Why a step failed; `action` is the ARM action a 403 named, so the next card can say what to grant. */
export interface StepError {
  code: string;
  message: string;
  action?: string;
}

/** `stopped`: stopped or deallocated (it can be started); `notRunning`: starting, stopping, provisioning. */
export type VmStatus = 'ready' | 'agentNotReady' | 'stopped' | 'notRunning' | 'notFound' | 'error';

/** The record of one step in the incident, latest attempt. */
export interface StepRecord {
  attempt: number;
  outcome?: string;
  approvedBy?: Decision;
  params?: StepParams;
  error?: StepError;
  /** What the step's result said (not for evidence steps): `results/<step>/…` defaults read it. */
  data?: unknown;
  /**
   * The step saved its prior state on the VM for an undo (a result naming its `undoFile`, even
   * a failed one) and no undo has put it back since: `undo <id> <step>` and the Undo button.
   */
  priorSaved?: boolean;
}

export type EndOutcome = 'resolved' | 'unresolved' | 'aborted' | 'expired' | 'failed';

export interface IncidentContext {
  incidentId: string;
  requester: User;
  /** Walk every step, whether or not the evidence asks for it. */
  walkAll: boolean;
  evidence: unknown | null;
  firstEvidence: unknown | null;
  causes: CauseFinding[];
  firstCauses: CauseFinding[] | null;
  steps: Record<string, StepRecord>;
  /** The step waiting for a person or running, with its attempt number. */
  current: { stepId: string; attempt: number } | null;
  outcome: EndOutcome | null;
  endReason: string | null;
  vmStatus: { status: VmStatus; detail?: string } | null;
  /**
   * Approved steps whose `undo` step is still owed (enable-tls paused Group Policy). Optional:
   * snapshots saved before undos existed have none.
   */
  owedUndo?: string[];
  /** The end an incident was heading for when an owed undo step was offered instead. */
  pendingEnd?: { outcome: EndOutcome; reason: string | null } | null;
  /** Features switched on when the incident opened (`rescue`); optional for snapshots from before. */
  features?: Feature[];
  /** `--offline`: go to the offline repair whatever the VM's state. */
  offline?: boolean;
  /** The one step an `UNDO` asked to undo (the undo step's `Step` default); absent: all of them. */
  undoStep?: string | null;
}

export interface IncidentInput {
  incidentId: string;
  requester: User;
  walkAll?: boolean;
  features?: Feature[];
  offline?: boolean;
}

export type IncidentEvent =
  | { type: 'VM_STATUS'; status: VmStatus; detail?: string }
  | { type: 'APPROVE'; stepId: string; attempt: number; decision: Decision; params: StepParams }
  | { type: 'SKIP'; stepId: string; attempt: number; decision: Decision }
  | { type: 'ANSWER'; stepId: string; attempt: number; answer: string; decision: Decision }
  | { type: 'STEP_RESULT'; stepId: string; attempt: number; result: StepRunResult }
  | { type: 'EXPIRE'; stepId: string; attempt: number; at: string }
  | { type: 'ABORT'; decision: Decision; reason?: string }
  | { type: 'UNDO'; decision: Decision; step?: string };

/** What the machine tells the engine about (messages, transcript). */
export type IncidentEmitted =
  | { type: 'stepAwaiting'; stepId: string; attempt: number; afterUnknown: boolean }
  | { type: 'stepNotApplicable'; stepId: string }
  | { type: 'stepFinished'; stepId: string; attempt: number; outcome: string; causes?: CauseFinding[] }
  | { type: 'incidentEnded'; outcome: EndOutcome; reason: string | null };

import type { Localized } from './types';

/**
 * Coded errors. Callers decide by `code`, never by message text; one error sink per
 * entry point turns a code into a message a person can act on.
 */
export const ErrorCodes = {
  PlaybookInvalid: 'PLAYBOOK_INVALID',
  IncidentNotFound: 'INCIDENT_NOT_FOUND',
  IncidentClosed: 'INCIDENT_CLOSED',
  NotAuthorised: 'NOT_AUTHORISED',
  StepNotCurrent: 'STEP_NOT_CURRENT',
  ApprovalExpired: 'APPROVAL_EXPIRED',
  InvalidParameter: 'INVALID_PARAMETER',
  InvalidAnswer: 'INVALID_ANSWER',
  InvalidCommand: 'INVALID_COMMAND',
  VersionConflict: 'VERSION_CONFLICT',
  VmNotFound: 'VM_NOT_FOUND',
  VmNotRunning: 'VM_NOT_RUNNING',
  VmAgentNotReady: 'VM_AGENT_NOT_READY',
  RunCommandConflict: 'RUN_COMMAND_CONFLICT',
  /** A script ran past its step's `timeoutSeconds`; Azure stopped it (managed Run Command). */
  RunCommandTimedOut: 'RUN_COMMAND_TIMED_OUT',
  OutputUnreadable: 'OUTPUT_UNREADABLE',
  AzureOperationFailed: 'AZURE_OPERATION_FAILED',
  AzureForbidden: 'AZURE_FORBIDDEN',
  AzureThrottled: 'AZURE_THROTTLED',
  VmAmbiguous: 'VM_AMBIGUOUS',
  InvalidVmName: 'INVALID_VM_NAME',
  TranscriptTampered: 'TRANSCRIPT_TAMPERED',
  LeaseLost: 'LEASE_LOST',
  ChatDeliveryFailed: 'CHAT_DELIVERY_FAILED',
  /** A script ran and reported its own failure (`ok: false` in its result line). */
  ScriptFailed: 'SCRIPT_FAILED',
  /** A changing step was sent but its fate is unknown (a crash mid-step): a person decides again. */
  OutcomeUnknown: 'OUTCOME_UNKNOWN',
  /** A decision given outside the incident's own platform and conversation (a replayed card). */
  WrongConversation: 'WRONG_CONVERSATION',
  /** The card's script hash is not the loaded playbook's script: a fresh card is posted. */
  ScriptChanged: 'SCRIPT_CHANGED',
  /** Two-person rule: the same approver approved twice; a different one must approve. */
  SecondApproverNeeded: 'SECOND_APPROVER_NEEDED',
  /** The VM already has an open incident (one at a time per VM, enforced by the store). */
  IncidentAlreadyOpen: 'INCIDENT_ALREADY_OPEN',
  /** The person has as many open incidents as `RDPFIX_MAX_OPEN_PER_USER` allows. */
  TooManyOpen: 'TOO_MANY_OPEN',
  /** A resource of a rescue name exists without the incident's tags: never adopted, changed or deleted. */
  RescueResourceNotOurs: 'RESCUE_RESOURCE_NOT_OURS',
  /** The offline repair cannot go on (no snapshot to copy, the copy still attached, an encrypted disk). */
  RescueBlocked: 'RESCUE_BLOCKED',
  /** The OS disk swap failed; the original disk was put back. */
  RescueSwapFailed: 'RESCUE_SWAP_FAILED',
  /** A fault that is not one of the above (a bug, a library's own error): logged, never decided on. */
  Unexpected: 'UNEXPECTED',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** Base of every rdp-fix error: a stable code, a human message, optional details. */
export class RdpFixError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RdpFixError';
  }
}

/**
 * A command a person may not give now (not an approver, an old card, a closed incident),
 * with the reason in each language: it is said to them, not logged as a failure.
 */
export class Refusal extends RdpFixError {
  constructor(
    code: ErrorCode,
    readonly text: Localized,
  ) {
    super(code, text.en);
    this.name = 'Refusal';
  }
}

/** One problem found in a playbook file, reported as `file: path: problem`. */
export interface PlaybookProblem {
  file: string;
  path: string;
  problem: string;
}

export class PlaybookInvalid extends RdpFixError {
  constructor(readonly problems: PlaybookProblem[]) {
    super(ErrorCodes.PlaybookInvalid, problems.map(formatProblem).join('\n'), { problems });
    this.name = 'PlaybookInvalid';
  }
}

export function formatProblem(p: PlaybookProblem): string {
  return `${p.file}: ${p.path || '(root)'}: ${p.problem}`;
}

export function isRdpFixError(err: unknown): err is RdpFixError {
  return err instanceof RdpFixError;
}

/**
 * What a thrown value says, whatever was thrown: an Error's message, the `message` of an
 * error-like object (SDKs reject with plain objects too), or the value as text.
 */
export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  const message = (err as { message?: unknown } | null | undefined)?.message;
  return typeof message === 'string' ? message : String(err);
}

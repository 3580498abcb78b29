import type { Risk, VmRef } from '../core/types';
import type { Decision, StepParams, VmStatus } from '../playbook/machine-types';
import type { RdpExposure } from './rdp-exposure';

declare const approvedBrand: unique symbol;

/**
 * A step a person approved: the only thing `VmOperations` accepts for anything that touches
 * the VM or Azure. Made only by `approveStep`, so an unapproved step cannot reach Azure.
 */
export interface ApprovedStep {
  readonly [approvedBrand]: true;
  readonly incidentId: string;
  readonly stepId: string;
  readonly attempt: number;
  readonly vm: VmRef;
  readonly risk: Risk;
  readonly params: StepParams;
  readonly approvedBy: Decision;
}

export function approveStep(step: Omit<ApprovedStep, typeof approvedBrand>): ApprovedStep {
  return Object.freeze({ ...step }) as ApprovedStep;
}

export interface ScriptToRun {
  /** File name, e.g. `diagnose.ps1`; its first line is `# rdp-fix-step: <id>`. */
  name: string;
  text: string;
  /**
   * Seconds the script may run. The managed Run Command passes it as `timeoutInSeconds` and
   * Azure stops the script then; the action Run Command has no such setting.
   */
  timeoutSeconds?: number;
  /**
   * Parameters the engine supplies itself, never a person (script-header.ts EngineParams:
   * `IncidentId`), sent after the step's approved ones.
   */
  engineParams?: Record<string, string>;
}

export interface RunOutput {
  stdout: string;
  stderr: string;
}

/** Called while a long Azure operation runs: the state lets a restarted process resume it. */
export interface RunHooks {
  onPollerState?: (state: string) => Promise<void>;
  /** Azure said "busy" (409) or "slow down" (429): the call waits and tries again. */
  onRetry?: (reason: string, delayMs: number) => void;
}

export interface VmCheck {
  status: VmStatus;
  detail?: string;
}

/** The VM operations port. Implemented on the Azure SDK, and by the simulator for tests and demos. */
export interface VmOperations {
  /**
   * Finds VMs by name inside the configured scope; `resourceGroup` narrows the search. A name
   * outside the scope is not found. Several results mean the name is ambiguous.
   */
  resolveVm(name: string, resourceGroup?: string, signal?: AbortSignal): Promise<VmRef[]>;
  /** Read-only pre-flight: power state, provisioning and VM agent status. */
  checkVm(vm: VmRef, signal?: AbortSignal): Promise<VmCheck>;
  runScript(
    step: ApprovedStep,
    script: ScriptToRun,
    hooks: RunHooks,
    signal?: AbortSignal,
  ): Promise<RunOutput>;
  /** Resumes waiting for a Run Command from a saved poller state, without dispatching again. */
  resumeScript(pollerState: string, signal?: AbortSignal): Promise<RunOutput>;
  /**
   * Called once a script's result is stored: removes what the run left in Azure (the managed
   * Run Command resource). Never runs anything.
   */
  releaseScript?(pollerState: string, signal?: AbortSignal): Promise<void>;
  snapshotOsDisk(step: ApprovedStep, signal?: AbortSignal): Promise<{ snapshotId: string }>;
  restart(step: ApprovedStep, signal?: AbortSignal): Promise<void>;
  /** Starts a stopped or deallocated VM and waits until its agent is Ready. */
  start(step: ApprovedStep, signal?: AbortSignal): Promise<void>;
  updateNsgRule(step: ApprovedStep, signal?: AbortSignal): Promise<{ rule: string }>;
  /** Read-only: who can reach the step's `Port` through the effective NSG rules ("Check RDP security"). */
  checkRdpSecurity(step: ApprovedStep, signal?: AbortSignal): Promise<RdpExposure>;
}

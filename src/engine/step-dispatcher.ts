import { setMaxListeners } from 'node:events';
import { rescueVmRef } from '../azure/rescue/rescue-names';
import type { RescueOperations } from '../azure/rescue/rescue-operations';
import { approveStep, type VmOperations } from '../azure/vm-operations';
import { ErrorCodes } from '../core/errors';
import type { TranscriptDraft } from '../core/transcript';
import type { User } from '../core/types';
import type { Playbook } from '../playbook/load-playbook';
import { savedPriorState } from '../playbook/machine-setup';
import type { IncidentContext, StepError, StepRunResult } from '../playbook/machine-types';
import { engineParamsFor } from '../playbook/script-header';
import type { DispatchLeases, DispatchRecord, IncidentRecord } from '../store/incident-store';
import { isResumableAction, runAzureAction } from './azure-action';
import type { CommandInbox } from './commands';
import type { DirectMessages } from './direct-messages';
import type { EngineMetrics } from './engine-metrics';
import { type OutMessage, posted } from './messages';
import { progressKey, showProgress } from './progress-line';
import { failure, failureOf, interpret, keptOutput, resultText, timedOutText } from './step-result';
import { Texts } from './texts';

/** A step that failed: the error, the incident, and the person whose approval sent it. */
export interface StepFailure {
  incidentId: string;
  vm: string;
  stepId: string;
  attempt: number;
  error: StepError;
  approvedBy: User;
  requester: User;
}

/** The offline repair, when switched on: its Azure operations and where rescue VMs go. */
export interface RescueSetting {
  operations: RescueOperations;
  /** `RDPFIX_RESCUE_RESOURCE_GROUP`; undefined: a new group per incident. */
  resourceGroup: string | undefined;
}

export interface DispatcherDeps {
  store: DispatchLeases;
  /** This replica: the owner of the dispatches it runs. */
  owner: string;
  /** How long a dispatch stays ours without a heartbeat. */
  leaseMs: number;
  vm: VmOperations;
  rescue?: RescueSetting;
  now: () => Date;
  progressIntervalMs: number;
  /** Progress lines and retry notices: said now, not queued. */
  messages: DirectMessages;
  /** Where a step's result goes, as a `stepResult` command, once it is stored. */
  results: CommandInbox;
  metrics: EngineMetrics;
  /** A step that ended in error, for the log: the metric alone says neither which incident nor who asked. */
  onStepFailed?: (failure: StepFailure) => void;
}

/**
 * Runs approved steps on the VM or in Azure, at most once per step attempt: a dispatch
 * record is claimed in the store before anything is sent, with a lease that heartbeats
 * extend. The result and its message are saved with the dispatch in one transaction, then
 * reported as a `stepResult` command to `results`. A replica that lost its lease (it stalled
 * and another took over) writes nothing and reports nothing.
 */
export class StepDispatcher {
  private readonly aborter = new AbortController();

  constructor(private readonly deps: DispatcherDeps) {
    // Every running step listens to this one signal (shutdown): dozens at once are normal.
    setMaxListeners(0, this.aborter.signal);
  }

  close(): void {
    this.aborter.abort();
  }

  async dispatch(record: IncidentRecord, playbook: Playbook, stepId: string, attempt: number): Promise<void> {
    // A stopped replica claims nothing: the step is picked up by another one (or the next start).
    if (this.aborter.signal.aborted) return;
    const claimed = await this.deps.store.claimDispatch(this.newDispatch(record.id, stepId, attempt, null));
    // Someone already claimed this attempt (a repeated delivery, another replica): never send it twice.
    if (!claimed) return;
    return this.execute(record, playbook, stepId, attempt, undefined, true);
  }

  /** The lease a claim or a heartbeat gives: now + leaseMs. */
  leaseUntil(): string {
    return new Date(this.deps.now().getTime() + this.deps.leaseMs).toISOString();
  }

  private newDispatch(
    incidentId: string,
    stepId: string,
    attempt: number,
    pollerState: string | null,
  ): DispatchRecord {
    return {
      incidentId,
      stepId,
      attempt,
      status: 'dispatching',
      pollerState,
      result: null,
      updatedAt: this.deps.now().toISOString(),
      owner: this.deps.owner,
      leaseUntil: this.leaseUntil(),
    };
  }

  /**
   * After a restart, or when another replica stopped heartbeating, for a step that was
   * running: a finished result is delivered, a saved poll is resumed, a read-only step or an
   * idempotent offline-repair action (isResumableAction) is sent again, and anything else is
   * put back to a person ("outcome unknown"), never re-run silently. A dispatch whose owner still holds its lease is left alone.
   */
  async resume(record: IncidentRecord, playbook: Playbook, stepId: string, attempt: number): Promise<void> {
    const existing = await this.deps.store.getDispatch(record.id, stepId, attempt);
    const step = playbook.stepById.get(stepId);
    if (!existing) return this.dispatch(record, playbook, stepId, attempt);
    if (existing.status === 'done') return this.report(existing, existing.result as StepRunResult);
    const found = await this.deps.store.takeOverDispatch(
      { incidentId: record.id, stepId, attempt },
      this.deps.owner,
      this.leaseUntil(),
      this.deps.now().toISOString(),
    );
    if (!found) return;
    if (found.status === 'polling' && found.pollerState)
      return this.execute(record, playbook, stepId, attempt, found.pollerState);
    // A read-only step, or an Azure action that finds and finishes what a first run began.
    if (
      step &&
      'risk' in step &&
      (step.risk === 'readOnly' || (step.kind === 'azure' && isResumableAction(step.action)))
    )
      return this.execute(record, playbook, stepId, attempt, undefined);
    return this.finish(found, { outcome: 'unknown' }, [], []);
  }

  /** A lapsed dispatch whose incident has moved on (aborted meanwhile): closed, nothing delivered. */
  async abandon(dispatch: DispatchRecord): Promise<void> {
    const mine = await this.deps.store.takeOverDispatch(
      dispatch,
      this.deps.owner,
      this.leaseUntil(),
      this.deps.now().toISOString(),
    );
    if (mine)
      await this.deps.store.finishDispatch(
        { ...mine, result: { outcome: 'unknown' } },
        [],
        this.deps.now().toISOString(),
      );
  }

  private async execute(
    record: IncidentRecord,
    playbook: Playbook,
    stepId: string,
    attempt: number,
    pollerState: string | undefined,
    claimedNow = false,
  ): Promise<void> {
    const step = playbook.stepById.get(stepId);
    const context = (record.snapshot as { context: IncidentContext }).context;
    const stepRecord = context.steps[stepId];
    const dispatch = this.newDispatch(record.id, stepId, attempt, pollerState ?? null);
    if (!step || !('risk' in step) || !stepRecord?.approvedBy) {
      return this.finish(
        dispatch,
        failure(ErrorCodes.InvalidCommand, `step ${stepId} is not an approved VM or Azure step`),
        [],
        [],
      );
    }
    // A script for the rescue VM runs there; everything else concerns the incident's VM.
    const target =
      step.kind === 'runCommand' && step.on === 'rescue'
        ? rescueVmRef(record.id, record.vm, this.deps.rescue?.resourceGroup)
        : record.vm;
    const approved = approveStep({
      incidentId: record.id,
      stepId,
      attempt,
      vm: target,
      risk: step.risk,
      params: stepRecord.params ?? {},
      approvedBy: stepRecord.approvedBy,
    });
    const started = this.deps.now();
    const stopProgress = showProgress(
      this.deps,
      record,
      { id: stepId, attempt, title: step.title },
      started,
      claimedNow,
    );
    const drafts: Record<string, unknown> = { stepId, attempt, startedAt: started.toISOString() };
    let result: StepRunResult;
    let timedOut: { seconds: number; partial: string } | undefined;
    try {
      if (step.kind === 'runCommand') {
        const script = playbook.scripts[step.script];
        if (!script) throw new Error(`script ${step.script} is not loaded`);
        Object.assign(drafts, { script: script.name, scriptSha256: script.sha256, params: approved.params });
        const output = pollerState
          ? await this.deps.vm.resumeScript(pollerState, this.aborter.signal)
          : await this.deps.vm.runScript(
              approved,
              {
                ...script,
                timeoutSeconds: step.timeoutSeconds,
                engineParams: engineParamsFor(script.header, record.id),
              },
              {
                onPollerState: (state) => this.savePoller(dispatch, state),
                onRetry: (reason, delayMs) =>
                  void this.deps.messages.post(record, {
                    kind: 'notice',
                    text: Texts.retrying(reason, Math.ceil(delayMs / 1000)),
                  }),
              },
              this.aborter.signal,
            );
        Object.assign(drafts, keptOutput(output));
        result = interpret(output, script.header.scriptId ?? step.script);
      } else {
        Object.assign(drafts, { action: step.action, params: approved.params });
        const data = await runAzureAction(
          this.deps.vm,
          step.action,
          approved,
          this.aborter.signal,
          this.deps.rescue?.operations,
        );
        result = { outcome: 'ok', data };
      }
    } catch (err) {
      const failed = failureOf(err);
      result = failed.result;
      Object.assign(drafts, failed.drafts);
      timedOut = failed.timedOut;
    } finally {
      stopProgress();
    }
    // Shutting down: the step may still be running in Azure. Leave its dispatch record as it
    // is (with the poller state), so that the next process resumes it instead of guessing.
    if (this.aborter.signal.aborted) return;
    const ended = this.deps.now();
    this.deps.metrics.stepRan(
      step.kind === 'azure' ? step.action : 'runCommand',
      result.outcome,
      (ended.getTime() - started.getTime()) / 1000,
    );
    if (result.error) {
      this.deps.metrics.error(result.error.code);
      this.deps.onStepFailed?.({
        incidentId: record.id,
        vm: `${record.vm.resourceGroup}/${record.vm.name}`,
        stepId,
        attempt,
        error: result.error,
        approvedBy: stepRecord.approvedBy.by,
        requester: record.requester,
      });
    }
    Object.assign(drafts, {
      endedAt: ended.toISOString(),
      durationMs: ended.getTime() - started.getTime(),
      outcome: result.outcome,
    });
    const done: OutMessage = {
      kind: 'progress',
      key: progressKey(record.id, stepId, attempt),
      stepId,
      text: timedOut ? timedOutText(step.title, timedOut) : resultText(step.title, result, step.result),
      elapsedMs: ended.getTime() - started.getTime(),
      done: true,
      // A change the undo can take back alone, whose prior state is saved (even if the step then
      // failed): its result offers that (the Undo button).
      ...(playbook.undoable.has(stepId) && savedPriorState(result.data) ? { undo: { attempt } } : {}),
    };
    const story = posted([done]);
    await this.finish(
      dispatch,
      result,
      [{ kind: 'step.output', actor: null, data: drafts }, ...story.entries],
      story.outbox,
    );
    // The result is stored: what the run left in Azure (a managed Run Command resource) can go.
    if (dispatch.pollerState && step.kind === 'runCommand') {
      await this.deps.vm
        .releaseScript?.(dispatch.pollerState, this.aborter.signal)
        .catch(() => this.deps.metrics.error(ErrorCodes.AzureOperationFailed));
    }
  }

  private async savePoller(dispatch: DispatchRecord, state: string): Promise<void> {
    Object.assign(dispatch, {
      status: 'polling',
      pollerState: state,
      updatedAt: this.deps.now().toISOString(),
    });
    if (!(await this.deps.store.updateDispatch(dispatch))) this.deps.metrics.error(ErrorCodes.LeaseLost);
  }

  /** Saves the result with its output and message; only the replica still holding the dispatch delivers it. */
  private async finish(
    dispatch: DispatchRecord,
    result: StepRunResult,
    entries: TranscriptDraft[],
    outbox: OutMessage[],
  ): Promise<void> {
    const at = this.deps.now().toISOString();
    const mine = await this.deps.store.finishDispatch(
      { ...dispatch, result, updatedAt: at },
      entries,
      at,
      outbox,
    );
    if (!mine) {
      this.deps.metrics.error(ErrorCodes.LeaseLost);
      return;
    }
    this.report(dispatch, result);
  }

  /** A stored result goes back to the engine as a command; the machine decides what follows. */
  private report(dispatch: DispatchRecord, result: StepRunResult): void {
    const { incidentId, stepId, attempt } = dispatch;
    this.deps.results.submit({ type: 'stepResult', incidentId, stepId, attempt, result });
  }
}

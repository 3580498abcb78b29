import { setMaxListeners } from 'node:events';
import { type ApprovedStep, approveStep, type RunOutput, type VmOperations } from '../azure/vm-operations';
import { ErrorCodes, isRdpFixError } from '../core/errors';
import { redact } from '../core/redact';
import type { TranscriptDraft } from '../core/transcript';
import { type Localized, perLocale } from '../core/types';
import { fillTemplate } from '../playbook/facts';
import type { Playbook } from '../playbook/load-playbook';
import type { IncidentContext, StepRunResult } from '../playbook/machine-types';
import { parseScriptOutput } from '../playbook/script-result';
import type { DispatchRecord, IncidentRecord, IncidentStore } from '../store/incident-store';
import type { Command, CommandResult } from './commands';
import type { EngineMetrics } from './engine-metrics';
import type { OutMessage } from './messages';
import { Texts } from './texts';

export interface DispatcherDeps {
  store: IncidentStore;
  /** This replica: the owner of the dispatches it runs. */
  owner: string;
  /** How long a dispatch stays ours without a heartbeat. */
  leaseMs: number;
  vm: VmOperations;
  now: () => Date;
  progressIntervalMs: number;
  post: (record: IncidentRecord, message: OutMessage) => Promise<void>;
  deliver: (command: Command) => Promise<CommandResult>;
  metrics: EngineMetrics;
}

/** Output kept in the transcript; Azure already cut it to its last 4,096 bytes. */
const MaxStoredOutput = 8_192;
const ExcerptLength = 600;

/**
 * Runs approved steps on the VM or in Azure, at most once per step attempt: a dispatch
 * record is claimed in the store before anything is sent, with a lease that heartbeats
 * extend. The result and its message are saved with the dispatch in one transaction, and
 * come back to the engine as a `stepResult` command. A replica that lost its lease (it
 * stalled and another took over) writes nothing.
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
    await this.execute(record, playbook, stepId, attempt, undefined);
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
   * running: a finished result is delivered, a saved poll is resumed, a read-only step is
   * sent again, and anything else is put back to a person ("outcome unknown"), never re-run
   * silently. A dispatch whose owner still holds its lease is left alone.
   */
  async resume(record: IncidentRecord, playbook: Playbook, stepId: string, attempt: number): Promise<void> {
    const existing = await this.deps.store.getDispatch(record.id, stepId, attempt);
    const step = playbook.stepById.get(stepId);
    if (!existing) return this.dispatch(record, playbook, stepId, attempt);
    if (existing.status === 'done') {
      await this.deliver(record.id, stepId, attempt, existing.result as StepRunResult);
      return;
    }
    const found = await this.deps.store.takeOverDispatch(
      { incidentId: record.id, stepId, attempt },
      this.deps.owner,
      this.leaseUntil(),
      this.deps.now().toISOString(),
    );
    if (!found) return;
    if (found.status === 'polling' && found.pollerState) {
      await this.execute(record, playbook, stepId, attempt, found.pollerState);
      return;
    }
    if (step && 'risk' in step && step.risk === 'readOnly') {
      await this.execute(record, playbook, stepId, attempt, undefined);
      return;
    }
    await this.finish(found, { outcome: 'unknown' }, []);
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
  ): Promise<void> {
    const step = playbook.stepById.get(stepId);
    const context = (record.snapshot as { context: IncidentContext }).context;
    const stepRecord = context.steps[stepId];
    const dispatch = this.newDispatch(record.id, stepId, attempt, pollerState ?? null);
    if (!step || !('risk' in step) || !stepRecord?.approvedBy) {
      await this.finish(
        dispatch,
        failure(ErrorCodes.InvalidCommand, `step ${stepId} is not an approved VM or Azure step`),
        [],
      );
      return;
    }
    const approved = approveStep({
      incidentId: record.id,
      stepId,
      attempt,
      vm: record.vm,
      risk: step.risk,
      params: stepRecord.params ?? {},
      approvedBy: stepRecord.approvedBy,
    });
    const started = this.deps.now();
    const stopProgress = this.progress(
      record,
      stepId,
      step.title,
      `${record.id}:${stepId}:${attempt}:progress`,
      started,
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
              { ...script, timeoutSeconds: step.timeoutSeconds },
              {
                onPollerState: (state) => this.savePoller(dispatch, state),
                onRetry: (reason, delayMs) =>
                  void this.deps.post(record, {
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
        const data = await this.azureAction(step.action, approved);
        result = { outcome: 'ok', data };
      }
    } catch (err) {
      result = failure(
        isRdpFixError(err) ? err.code : ErrorCodes.AzureOperationFailed,
        err instanceof Error ? err.message : String(err),
      );
      // Azure stopped the script at its time limit: what it printed until then is kept.
      if (isRdpFixError(err) && err.code === ErrorCodes.RunCommandTimedOut) {
        const partial = keptOutput(err.details.output as RunOutput);
        Object.assign(drafts, partial, { timedOut: true, timeoutSeconds: err.details.timeoutSeconds });
        timedOut = { seconds: Number(err.details.timeoutSeconds), partial: String(partial.excerpt) };
      }
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
    if (result.error) this.deps.metrics.error(result.error.code);
    Object.assign(drafts, {
      endedAt: ended.toISOString(),
      durationMs: ended.getTime() - started.getTime(),
      outcome: result.outcome,
    });
    const done: OutMessage = {
      kind: 'progress',
      key: `${record.id}:${stepId}:${attempt}:progress`,
      stepId,
      text: timedOut ? timedOutText(step.title, timedOut) : resultText(step.title, result, step.result),
      elapsedMs: ended.getTime() - started.getTime(),
      done: true,
    };
    await this.finish(dispatch, result, [
      { kind: 'step.output', actor: null, data: drafts },
      { kind: 'message.posted', actor: null, data: { message: done as unknown as Record<string, unknown> } },
    ]);
    // The result is stored: what the run left in Azure (a managed Run Command resource) can go.
    if (dispatch.pollerState && step.kind === 'runCommand') {
      await this.deps.vm
        .releaseScript?.(dispatch.pollerState, this.aborter.signal)
        .catch(() => this.deps.metrics.error(ErrorCodes.AzureOperationFailed));
    }
  }

  private async azureAction(
    action: 'snapshotDisk' | 'restartVm' | 'updateNsgRule',
    step: ApprovedStep,
  ): Promise<Record<string, unknown>> {
    switch (action) {
      case 'snapshotDisk':
        return { ...(await this.deps.vm.snapshotOsDisk(step, this.aborter.signal)) };
      case 'restartVm':
        await this.deps.vm.restart(step, this.aborter.signal);
        return { restarted: true };
      case 'updateNsgRule':
        return { ...(await this.deps.vm.updateNsgRule(step, this.aborter.signal)) };
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
  ): Promise<void> {
    const at = this.deps.now().toISOString();
    const mine = await this.deps.store.finishDispatch({ ...dispatch, result, updatedAt: at }, entries, at);
    if (!mine) {
      this.deps.metrics.error(ErrorCodes.LeaseLost);
      return;
    }
    await this.deliver(dispatch.incidentId, dispatch.stepId, dispatch.attempt, result);
  }

  private async deliver(
    incidentId: string,
    stepId: string,
    attempt: number,
    result: StepRunResult,
  ): Promise<void> {
    await this.deps.deliver({ type: 'stepResult', incidentId, stepId, attempt, result });
  }

  /** Updates one progress message while a step runs, so people see it is alive. */
  private progress(
    record: IncidentRecord,
    stepId: string,
    title: Localized,
    key: string,
    started: Date,
  ): () => void {
    const post = () => {
      const elapsedMs = this.deps.now().getTime() - started.getTime();
      void this.deps.post(record, {
        kind: 'progress',
        key,
        stepId,
        text: perLocale((l) => Texts.running(title[l], Math.round(elapsedMs / 1000))[l]),
        elapsedMs,
        done: false,
      });
    };
    post();
    if (this.deps.progressIntervalMs <= 0) return () => {};
    const timer = setInterval(post, this.deps.progressIntervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }
}

function failure(code: string, message: string): StepRunResult {
  return { outcome: 'failed', error: { code, message } };
}

/** Reads a script's output: its own ok/failed, or "unreadable" when the result line is not there. */
export function interpret(output: RunOutput, scriptId: string): StepRunResult {
  const parsed = parseScriptOutput(output.stdout, scriptId);
  if (!parsed.readable) {
    return {
      outcome: 'unreadable',
      error: { code: ErrorCodes.OutputUnreadable, message: parsed.reason },
      ...(parsed.log ? { log: parsed.log } : {}),
    };
  }
  const { result } = parsed;
  return {
    outcome: result.ok ? 'ok' : 'failed',
    data: result.data,
    log: result.log,
    ...(result.error ? { error: { code: 'SCRIPT_FAILED', message: result.error } } : {}),
  };
}

/** Output kept in the transcript, secrets redacted first (Azure already cut it to 4,096 bytes). */
function keptOutput(output: RunOutput): Record<string, unknown> {
  const stdout = redact(output.stdout.slice(-MaxStoredOutput));
  return {
    stdout,
    stderr: redact(output.stderr.slice(-MaxStoredOutput)),
    excerpt: stdout.slice(-ExcerptLength),
  };
}

/** A script Azure stopped at its time limit: said plainly, with what it printed until then. */
function timedOutText(title: Localized, stopped: { seconds: number; partial: string }): Localized {
  return perLocale(
    (l) => Texts.stepTimedOut(title[l], Texts.duration(stopped.seconds)[l], stopped.partial)[l],
  );
}

/** What a step's end means, in each language; the step title is itself localized. */
function resultText(title: Localized, result: StepRunResult, meaning: Localized | undefined): Localized {
  const why = result.error?.message ?? result.outcome;
  switch (result.outcome) {
    case 'ok':
      // "TermService now listens on 3389": the playbook says what a success means.
      return perLocale(
        (l) => Texts.stepOk(title[l])[l] + (meaning ? ` ${fillTemplate(meaning[l], result.data)}` : ''),
      );
    case 'unreadable':
      return perLocale(
        (l) => Texts.stepUnreadable(title[l], why, result.log ?? (l === 'it' ? 'sconosciuto' : 'unknown'))[l],
      );
    default:
      return perLocale((l) => Texts.stepFailed(title[l], why)[l]);
  }
}

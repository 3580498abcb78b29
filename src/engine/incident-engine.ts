import { randomUUID } from 'node:crypto';
import { createActor, type Snapshot } from 'xstate';
import type { VmOperations } from '../azure/vm-operations';
import { type ApprovalPolicy, checkApprover, maySteer } from '../core/approval-policy';
import { ErrorCodes, isRdpFixError, RdpFixError } from '../core/errors';
import { resolveParams } from '../core/step-params';
import type { TranscriptDraft } from '../core/transcript';
import type { ChannelRef, Locale, Localized, User, VmRef } from '../core/types';
import { formatVm } from '../core/types';
import {
  compilePlaybook,
  type IncidentMachine,
  type SideEffect,
  stepOfState,
} from '../playbook/compile-playbook';
import type { Playbook } from '../playbook/load-playbook';
import type {
  IncidentContext,
  IncidentEmitted,
  IncidentEvent,
  StepRunResult,
} from '../playbook/machine-types';
import { needsApproval } from '../playbook/outcomes';
import type { IncidentRecord, IncidentStore, PendingApproval } from '../store/incident-store';
import { describeEvents, factsOf } from './describe-events';
import { KeyedQueue } from './keyed-queue';
import { cardKey, type MessageSink, type OutMessage } from './messages';
import { StepDispatcher } from './step-dispatcher';
import { Texts } from './texts';

export type Command =
  | {
      type: 'start';
      vm: VmRef;
      requester: User;
      channel: ChannelRef;
      locale: Locale;
      playbookId?: string;
      walkAll?: boolean;
    }
  | {
      type: 'approve';
      incidentId: string;
      stepId: string;
      attempt: number;
      user: User;
      params?: Record<string, unknown>;
    }
  | { type: 'skip'; incidentId: string; stepId: string; attempt: number; user: User }
  | { type: 'answer'; incidentId: string; stepId: string; attempt: number; answer: string; user: User }
  | { type: 'abort'; incidentId: string; user: User; reason?: string }
  | { type: 'stepResult'; incidentId: string; stepId: string; attempt: number; result: StepRunResult }
  | { type: 'expire'; incidentId: string; stepId: string; attempt: number };

export type CommandResult =
  | { ok: true; incidentId: string }
  | { ok: false; incidentId?: string; code: string; message: Localized };

export interface EngineDeps {
  store: IncidentStore;
  playbooks: readonly Playbook[];
  vm: VmOperations;
  policy: ApprovalPolicy;
  sink: MessageSink;
  now?: () => Date;
  newId?: () => string;
  /** Schedules approval expiry; returns a cancel function. Injected so tests control time. */
  schedule?: (ms: number, task: () => void) => () => void;
  /** How often a running step's progress message is updated; 0 turns it off. */
  progressIntervalMs?: number;
  onError?: (err: unknown, where: string) => void;
}

/** Persisted snapshot of a machine, as stored (JSON). */
type PersistedSnapshot = Snapshot<unknown>;

/**
 * The incident engine: one persisted xstate actor per incident. Every command loads the
 * incident, checks who may do what, sends one event, saves the new snapshot and its
 * transcript entries in one transaction, and only then posts messages and starts side
 * effects. Idle incidents live only in the store.
 */
export class IncidentEngine {
  private readonly queue = new KeyedQueue();
  private readonly machines = new Map<string, IncidentMachine>();
  private readonly playbooks: Map<string, Playbook>;
  private readonly timers = new Map<string, () => void>();
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly dispatcher: StepDispatcher;
  private readonly now: () => Date;
  private closed = false;

  constructor(private readonly deps: EngineDeps) {
    this.playbooks = new Map(deps.playbooks.map((p) => [p.id, p]));
    this.now = deps.now ?? (() => new Date());
    this.dispatcher = new StepDispatcher({
      store: deps.store,
      vm: deps.vm,
      now: this.now,
      progressIntervalMs: deps.progressIntervalMs ?? 10_000,
      post: (record, message) => this.post(record, [message]),
      deliver: (command) => this.handle(command),
    });
  }

  /** Handles one command. Refusals come back as `ok: false` with a message for the person. */
  async handle(command: Command): Promise<CommandResult> {
    if (command.type === 'start') return this.start(command);
    return this.queue.run(command.incidentId, () => this.handleExisting(command));
  }

  /** Waits until no command or dispatch is in flight (tests, graceful shutdown). */
  async idle(): Promise<void> {
    while (this.inflight.size > 0 || this.queue.size > 0) {
      await Promise.allSettled([...this.inflight]);
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /**
   * After a process start: re-arms approval deadlines from the store and resumes steps that
   * were running (the dispatcher decides between resuming a poll and asking a person again).
   */
  async recover(): Promise<void> {
    for (const record of await this.deps.store.list({ status: 'open', limit: 100_000 })) {
      this.armDeadline(record);
      const at = stepOfState(stateValueOf(record.snapshot));
      if (record.state === 'preflight')
        this.track(this.runEffects(record, [{ effect: 'checkVm', stepId: '' }]));
      else if (at?.phase === 'running') {
        const context = contextOf(record.snapshot);
        const attempt = context.current?.attempt ?? context.steps[at.stepId]?.attempt ?? 1;
        this.track(this.dispatcher.resume(record, this.playbookOf(record), at.stepId, attempt));
      }
    }
  }

  /** Stops timers; in-flight work is left to finish (`idle()` waits for it). */
  close(): void {
    this.closed = true;
    for (const cancel of this.timers.values()) cancel();
    this.timers.clear();
    this.dispatcher.close();
  }

  private async start(command: Extract<Command, { type: 'start' }>): Promise<CommandResult> {
    const playbook = command.playbookId ? this.playbooks.get(command.playbookId) : this.deps.playbooks[0];
    if (!playbook) {
      return refusal(ErrorCodes.InvalidCommand, { en: 'No such playbook.', it: 'Playbook inesistente.' });
    }
    const incidentId = (this.deps.newId ?? shortId)();
    const at = this.now().toISOString();
    const run = this.transition(playbook, undefined, {
      incidentId,
      requester: command.requester,
      walkAll: command.walkAll ?? false,
    });
    const opened: OutMessage = {
      kind: 'opened',
      key: `${incidentId}:root`,
      text: Texts.opened(formatVm(command.vm), incidentId, command.requester.name ?? command.requester.id),
    };
    const record = await this.deps.store.create(
      {
        id: incidentId,
        playbookId: playbook.id,
        playbookHash: playbook.hash,
        vm: command.vm,
        requester: command.requester,
        channel: command.channel,
        locale: command.locale,
        status: 'open',
        outcome: null,
        state: run.state,
        causes: [],
        snapshot: run.snapshot,
        pending: null,
      },
      [
        {
          kind: 'incident.started',
          actor: command.requester.id,
          data: {
            vm: command.vm,
            channel: command.channel,
            playbook: { id: playbook.id, version: playbook.version, hash: playbook.hash },
            walkAll: command.walkAll ?? false,
          },
        },
        ...messageDrafts([opened]),
      ],
      at,
    );
    await this.post(record, [opened]);
    this.track(this.runEffects(record, run.effects));
    return { ok: true, incidentId };
  }

  private async handleExisting(command: Exclude<Command, { type: 'start' }>): Promise<CommandResult> {
    const record = await this.deps.store.get(command.incidentId);
    if (!record) return refusal(ErrorCodes.IncidentNotFound, Texts.refused.notFound(command.incidentId));
    if (record.status === 'closed') {
      return refusal(ErrorCodes.IncidentClosed, Texts.refused.closed(record.id), record.id);
    }
    const playbook = this.playbookOf(record);
    const context = contextOf(record.snapshot);
    const decision = 'user' in command ? { by: command.user, at: this.now().toISOString() } : undefined;

    let event: IncidentEvent;
    const drafts: TranscriptDraft[] = [];
    const messages: OutMessage[] = [];
    try {
      switch (command.type) {
        case 'approve':
        case 'skip':
        case 'answer': {
          const step = this.assertDecidable(record, context, command);
          if (command.type === 'approve') {
            if (!needsApproval(step))
              throw refused(ErrorCodes.InvalidCommand, Texts.refused.notCurrent(step.title.en));
            let params: ReturnType<typeof resolveParams>;
            try {
              params = resolveParams('params' in step ? step.params : {}, command.params, factsOf(context));
            } catch (err) {
              if (isRdpFixError(err)) throw refused(err.code, Texts.refused.invalidParams(err.message));
              throw err;
            }
            event = {
              type: 'APPROVE',
              stepId: step.id,
              attempt: command.attempt,
              decision: decision!,
              params,
            };
            drafts.push({
              kind: 'step.approved',
              actor: command.user.id,
              data: { stepId: step.id, attempt: command.attempt, params, by: command.user },
            });
            messages.push(
              closeCard(record.id, step.id, command.attempt, Texts.approved(who(command.user), decision!.at)),
            );
          } else if (command.type === 'skip') {
            if (!needsApproval(step))
              throw refused(ErrorCodes.InvalidCommand, Texts.refused.notCurrent(step.title.en));
            event = { type: 'SKIP', stepId: step.id, attempt: command.attempt, decision: decision! };
            drafts.push({
              kind: 'step.skipped',
              actor: command.user.id,
              data: { stepId: step.id, attempt: command.attempt, by: command.user },
            });
            messages.push(
              closeCard(record.id, step.id, command.attempt, Texts.skipped(who(command.user), decision!.at)),
            );
          } else {
            const answer = 'answers' in step ? step.answers.find((a) => a.id === command.answer) : undefined;
            if (!answer)
              throw refused(ErrorCodes.InvalidAnswer, Texts.refused.invalidAnswer(truncate(command.answer)));
            event = {
              type: 'ANSWER',
              stepId: step.id,
              attempt: command.attempt,
              answer: answer.id,
              decision: decision!,
            };
            drafts.push({
              kind: 'step.answered',
              actor: command.user.id,
              data: { stepId: step.id, attempt: command.attempt, answer: answer.id, by: command.user },
            });
            messages.push(
              closeCard(
                record.id,
                step.id,
                command.attempt,
                Texts.answered(who(command.user), answer.label.en),
              ),
            );
          }
          break;
        }
        case 'abort': {
          if (!maySteer(this.deps.policy, command.user, record.requester)) {
            throw refused(ErrorCodes.NotAuthorised, Texts.refused.notAllowed());
          }
          event = {
            type: 'ABORT',
            decision: decision!,
            ...(command.reason ? { reason: truncate(command.reason, 200) } : {}),
          };
          drafts.push({
            kind: 'incident.aborted',
            actor: command.user.id,
            data: { by: command.user, reason: command.reason ?? null },
          });
          if (context.current) {
            messages.push(
              closeCard(record.id, context.current.stepId, context.current.attempt, Texts.ended.aborted()),
            );
          }
          break;
        }
        case 'stepResult': {
          if (context.current?.stepId !== command.stepId || context.current.attempt !== command.attempt) {
            // A late or repeated result (e.g. delivered twice after a restart): the step has moved on.
            return refusal(ErrorCodes.StepNotCurrent, Texts.refused.notCurrent(command.stepId), record.id);
          }
          event = {
            type: 'STEP_RESULT',
            stepId: command.stepId,
            attempt: command.attempt,
            result: command.result,
          };
          break;
        }
        case 'expire': {
          if (record.pending?.stepId !== command.stepId || record.pending.attempt !== command.attempt) {
            return refusal(ErrorCodes.StepNotCurrent, Texts.refused.notCurrent(command.stepId), record.id);
          }
          event = {
            type: 'EXPIRE',
            stepId: command.stepId,
            attempt: command.attempt,
            at: this.now().toISOString(),
          };
          drafts.push({
            kind: 'approval.expired',
            actor: null,
            data: { stepId: command.stepId, attempt: command.attempt },
          });
          messages.push(closeCard(record.id, command.stepId, command.attempt, Texts.expired()));
          break;
        }
      }
    } catch (err) {
      if (err instanceof Refusal) return this.refuse(record, command, err);
      throw err;
    }
    await this.commit(record, playbook, event, drafts, messages);
    return { ok: true, incidentId: record.id };
  }

  /** Checks that a person may decide on the step they clicked, and that it is the current one. */
  private assertDecidable(
    record: IncidentRecord,
    context: IncidentContext,
    command: Extract<Command, { type: 'approve' | 'skip' | 'answer' }>,
  ) {
    const playbook = this.playbookOf(record);
    const step = playbook.stepById.get(command.stepId);
    const title = step?.title.en ?? truncate(command.stepId);
    if (!step) throw refused(ErrorCodes.StepNotCurrent, Texts.refused.notCurrent(title));
    if (needsApproval(step)) {
      const check = checkApprover(this.deps.policy, command.user, record.requester);
      if (!check.allowed) throw refused(ErrorCodes.NotAuthorised, Texts.refused[check.reason]());
    } else if (!maySteer(this.deps.policy, command.user, record.requester)) {
      throw refused(ErrorCodes.NotAuthorised, Texts.refused.notAllowed());
    }
    const current = context.current;
    const isWaiting = stepOfState(stateValueOf(record.snapshot))?.phase === 'awaiting';
    if (!current || current.stepId !== step.id || current.attempt !== command.attempt || !isWaiting) {
      const earlier = context.steps[step.id];
      if (earlier?.approvedBy && earlier.attempt === command.attempt) {
        throw refused(
          ErrorCodes.StepNotCurrent,
          Texts.refused.alreadyApproved(who(earlier.approvedBy.by), earlier.approvedBy.at),
        );
      }
      throw refused(ErrorCodes.StepNotCurrent, Texts.refused.notCurrent(title));
    }
    return step;
  }

  private async refuse(
    record: IncidentRecord,
    command: Exclude<Command, { type: 'start' }>,
    err: Refusal,
  ): Promise<CommandResult> {
    const user = 'user' in command ? command.user : undefined;
    await this.deps.store.append(
      record.id,
      [
        {
          kind: 'step.refused',
          actor: user?.id ?? null,
          data: {
            command: command.type,
            stepId: 'stepId' in command ? truncate(command.stepId) : null,
            code: err.code,
            reason: err.text.en,
          },
        },
      ],
      this.now().toISOString(),
    );
    if (user) await this.post(record, [{ kind: 'refusal', to: user, text: err.text }]);
    return refusal(err.code, err.text, record.id);
  }

  /** Sends one event, saves snapshot + transcript atomically, then posts and starts effects. */
  private async commit(
    record: IncidentRecord,
    playbook: Playbook,
    event: IncidentEvent,
    drafts: TranscriptDraft[],
    messages: OutMessage[],
  ): Promise<void> {
    const run = this.transition(playbook, record.snapshot, undefined, event);
    const described = describeEvents(playbook, record.id, run.context, run.emitted);
    const allMessages = [...messages, ...described.messages];
    const saved = await this.deps.store.save(
      record.id,
      record.version,
      {
        snapshot: run.snapshot,
        state: run.state,
        status: run.done ? 'closed' : 'open',
        outcome: run.context.outcome,
        causes: (run.context.firstCauses ?? run.context.causes).map((c) => c.id),
        pending: this.pendingOf(run.context, run.state),
      },
      [...drafts, ...described.drafts, ...messageDrafts(allMessages)],
      this.now().toISOString(),
    );
    this.armDeadline(saved);
    await this.post(saved, allMessages);
    this.track(this.runEffects(saved, run.effects));
  }

  /** Runs the machine for one event (or from its start) with side effects collected, not run. */
  private transition(
    playbook: Playbook,
    snapshot: unknown,
    input: { incidentId: string; requester: User; walkAll: boolean } | undefined,
    event?: IncidentEvent,
  ) {
    const effects: { effect: SideEffect; stepId: string }[] = [];
    const collect = (effect: SideEffect) => (_: unknown, params: unknown) => {
      effects.push({ effect, stepId: (params as { stepId?: string } | undefined)?.stepId ?? '' });
    };
    const machine = this.machineOf(playbook).provide({
      actions: {
        checkVm: collect('checkVm'),
        runStep: collect('runStep'),
        snapshotDisk: collect('snapshotDisk'),
        restartVm: collect('restartVm'),
        updateNsgRule: collect('updateNsgRule'),
      },
    });
    // On restore xstate ignores `input`; it is required by the types only.
    const actor = snapshot
      ? createActor(machine, { snapshot: snapshot as PersistedSnapshot, input: contextOf(snapshot) })
      : createActor(machine, { input: input! });
    const emitted: IncidentEmitted[] = [];
    actor.on('*', (e) => emitted.push(e as IncidentEmitted));
    actor.start();
    if (event) actor.send(event);
    const current = actor.getSnapshot();
    const persisted = actor.getPersistedSnapshot();
    actor.stop();
    return {
      snapshot: JSON.parse(JSON.stringify(persisted)) as unknown,
      context: current.context,
      state: stateText(current.value),
      done: current.status === 'done',
      emitted,
      effects,
    };
  }

  private async runEffects(
    record: IncidentRecord,
    effects: { effect: SideEffect; stepId: string }[],
  ): Promise<void> {
    for (const { effect, stepId } of effects) {
      if (effect === 'checkVm') {
        const check = await this.deps.vm.checkVm(record.vm).catch((err: unknown) => ({
          status: 'error' as const,
          detail: err instanceof Error ? err.message : String(err),
        }));
        const text =
          check.status === 'ready'
            ? Texts.vmReady()
            : check.status === 'agentNotReady'
              ? Texts.vmAgentDown(check.detail ?? check.status)
              : Texts.vmCannotAct(check.detail ?? check.status);
        await this.queue.run(record.id, async () => {
          const fresh = await this.deps.store.get(record.id);
          if (fresh?.state !== 'preflight') return;
          await this.commit(
            fresh,
            this.playbookOf(fresh),
            { type: 'VM_STATUS', status: check.status, ...(check.detail ? { detail: check.detail } : {}) },
            [{ kind: 'vm.checked', actor: null, data: { ...check } }],
            [{ kind: 'notice', text }],
          );
        });
      } else {
        const context = contextOf(record.snapshot);
        const attempt = context.current?.attempt ?? 1;
        await this.dispatcher.dispatch(record, this.playbookOf(record), stepId, attempt);
      }
    }
  }

  private pendingOf(context: IncidentContext, state: string): PendingApproval | null {
    if (!context.current || !state.endsWith('.awaiting')) return null;
    const deadline = new Date(this.now().getTime() + this.deps.policy.ttlMs).toISOString();
    return { stepId: context.current.stepId, attempt: context.current.attempt, deadline };
  }

  /** Approval deadlines are data in the store; a timer per waiting incident sends `expire`. */
  private armDeadline(record: IncidentRecord): void {
    this.timers.get(record.id)?.();
    this.timers.delete(record.id);
    if (this.closed || record.status !== 'open' || !record.pending) return;
    const { stepId, attempt, deadline } = record.pending;
    const ms = Math.max(0, Date.parse(deadline) - this.now().getTime());
    const schedule = this.deps.schedule ?? defaultSchedule;
    this.timers.set(
      record.id,
      schedule(ms, () => {
        this.timers.delete(record.id);
        this.track(this.handle({ type: 'expire', incidentId: record.id, stepId, attempt }));
      }),
    );
  }

  private async post(record: IncidentRecord, messages: OutMessage[]): Promise<void> {
    for (const message of messages) {
      try {
        await this.deps.sink({
          incidentId: record.id,
          channel: record.channel,
          locale: record.locale,
          vm: record.vm,
          message,
        });
      } catch (err) {
        // A chat outage must not lose the incident: the message is in the transcript already.
        this.deps.onError?.(err, 'sink');
      }
    }
  }

  private track(work: Promise<unknown>): void {
    const tracked = work.catch((err: unknown) => this.deps.onError?.(err, 'background'));
    this.inflight.add(tracked);
    void tracked.finally(() => this.inflight.delete(tracked));
  }

  private playbookOf(record: IncidentRecord): Playbook {
    const playbook = this.playbooks.get(record.playbookId);
    if (!playbook) {
      throw new RdpFixError(
        ErrorCodes.PlaybookInvalid,
        `playbook ${record.playbookId} of incident ${record.id} is not loaded`,
      );
    }
    return playbook;
  }

  private machineOf(playbook: Playbook): IncidentMachine {
    let machine = this.machines.get(playbook.id);
    if (!machine) {
      machine = compilePlaybook(playbook);
      this.machines.set(playbook.id, machine);
    }
    return machine;
  }
}

/** A refusal raised inside command handling, turned into an `ok: false` result. */
class Refusal extends Error {
  constructor(
    readonly code: string,
    readonly text: Localized,
  ) {
    super(text.en);
  }
}

function refused(code: string, text: Localized): Refusal {
  return new Refusal(code, text);
}

function refusal(code: string, message: Localized, incidentId?: string): CommandResult {
  return { ok: false, code, message, ...(incidentId ? { incidentId } : {}) };
}

function closeCard(incidentId: string, stepId: string, attempt: number, text: Localized): OutMessage {
  return { kind: 'cardClosed', key: cardKey(incidentId, stepId, attempt), stepId, attempt, text };
}

function messageDrafts(messages: OutMessage[]): TranscriptDraft[] {
  return messages.map((message) => ({
    kind: 'message.posted' as const,
    actor: null,
    data: { message: message as unknown as Record<string, unknown> },
  }));
}

export function contextOf(snapshot: unknown): IncidentContext {
  return (snapshot as { context: IncidentContext }).context;
}

function stateValueOf(snapshot: unknown): unknown {
  return (snapshot as { value: unknown }).value;
}

/** `{diagnose: 'awaiting'}` → `diagnose.awaiting`. */
export function stateText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const [key, inner] = Object.entries(value)[0] ?? [];
    return key ? `${key}.${stateText(inner)}` : '';
  }
  return '';
}

function who(user: User): string {
  return user.name ?? user.id;
}

function truncate(text: string, max = 60): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

function shortId(): string {
  return randomUUID().replace(/-/g, '').slice(0, 12);
}

function defaultSchedule(ms: number, task: () => void): () => void {
  // Node timers overflow past ~24.8 days; a longer deadline is re-armed at the next start.
  const timer = setTimeout(task, Math.min(ms, 2_147_483_647));
  timer.unref();
  return () => clearTimeout(timer);
}

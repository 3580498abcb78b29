import { randomUUID } from 'node:crypto';
import type { VmOperations } from '../azure/vm-operations';
import type { ApprovalPolicy } from '../core/approval-policy';
import { ErrorCodes, isRdpFixError, RdpFixError } from '../core/errors';
import { shorten } from '../core/shorten';
import type { TranscriptDraft } from '../core/transcript';
import { formatVm } from '../core/types';
import {
  compilePlaybook,
  type IncidentMachine,
  type SideEffect,
  stepOfState,
} from '../playbook/compile-playbook';
import type { Playbook, PlaybookScript } from '../playbook/load-playbook';
import type { IncidentContext, IncidentEvent } from '../playbook/machine-types';
import type { IncidentRecord, IncidentStore, PendingApproval } from '../store/incident-store';
import { type Command, type CommandResult, type IncidentCommand, refusal } from './commands';
import { type Decided, decideCommand, Refusal } from './decide-command';
import { describeEvents } from './describe-events';
import { type EngineMetrics, noMetrics } from './engine-metrics';
import { KeyedQueue } from './keyed-queue';
import { type MessageSink, type OutMessage, posted } from './messages';
import { Outbox } from './outbox';
import { contextOf, runMachine, stateValueOf } from './run-machine';
import { StepDispatcher } from './step-dispatcher';
import { Texts } from './texts';

export type { Command, CommandResult } from './commands';
export { contextOf, stateText } from './run-machine';

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
  /** Failures no one is waiting for (background work, chat delivery), with the incident they concern. */
  onError?: (err: unknown, where: string, incidentId?: string) => void;
  metrics?: EngineMetrics;
  /**
   * This replica's name, owner of the dispatches and messages it works on. Replicas on one
   * database must differ; a restarted process that keeps its name takes its work back at once.
   */
  replicaId?: string;
  /** How long a running step or a message being delivered stays this replica's without a heartbeat. */
  leaseMs?: number;
  /** How often queued messages due for a retry are looked for. */
  outboxPollMs?: number;
  /** Delivery attempts per chat message, and the delay before retry n. */
  outboxMaxAttempts?: number;
  outboxBackoffMs?: (attempt: number) => number;
}

/** Attempts of a command that lost a race with another replica (it is re-decided on the new state). */
const ConflictRetries = 5;

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
  private readonly outbox: Outbox;
  private readonly now: () => Date;
  private closed = false;
  private readonly metrics: EngineMetrics;
  private readonly owner: string;
  private readonly leaseMs: number;
  private readonly background: NodeJS.Timeout[] = [];

  constructor(private readonly deps: EngineDeps) {
    this.playbooks = new Map(deps.playbooks.map((p) => [p.id, p]));
    this.now = deps.now ?? (() => new Date());
    this.metrics = deps.metrics ?? noMetrics;
    this.owner = deps.replicaId ?? 'local';
    this.leaseMs = deps.leaseMs ?? 30_000;
    const onError = (err: unknown, where: string, incidentId?: string) =>
      this.deps.onError?.(err, where, incidentId);
    this.dispatcher = new StepDispatcher({
      store: deps.store,
      owner: this.owner,
      leaseMs: this.leaseMs,
      vm: deps.vm,
      now: this.now,
      progressIntervalMs: deps.progressIntervalMs ?? 10_000,
      post: (record, message) => this.postNow(record, [message]),
      deliver: (command) => this.handle(command),
      metrics: this.metrics,
    });
    this.outbox = new Outbox({
      store: deps.store,
      sink: deps.sink,
      owner: this.owner,
      leaseMs: this.leaseMs,
      now: this.now,
      metrics: this.metrics,
      onError,
      ...(deps.outboxMaxAttempts ? { maxAttempts: deps.outboxMaxAttempts } : {}),
      ...(deps.outboxBackoffMs ? { backoffMs: deps.outboxBackoffMs } : {}),
    });
  }

  /** A loaded playbook by id (channels show its texts and scripts). */
  playbook(id: string): Playbook {
    const playbook = this.playbooks.get(id);
    if (!playbook) throw new RdpFixError(ErrorCodes.PlaybookInvalid, `playbook ${id} is not loaded`);
    return playbook;
  }

  /** The script a step of an incident runs, for "Show script"; undefined for steps without one. */
  async scriptOf(incidentId: string, stepId: string): Promise<PlaybookScript | undefined> {
    const record = await this.deps.store.get(incidentId);
    if (!record) return undefined;
    const playbook = this.playbookOf(record);
    const step = playbook.stepById.get(stepId);
    return step && 'script' in step && step.script ? playbook.scripts[step.script] : undefined;
  }

  /** Handles one command. Refusals come back as `ok: false` with a message for the person. */
  async handle(command: Command): Promise<CommandResult> {
    if (command.type === 'start') return this.start(command);
    return this.queue.run(command.incidentId, () => this.handleExisting(command));
  }

  /** Waits until no command, dispatch or message delivery is in flight (tests, graceful shutdown). */
  async idle(): Promise<void> {
    while (this.inflight.size > 0 || this.queue.size > 0 || this.outbox.busy) {
      await Promise.allSettled([...this.inflight]);
      await this.outbox.idle();
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /**
   * At start-up: takes over what was left (approval deadlines, running steps, queued
   * messages), then keeps doing so in the background: a heartbeat extends this replica's
   * leases and adopts the work of replicas that stopped heartbeating.
   */
  async recover(): Promise<void> {
    // A process that starts holds nothing yet: leases under its name are from its previous life.
    await this.deps.store.releaseLeases(this.owner);
    await this.sweep(true);
    await this.outbox.poll();
    if (this.closed || this.background.length > 0) return;
    const every = (ms: number, task: () => Promise<void>) => {
      let running = false;
      const timer = setInterval(() => {
        if (running) return;
        running = true;
        task()
          .catch((err: unknown) => this.deps.onError?.(err, 'background'))
          .finally(() => {
            running = false;
          });
      }, ms);
      timer.unref();
      this.background.push(timer);
    };
    every(Math.max(50, Math.floor(this.leaseMs / 3)), () => this.sweep(false));
    every(this.deps.outboxPollMs ?? 1_000, () => this.outbox.poll());
  }

  /**
   * Stops taking work: timers, polls and deliveries stop where they are; their leases are
   * left to lapse, or handed over at once with `handOver()`.
   */
  close(): void {
    this.closed = true;
    for (const cancel of this.timers.values()) cancel();
    this.timers.clear();
    for (const timer of this.background) clearInterval(timer);
    this.background.length = 0;
    this.dispatcher.close();
    this.outbox.close();
  }

  /** Graceful shutdown: after `close()` and `idle()`, gives this replica's leases up so another takes over now. */
  async handOver(): Promise<void> {
    await this.deps.store.releaseLeases(this.owner);
  }

  /**
   * One pass over the work no one may be doing: extends our leases, adopts dispatches whose
   * replica stopped, and picks up incidents left between a saved transition and its side
   * effect (a crash there). At start-up everything open is looked at; later only incidents
   * that have not changed for a lease period, so that a live replica's work is not raced.
   */
  private async sweep(startup: boolean): Promise<void> {
    const { store } = this.deps;
    const now = this.now();
    await store.renewLeases(this.owner, this.dispatcher.leaseUntil());
    for (const lapsed of await store.lapsedDispatches(now.toISOString(), 100)) {
      if (this.closed) return;
      const record = await store.get(lapsed.incidentId);
      const running = record && runningStep(record);
      if (record && running?.stepId === lapsed.stepId && running.attempt === lapsed.attempt)
        this.track(
          this.dispatcher.resume(record, this.playbookOf(record), running.stepId, running.attempt),
          record.id,
        );
      else this.track(this.dispatcher.abandon(lapsed), lapsed.incidentId);
    }
    for (const record of await store.list({ status: 'open', limit: 100_000 })) {
      if (this.closed) return;
      if (!this.timers.has(record.id)) this.armDeadline(record);
      if (!startup && now.getTime() - Date.parse(record.updatedAt) < this.leaseMs) continue;
      const running = runningStep(record);
      if (record.state === 'preflight')
        this.track(this.runEffects(record, [{ effect: 'checkVm', stepId: '' }]), record.id);
      else if (running) {
        const dispatch = await store.getDispatch(record.id, running.stepId, running.attempt);
        // A dispatch held by a live replica is its business; lapsed ones were handled above.
        if (!dispatch || dispatch.status === 'done' || startup)
          this.track(
            this.dispatcher.resume(record, this.playbookOf(record), running.stepId, running.attempt),
            record.id,
          );
      }
    }
  }

  private async start(command: Extract<Command, { type: 'start' }>): Promise<CommandResult> {
    const playbook = command.playbookId ? this.playbooks.get(command.playbookId) : this.deps.playbooks[0];
    if (!playbook) {
      return refusal(ErrorCodes.InvalidCommand, { en: 'No such playbook.', it: 'Playbook inesistente.' });
    }
    const incidentId = (this.deps.newId ?? shortId)();
    const at = this.now().toISOString();
    const run = runMachine(this.machineOf(playbook), {
      input: {
        incidentId,
        requester: command.requester,
        walkAll: command.walkAll ?? false,
      },
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
        ...posted([opened]).entries,
      ],
      at,
      [opened],
    );
    this.afterSave(record, run.effects);
    return { ok: true, incidentId };
  }

  /** A command that lost a race with another replica is decided again on the state that won. */
  private async handleExisting(command: IncidentCommand): Promise<CommandResult> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.decideAndCommit(command);
      } catch (err) {
        if (!isRdpFixError(err) || err.code !== ErrorCodes.VersionConflict || attempt >= ConflictRetries)
          throw err;
      }
    }
  }

  private async decideAndCommit(command: IncidentCommand): Promise<CommandResult> {
    const record = await this.deps.store.get(command.incidentId);
    if (!record)
      return refusal(ErrorCodes.IncidentNotFound, Texts.refused.notFound(shorten(command.incidentId)));
    if (record.status === 'closed') {
      return refusal(ErrorCodes.IncidentClosed, Texts.refused.closed(record.id), record.id);
    }
    const playbook = this.playbookOf(record);
    let decided: Decided;
    try {
      decided = decideCommand(record, playbook, this.deps.policy, command, this.now());
    } catch (err) {
      if (err instanceof Refusal) return this.refuse(record, command, err);
      throw err;
    }
    if (
      record.pending &&
      (command.type === 'approve' || command.type === 'skip' || command.type === 'answer')
    ) {
      const asked = Date.parse(record.pending.deadline) - this.deps.policy.ttlMs;
      this.metrics.approvalWaited(Math.max(0, (this.now().getTime() - asked) / 1000));
    }
    await this.commit(record, playbook, decided.event, decided.drafts, decided.messages);
    return { ok: true, incidentId: record.id };
  }

  private async refuse(
    record: IncidentRecord,
    command: IncidentCommand,
    err: Refusal,
  ): Promise<CommandResult> {
    this.metrics.error(err.code);
    const user = 'user' in command ? command.user : undefined;
    // Replicas each keep a deadline timer: the expiries that came second are not news.
    if (command.type === 'expire') return refusal(err.code, err.text, record.id);
    await this.deps.store.append(
      record.id,
      [
        {
          kind: 'step.refused',
          actor: user?.id ?? null,
          data: {
            command: command.type,
            stepId: 'stepId' in command ? shorten(command.stepId) : null,
            code: err.code,
            reason: err.text.en,
          },
        },
      ],
      this.now().toISOString(),
    );
    if (user) await this.postNow(record, [{ kind: 'refusal', to: user, text: err.text }]);
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
    const run = runMachine(this.machineOf(playbook), { snapshot: record.snapshot }, event);
    const described = describeEvents(playbook, record.id, run.context, run.emitted);
    const story = posted([...messages, ...described.messages]);
    const saving = performance.now();
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
      [...drafts, ...described.drafts, ...story.entries],
      this.now().toISOString(),
      story.outbox,
    );
    this.metrics.transitionSaved((performance.now() - saving) / 1000);
    this.armDeadline(saved);
    this.afterSave(saved, run.effects);
  }

  /**
   * What follows a saved transition, in the background so that the person's command returns
   * as soon as it is durable: its messages go out first (in order), then its side effects.
   */
  private afterSave(record: IncidentRecord, effects: { effect: SideEffect; stepId: string }[]): void {
    this.track(
      this.outbox.flush(record.id).then(() => this.runEffects(record, effects)),
      record.id,
    );
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
          // Another replica may check the same VM after a crash: the first result to be saved wins.
          await this.commit(
            fresh,
            this.playbookOf(fresh),
            { type: 'VM_STATUS', status: check.status, ...(check.detail ? { detail: check.detail } : {}) },
            [{ kind: 'vm.checked', actor: null, data: { ...check } }],
            [{ kind: 'notice', text }],
          ).catch((err: unknown) => {
            if (!isRdpFixError(err) || err.code !== ErrorCodes.VersionConflict) throw err;
          });
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
    // Only ids in the closure: a timer per waiting incident must not hold its whole record.
    const { id } = record;
    const { stepId, attempt, deadline } = record.pending;
    const ms = Math.max(0, Date.parse(deadline) - this.now().getTime());
    const schedule = this.deps.schedule ?? defaultSchedule;
    this.timers.set(
      id,
      schedule(ms, () => {
        this.timers.delete(id);
        this.track(this.handle({ type: 'expire', incidentId: id, stepId, attempt }), id);
      }),
    );
  }

  /**
   * Messages that are not queued: a refusal for the person who clicked, and the "still
   * running" progress updates. Everything that is part of the incident's story goes through
   * the transcript and the outbox instead.
   */
  private async postNow(record: IncidentRecord, messages: OutMessage[]): Promise<void> {
    for (const message of messages) {
      this.metrics.outgoing(1);
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
        this.deps.onError?.(err, 'sink', record.id);
        this.metrics.error(ErrorCodes.ChatDeliveryFailed);
      } finally {
        this.metrics.outgoing(-1);
      }
    }
  }

  private track(work: Promise<unknown>, incidentId?: string): void {
    const tracked = work.catch((err: unknown) => this.deps.onError?.(err, 'background', incidentId));
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
/** The step an open incident is running, and which attempt of it; undefined when none runs. */
function runningStep(record: IncidentRecord): { stepId: string; attempt: number } | undefined {
  const at = record.status === 'open' ? stepOfState(stateValueOf(record.snapshot)) : undefined;
  if (at?.phase !== 'running') return undefined;
  const context = contextOf(record.snapshot);
  return { stepId: at.stepId, attempt: context.current?.attempt ?? context.steps[at.stepId]?.attempt ?? 1 };
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

import type { VmOperations } from '../azure/vm-operations';
import type { ApprovalPolicy } from '../core/approval-policy';
import type { Playbook, PlaybookScript } from '../playbook/load-playbook';
import type { IncidentStore } from '../store/incident-store';
import { ApprovalDeadlines, type Schedule } from './approval-deadlines';
import { BackgroundWork, type ErrorReporter } from './background-work';
import { CommandHandler, type Handled } from './command-handler';
import type { Command, CommandInbox, CommandResult } from './commands';
import { DirectMessages } from './direct-messages';
import { EffectsRunner } from './effects-runner';
import { type EngineMetrics, noMetrics } from './engine-metrics';
import { KeyedQueue } from './keyed-queue';
import { LeaseSweeper } from './lease-sweeper';
import type { MessageSink } from './messages';
import { Outbox } from './outbox';
import { PlaybookRegistry } from './playbook-registry';
import type { RescueSetting } from './step-dispatcher';
import { StepDispatcher, type StepFailure } from './step-dispatcher';

export type { Command, CommandResult } from './commands';

/** How often repeated refusals are looked at for writing (they wait for the person to stop). */
const RefusalFlushMs = 2_000;

export { contextOf, stateText } from './transition-incident';

export interface EngineDeps {
  store: IncidentStore;
  playbooks: readonly Playbook[];
  vm: VmOperations;
  /**
   * The offline repair (RDPFIX_RESCUE): its Azure operations and the rescue resource group.
   * Absent: the feature is off and the playbook's manual offline guidance is offered instead.
   */
  rescue?: RescueSetting;
  policy: ApprovalPolicy;
  sink: MessageSink;
  now?: () => Date;
  newId?: () => string;
  /** Schedules approval expiry; returns a cancel function. Injected so tests control time. */
  schedule?: Schedule;
  /** How often a running step's progress message is updated; 0 turns it off. */
  progressIntervalMs?: number;
  /** Failures no one is waiting for (background work, chat delivery), with the incident they concern. */
  onError?: ErrorReporter;
  /** Every step that ended in error (Azure refused it, the script failed), for the log. */
  onStepFailed?: (failure: StepFailure) => void;
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

/**
 * The incident engine, put together from its parts:
 * - `CommandHandler`: a command → decide (pure) → transition (pure) → one saved write;
 * - `Outbox`: the saved messages, delivered in order, at least once;
 * - `EffectsRunner` + `StepDispatcher`: the side effects a saved transition asked for;
 * - `ApprovalDeadlines`: a timer per waiting incident; `LeaseSweeper`: heartbeats and recovery.
 * The parts report back as commands (`submit`): a step's result, the VM check, an expiry.
 * Commands about one incident run one at a time; idle incidents live only in the store.
 */
export class IncidentEngine implements CommandInbox {
  private readonly queue = new KeyedQueue();
  private readonly playbooks: PlaybookRegistry;
  private readonly work: BackgroundWork;
  private readonly commands: CommandHandler;
  private readonly dispatcher: StepDispatcher;
  private readonly effects: EffectsRunner;
  private readonly outbox: Outbox;
  private readonly deadlines: ApprovalDeadlines;
  private readonly sweeper: LeaseSweeper;
  private readonly owner: string;
  private readonly background: NodeJS.Timeout[] = [];
  private closed = false;

  constructor(private readonly deps: EngineDeps) {
    const now = deps.now ?? (() => new Date());
    const metrics = deps.metrics ?? noMetrics;
    const onError: ErrorReporter = (err, where, incidentId) => deps.onError?.(err, where, incidentId);
    const leaseMs = deps.leaseMs ?? 30_000;
    const { store } = deps;
    this.owner = deps.replicaId ?? 'local';
    this.playbooks = new PlaybookRegistry(deps.playbooks);
    this.work = new BackgroundWork(onError);
    const messages = new DirectMessages(deps.sink, metrics, onError);
    this.commands = new CommandHandler({
      store,
      playbooks: this.playbooks,
      policy: deps.policy,
      messages,
      metrics,
      now,
      ...(deps.newId ? { newId: deps.newId } : {}),
      features: deps.rescue ? ['rescue'] : [],
    });
    this.dispatcher = new StepDispatcher({
      store,
      owner: this.owner,
      leaseMs,
      vm: deps.vm,
      ...(deps.rescue ? { rescue: deps.rescue } : {}),
      now,
      progressIntervalMs: deps.progressIntervalMs ?? 10_000,
      messages,
      results: this,
      metrics,
      ...(deps.onStepFailed ? { onStepFailed: deps.onStepFailed } : {}),
    });
    this.effects = new EffectsRunner({ vm: deps.vm, dispatcher: this.dispatcher, inbox: this });
    this.outbox = new Outbox({
      store,
      sink: deps.sink,
      owner: this.owner,
      leaseMs,
      now,
      metrics,
      onError,
      ...(deps.outboxMaxAttempts ? { maxAttempts: deps.outboxMaxAttempts } : {}),
      ...(deps.outboxBackoffMs ? { backoffMs: deps.outboxBackoffMs } : {}),
    });
    this.deadlines = new ApprovalDeadlines(this, now, deps.schedule);
    this.sweeper = new LeaseSweeper({
      store,
      playbooks: this.playbooks,
      dispatcher: this.dispatcher,
      effects: this.effects,
      outbox: this.outbox,
      deadlines: this.deadlines,
      work: this.work,
      owner: this.owner,
      leaseMs,
      now,
    });
  }

  /** A loaded playbook by id (channels show its texts and scripts). */
  playbook(id: string): Playbook {
    return this.playbooks.get(id);
  }

  /** The script a step of an incident runs, for "Show script"; undefined for steps without one. */
  async scriptOf(incidentId: string, stepId: string): Promise<PlaybookScript | undefined> {
    const record = await this.deps.store.get(incidentId);
    if (!record) return undefined;
    const playbook = this.playbooks.get(record.playbookId, record.id);
    const step = playbook.stepById.get(stepId);
    return step && 'script' in step && step.script ? playbook.scripts[step.script] : undefined;
  }

  /** Handles one command. Refusals come back as `ok: false` with a message for the person. */
  async handle(command: Command): Promise<CommandResult> {
    // One person's starts one after another: each sees the incidents the one before opened, so
    // the per-user limit holds on this replica however close together they arrive (starts
    // that waited on one shared VM listing used to reach the check at the same moment).
    if (command.type === 'start')
      return this.queue.run(`start:${command.requester.id}`, async () =>
        this.followUp(await this.commands.start(command)),
      );
    // What follows a save is started inside the incident's turn, so that a later command's
    // deadline or effects never start before this one's.
    return this.queue.run(command.incidentId, async () => this.followUp(await this.commands.handle(command)));
  }

  /** A command from the engine's own parts (a result, the VM check, an expiry), handled in the background. */
  submit(command: Command): void {
    this.work.track(this.handle(command), 'incidentId' in command ? command.incidentId : undefined);
  }

  /** Waits until no command, dispatch or message delivery is in flight (tests, graceful shutdown). */
  async idle(): Promise<void> {
    while (this.work.size > 0 || this.queue.size > 0 || this.outbox.busy) {
      await this.work.settled();
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
    await this.sweeper.sweep(true);
    await this.outbox.poll();
    if (this.closed || this.background.length > 0) return;
    this.every(Math.max(50, Math.floor((this.deps.leaseMs ?? 30_000) / 3)), () => this.sweeper.sweep(false));
    this.every(this.deps.outboxPollMs ?? 1_000, () => this.outbox.poll());
    // Repeated refusals are written once the person stopped pressing (refusal-tally.ts).
    this.every(RefusalFlushMs, () => this.commands.flushRefusals(false));
  }

  /**
   * Stops taking work: timers, polls and deliveries stop where they are; their leases are
   * left to lapse, or handed over at once with `handOver()`.
   */
  close(): void {
    this.closed = true;
    this.deadlines.close();
    for (const timer of this.background) clearInterval(timer);
    this.background.length = 0;
    this.sweeper.close();
    this.dispatcher.close();
    this.outbox.close();
  }

  /** Graceful shutdown: after `close()` and `idle()`, gives this replica's leases up so another takes over now. */
  async handOver(): Promise<void> {
    // Counted refusals are kept, but never at the cost of handing the work over.
    await this.commands.flushRefusals(true).catch((err: unknown) => this.deps.onError?.(err, 'background'));
    await this.deps.store.releaseLeases(this.owner);
  }

  /**
   * What follows a saved transition: its deadline is armed, and in the background its
   * messages go out first (in order), then its side effects run; the command returns as soon
   * as the transition is durable. The background part starts after the event loop has read
   * what arrived meanwhile (setImmediate runs after the poll phase): a request waiting to be
   * acked is answered before this work, not behind it (issue 20). Immediates run in the order
   * set, so a later command's work still starts after this one's.
   */
  private followUp(handled: Handled): CommandResult {
    const { saved } = handled;
    if (saved) {
      this.deadlines.arm(saved.record);
      const { record, playbook, effects } = saved;
      this.work.track(
        afterPendingIo()
          .then(() => this.outbox.flush(record.id, record))
          .then(() => this.effects.run(record, playbook, effects)),
        record.id,
      );
    }
    return handled.result;
  }

  /** A periodic task that never overlaps itself and never keeps the process alive. */
  private every(ms: number, task: () => Promise<void>): void {
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
  }
}

/** Resolves once the event loop has handled the I/O that is ready now. */
function afterPendingIo(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

import { randomUUID } from 'node:crypto';
import type { ApprovalPolicy } from '../core/approval-policy';
import { ErrorCodes, isRdpFixError, Refusal } from '../core/errors';
import { shorten } from '../core/shorten';
import type { TranscriptDraft } from '../core/transcript';
import { formatVm } from '../core/types';
import type { SideEffect } from '../playbook/compile-playbook';
import type { Playbook } from '../playbook/load-playbook';
import type { IncidentContext, IncidentEvent } from '../playbook/machine-types';
import type { Feature } from '../playbook/schema';
import type { IncidentLog, IncidentRecord, PendingApproval } from '../store/incident-store';
import { type Command, type CommandResult, type IncidentCommand, type Refused, refusal } from './commands';
import { decideCommand, StaleCard } from './decide-command';
import { describeEvents } from './describe-events';
import type { DirectMessages } from './direct-messages';
import type { EngineMetrics } from './engine-metrics';
import { type OutMessage, posted } from './messages';
import { alreadyOpen, openIncidentOn } from './open-incidents';
import type { PlaybookRegistry } from './playbook-registry';
import { RefusalTally } from './refusal-tally';
import { Texts } from './texts';
import { initialIncident, transitionIncident } from './transition-incident';

/** A transition that was saved, with what must follow it: its messages go out, then its side effects run. */
export interface Saved {
  record: IncidentRecord;
  playbook: Playbook;
  effects: { effect: SideEffect; stepId: string }[];
}

export interface Handled {
  result: CommandResult;
  saved?: Saved;
}

export interface CommandHandlerDeps {
  store: IncidentLog;
  playbooks: PlaybookRegistry;
  policy: ApprovalPolicy;
  /** Refusals go to the person who gave the command, now. */
  messages: DirectMessages;
  metrics: EngineMetrics;
  now: () => Date;
  newId?: () => string;
  /** Features new incidents open with (`rescue` when the offline repair is on). */
  features?: Feature[];
}

/** Attempts of a command that lost a race with another replica (it is re-decided on the new state). */
const ConflictRetries = 5;

/**
 * Turns one command into one saved transition: load the incident, decide whether the
 * command may change it (`decideCommand`, pure), apply the event to the machine
 * (`transitionIncident`, pure), and save snapshot, transcript entries and queued messages
 * in one transaction. Nothing else runs here: the caller sends the messages and starts
 * the side effects of what was saved.
 */
export class CommandHandler {
  private readonly refusals = new RefusalTally();

  constructor(private readonly deps: CommandHandlerDeps) {}

  async start(command: Extract<Command, { type: 'start' }>): Promise<Handled> {
    const { store, playbooks, policy } = this.deps;
    const playbook = playbooks.find(command.playbookId);
    if (!playbook) {
      return { result: refusal(ErrorCodes.InvalidCommand, Texts.refused.noPlaybook()) };
    }
    // One open incident per VM: asked here for a clear answer, enforced by the store (a
    // unique index), which settles two starts racing on two replicas.
    const open = await openIncidentOn(store, command.vm);
    if (open) return { result: alreadyOpen(command.vm, open) };
    const max = policy.maxOpenPerUser;
    if (max !== undefined) {
      // Not race-proof across replicas (two starts at once may both pass): a limit on
      // floods, not an invariant; the per-VM rule above is the one the store enforces.
      const mine = await store.list({ status: 'open', requester: command.requester.id, limit: max });
      if (mine.length >= max)
        return { result: refusal(ErrorCodes.TooManyOpen, Texts.refused.tooManyOpen(max)) };
    }
    const incidentId = (this.deps.newId ?? shortId)();
    const walkAll = command.walkAll ?? false;
    const offline = command.offline ?? false;
    const run = initialIncident(playbooks.machineOf(playbook), {
      incidentId,
      requester: command.requester,
      walkAll,
      features: this.deps.features ?? [],
      offline,
    });
    const opened = posted([
      {
        kind: 'opened',
        key: `${incidentId}:root`,
        text: Texts.opened(formatVm(command.vm), incidentId, command.requester.name ?? command.requester.id),
      },
    ]);
    const started: TranscriptDraft = {
      kind: 'incident.started',
      actor: command.requester.id,
      data: {
        vm: command.vm,
        channel: command.channel,
        playbook: { id: playbook.id, version: playbook.version, hash: playbook.hash },
        walkAll,
        ...(offline ? { offline } : {}),
      },
    };
    let record: IncidentRecord;
    try {
      record = await store.create(
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
        [started, ...opened.entries],
        this.deps.now().toISOString(),
        opened.outbox,
      );
    } catch (err) {
      if (isRdpFixError(err) && err.code === ErrorCodes.IncidentAlreadyOpen)
        return { result: alreadyOpen(command.vm, String(err.details.incidentId ?? '')) };
      throw err;
    }
    this.deps.metrics.incidentSaved(undefined, record);
    return { result: { ok: true, incidentId }, saved: { record, playbook, effects: run.effects } };
  }

  /**
   * Writes the repeats of refusals (one entry per card with their count) once the person
   * stopped pressing, or all of them (`all`, at shutdown).
   */
  async flushRefusals(all: boolean): Promise<void> {
    for (const { key, incidentId, draft } of this.refusals.drain(this.deps.now().getTime(), all)) {
      try {
        await this.deps.store.append(incidentId, [draft], this.deps.now().toISOString());
      } catch (err) {
        this.refusals.restore(key, Number(draft.data.count ?? 0));
        throw err;
      }
    }
  }

  /** A command about an existing incident; one that lost a race with another replica is decided again on the state that won. */
  async handle(command: IncidentCommand): Promise<Handled> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.decideAndSave(command);
      } catch (err) {
        if (!isRdpFixError(err) || err.code !== ErrorCodes.VersionConflict || attempt >= ConflictRetries)
          throw err;
      }
    }
  }

  private async decideAndSave(command: IncidentCommand): Promise<Handled> {
    const { store, playbooks, policy } = this.deps;
    const record = await store.get(command.incidentId);
    if (!record)
      return {
        result: refusal(ErrorCodes.IncidentNotFound, Texts.refused.notFound(shorten(command.incidentId))),
      };
    if (record.status === 'closed') {
      return { result: refusal(ErrorCodes.IncidentClosed, Texts.refused.closed(record.id), record.id) };
    }
    const playbook = playbooks.get(record.playbookId, record.id);
    const now = this.deps.now();
    let decided: ReturnType<typeof decideCommand>;
    try {
      decided = decideCommand(record, playbook, policy, command, now);
    } catch (err) {
      if (err instanceof Refusal) return { result: await this.refuse(record, command, err) };
      throw err;
    }
    if (
      record.pending &&
      (command.type === 'approve' || command.type === 'skip' || command.type === 'answer')
    ) {
      const asked = Date.parse(record.pending.deadline) - policy.ttlMs;
      this.deps.metrics.approvalWaited(Math.max(0, (now.getTime() - asked) / 1000));
    }
    const saved = decided.event
      ? await this.save(record, playbook, decided.event, decided.drafts, decided.messages)
      : await this.record(record, playbook, decided.approvals ?? [], decided.drafts, decided.messages);
    return { result: { ok: true, incidentId: record.id }, saved };
  }

  /**
   * A decision the machine is not told of yet (the first of two approvals): kept with the
   * waiting step (`pending.approvals`) under the same version check as a transition, so that
   * two approvals racing on two replicas are decided one after the other.
   */
  private async record(
    record: IncidentRecord,
    playbook: Playbook,
    approvals: PendingApproval['approvals'] & object,
    drafts: TranscriptDraft[],
    messages: OutMessage[],
  ): Promise<Saved> {
    const story = posted(messages);
    const pending = record.pending ? { ...record.pending, approvals } : null;
    const saved = await this.deps.store.save(
      record.id,
      record.version,
      { pending },
      [...drafts, ...story.entries],
      this.deps.now().toISOString(),
      story.outbox,
    );
    return { record: saved, playbook, effects: [] };
  }

  private async refuse(record: IncidentRecord, command: IncidentCommand, err: Refusal): Promise<Refused> {
    const refused = refusal(err.code, err.text, record.id);
    // The engine's own late news is no one's business: an expiry a replica's timer sent second,
    // a VM check another replica saved first, a result repeated after a restart. Not counted
    // as errors either.
    if (command.type === 'expire' || command.type === 'vmChecked' || command.type === 'stepResult')
      return refused;
    this.deps.metrics.error(err.code);
    const user = command.user;
    const stepId = 'stepId' in command ? shorten(command.stepId) : null;
    const draft: TranscriptDraft = {
      kind: 'step.refused',
      actor: user.id,
      data: { command: command.type, stepId, code: err.code, reason: err.text.en },
    };
    const at = this.deps.now();
    if (err instanceof StaleCard) {
      // The fresh card goes out whatever the tally says: it is the way forward.
      const fresh = posted(err.messages);
      await this.deps.store.append(record.id, [draft, ...fresh.entries], at.toISOString(), fresh.outbox);
      await this.deps.messages.post(record, { kind: 'refusal', to: user, text: err.text });
      return refused;
    }
    const card = 'attempt' in command ? `${stepId}:${command.attempt}` : '-';
    const key = [record.id, user.id, card, command.type, err.code].join('\0');
    const { write, answer } = this.refusals.note(key, record.id, draft, at.getTime());
    if (write) await this.deps.store.append(record.id, [draft], at.toISOString());
    if (!answer) return { ...refused, quiet: true };
    // A decision from another conversation: the person is not in the incident's thread.
    if (err.code !== ErrorCodes.WrongConversation)
      await this.deps.messages.post(record, { kind: 'refusal', to: user, text: err.text });
    return refused;
  }

  /** Applies one event and saves snapshot, transcript and queued messages atomically. */
  private async save(
    record: IncidentRecord,
    playbook: Playbook,
    event: IncidentEvent,
    drafts: TranscriptDraft[],
    messages: OutMessage[],
  ): Promise<Saved> {
    const run = transitionIncident(this.deps.playbooks.machineOf(playbook), record.snapshot, event);
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
      this.deps.now().toISOString(),
      story.outbox,
    );
    this.deps.metrics.transitionSaved((performance.now() - saving) / 1000);
    this.deps.metrics.incidentSaved(record, saved);
    return { record: saved, playbook, effects: run.effects };
  }

  private pendingOf(context: IncidentContext, state: string): PendingApproval | null {
    if (!context.current || !state.endsWith('.awaiting')) return null;
    const deadline = new Date(this.deps.now().getTime() + this.deps.policy.ttlMs).toISOString();
    return { stepId: context.current.stepId, attempt: context.current.attempt, deadline };
  }
}

function shortId(): string {
  return randomUUID().replace(/-/g, '').slice(0, 12);
}

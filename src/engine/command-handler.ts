import { randomUUID } from 'node:crypto';
import type { ApprovalPolicy } from '../core/approval-policy';
import { ErrorCodes, isRdpFixError, Refusal } from '../core/errors';
import { shorten } from '../core/shorten';
import type { TranscriptDraft } from '../core/transcript';
import { formatVm } from '../core/types';
import type { SideEffect } from '../playbook/compile-playbook';
import type { Playbook } from '../playbook/load-playbook';
import type { IncidentContext, IncidentEvent } from '../playbook/machine-types';
import type { IncidentLog, IncidentRecord, PendingApproval } from '../store/incident-store';
import { type Command, type CommandResult, type IncidentCommand, refusal } from './commands';
import { decideCommand } from './decide-command';
import { describeEvents } from './describe-events';
import type { DirectMessages } from './direct-messages';
import type { EngineMetrics } from './engine-metrics';
import { type OutMessage, posted } from './messages';
import type { PlaybookRegistry } from './playbook-registry';
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
  constructor(private readonly deps: CommandHandlerDeps) {}

  async start(command: Extract<Command, { type: 'start' }>): Promise<Handled> {
    const { store, playbooks } = this.deps;
    const playbook = playbooks.find(command.playbookId);
    if (!playbook) {
      return { result: refusal(ErrorCodes.InvalidCommand, Texts.refused.noPlaybook()) };
    }
    const incidentId = (this.deps.newId ?? shortId)();
    const walkAll = command.walkAll ?? false;
    const run = initialIncident(playbooks.machineOf(playbook), {
      incidentId,
      requester: command.requester,
      walkAll,
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
      },
    };
    const record = await store.create(
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
    this.deps.metrics.incidentSaved(undefined, record);
    return { result: { ok: true, incidentId }, saved: { record, playbook, effects: run.effects } };
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
    const saved = await this.save(record, playbook, decided.event, decided.drafts, decided.messages);
    return { result: { ok: true, incidentId: record.id }, saved };
  }

  private async refuse(
    record: IncidentRecord,
    command: IncidentCommand,
    err: Refusal,
  ): Promise<CommandResult> {
    const refused = refusal(err.code, err.text, record.id);
    // The engine's own late news is no one's business: an expiry a replica's timer sent second,
    // a VM check another replica saved first. Not counted as errors either.
    if (command.type === 'expire' || command.type === 'vmChecked') return refused;
    this.deps.metrics.error(err.code);
    const user = 'user' in command ? command.user : undefined;
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
      this.deps.now().toISOString(),
    );
    if (user) await this.deps.messages.post(record, { kind: 'refusal', to: user, text: err.text });
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

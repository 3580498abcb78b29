import type { Origin } from '../core/approval-policy';
import type { ErrorCode } from '../core/errors';
import type { ChannelRef, Locale, Localized, User, VmRef } from '../core/types';
import type { StepRunResult, VmStatus } from '../playbook/machine-types';

/**
 * What channels, the dispatcher, the VM check and the deadline timers ask of the engine.
 * People give the first six; the engine's own parts report back with the last three.
 * A person's decision carries `from`, where it was given (decoded by the channel from the
 * verified payload): it counts only in the incident's own conversation.
 */
export type Command =
  | {
      type: 'start';
      vm: VmRef;
      requester: User;
      channel: ChannelRef;
      locale: Locale;
      playbookId?: string;
      walkAll?: boolean;
      /** `--offline`: the offline repair, whatever the VM's state. */
      offline?: boolean;
    }
  | {
      type: 'approve';
      incidentId: string;
      stepId: string;
      attempt: number;
      user: User;
      from: Origin;
      params?: Record<string, unknown>;
      /** The sha256 of the script the card showed (runCommand steps): a different one is refused. */
      scriptSha256?: string;
    }
  | { type: 'skip'; incidentId: string; stepId: string; attempt: number; user: User; from: Origin }
  | {
      type: 'answer';
      incidentId: string;
      stepId: string;
      attempt: number;
      answer: string;
      user: User;
      from: Origin;
    }
  | { type: 'abort'; incidentId: string; user: User; from: Origin; reason?: string }
  | {
      type: 'undo';
      incidentId: string;
      user: User;
      from: Origin;
      /** One step's change (`undo <id> <step>`, a result's Undo button); absent: every change. */
      step?: string;
    }
  | { type: 'stepResult'; incidentId: string; stepId: string; attempt: number; result: StepRunResult }
  | { type: 'vmChecked'; incidentId: string; status: VmStatus; detail?: string }
  | { type: 'expire'; incidentId: string; stepId: string; attempt: number };

export type IncidentCommand = Exclude<Command, { type: 'start' }>;

/** Where the engine's parts hand the commands they produce (a result, an expiry); handled in the background. */
export interface CommandInbox {
  submit(command: Command): void;
}

export type CommandResult =
  | { ok: true; incidentId: string }
  | {
      ok: false;
      incidentId?: string;
      code: ErrorCode;
      message: Localized;
      /** The same person was told the same refusal moments ago: say nothing this time. */
      quiet?: boolean;
      /** A start refused because the VM has an open incident: that incident. */
      openIncidentId?: string;
    };

export type Refused = Extract<CommandResult, { ok: false }>;

export function refusal(code: ErrorCode, message: Localized, incidentId?: string): Refused {
  return { ok: false, code, message, ...(incidentId ? { incidentId } : {}) };
}

/** What a person can press on a step card (or, `undo`, on a changing step's result), in every channel. */
export type CardVerb = 'approve' | 'skip' | 'abort' | 'answer' | 'undo';

export interface CardClick {
  verb: CardVerb;
  incidentId: string;
  stepId: string;
  attempt: number;
  answer?: string;
  /** The script hash the card carried back. */
  scriptSha256?: string;
  user: User;
  from: Origin;
}

/** A click on a card, as the engine command it means. Channels only decode the click. */
export function commandForCard(click: CardClick): IncidentCommand {
  const { verb, incidentId, stepId, attempt, user, from } = click;
  switch (verb) {
    case 'approve':
      return {
        type: verb,
        incidentId,
        stepId,
        attempt,
        user,
        from,
        ...(click.scriptSha256 ? { scriptSha256: click.scriptSha256 } : {}),
      };
    case 'skip':
      return { type: verb, incidentId, stepId, attempt, user, from };
    case 'abort':
      return { type: 'abort', incidentId, user, from };
    case 'answer':
      return { type: 'answer', incidentId, stepId, attempt, user, from, answer: click.answer ?? '' };
    case 'undo':
      // The button on the step's result: that step's change only.
      return { type: 'undo', incidentId, user, from, ...(stepId ? { step: stepId } : {}) };
  }
}

import type { ErrorCode } from '../core/errors';
import type { ChannelRef, Locale, Localized, User, VmRef } from '../core/types';
import type { StepRunResult, VmStatus } from '../playbook/machine-types';

/**
 * What channels, the dispatcher, the VM check and the deadline timers ask of the engine.
 * People give the first six; the engine's own parts report back with the last three.
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
  | { type: 'vmChecked'; incidentId: string; status: VmStatus; detail?: string }
  | { type: 'expire'; incidentId: string; stepId: string; attempt: number };

export type IncidentCommand = Exclude<Command, { type: 'start' }>;

/** Where the engine's parts hand the commands they produce (a result, an expiry); handled in the background. */
export interface CommandInbox {
  submit(command: Command): void;
}

export type CommandResult =
  | { ok: true; incidentId: string }
  | { ok: false; incidentId?: string; code: ErrorCode; message: Localized };

export function refusal(code: ErrorCode, message: Localized, incidentId?: string): CommandResult {
  return { ok: false, code, message, ...(incidentId ? { incidentId } : {}) };
}

/** What a person can press on a step card, in every channel. */
export type CardVerb = 'approve' | 'skip' | 'abort' | 'answer';

export interface CardClick {
  verb: CardVerb;
  incidentId: string;
  stepId: string;
  attempt: number;
  answer?: string;
  user: User;
}

/** A click on a card, as the engine command it means. Channels only decode the click. */
export function commandForCard(click: CardClick): IncidentCommand {
  const { verb, incidentId, stepId, attempt, user } = click;
  switch (verb) {
    case 'approve':
    case 'skip':
      return { type: verb, incidentId, stepId, attempt, user };
    case 'abort':
      return { type: 'abort', incidentId, user };
    case 'answer':
      return { type: 'answer', incidentId, stepId, attempt, user, answer: click.answer ?? '' };
  }
}

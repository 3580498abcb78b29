import type { TranscriptDraft } from '../core/transcript';
import type { ChannelRef, Locale, Localized, Risk, User, VmRef } from '../core/types';
import type { CauseFinding } from '../playbook/evaluate-causes';
import type { EndOutcome, StepParams } from '../playbook/machine-types';
import type { StepKind } from '../playbook/schema';
import type { MessageRefStore } from '../store/incident-store';

/** What a person can do on a step card. */
export type CardAction = 'approve' | 'skip' | 'abort' | 'showScript';

export interface CardParam {
  name: string;
  label: Localized;
  type: 'integer' | 'string' | 'enum' | 'boolean';
  value: StepParams[string] | undefined;
  values?: string[];
}

/**
 * Channel-neutral messages the engine sends. Channels render them (Block Kit, Adaptive
 * Cards, HTML, terminal); `key` names the message a later one updates in place.
 */
export type OutMessage =
  | { kind: 'opened'; key: string; text: Localized }
  | { kind: 'notice'; text: Localized }
  | { kind: 'causes'; text: Localized; causes: CauseFinding[] }
  | {
      kind: 'stepCard';
      key: string;
      stepId: string;
      attempt: number;
      stepKind: StepKind;
      section: string;
      title: Localized;
      explain: Localized;
      warning?: Localized;
      notice?: Localized;
      risk?: Risk;
      /** Ask "are you sure?" before approving (restarts, port changes). */
      confirm: boolean;
      params: CardParam[];
      reasons: Localized[];
      actions: CardAction[];
      /** `confirm`: the answer asks "are you sure?" first, in every channel. */
      answers: { id: string; label: Localized; confirm?: boolean }[];
      script?: string;
      /**
       * sha256 of the script the step runs now (runCommand steps). Channels put it in the
       * buttons; an approval carrying another hash is refused and a fresh card is posted.
       */
      scriptSha256?: string;
    }
  | { kind: 'cardClosed'; key: string; stepId: string; attempt: number; text: Localized }
  | {
      kind: 'progress';
      key: string;
      stepId: string;
      text: Localized;
      elapsedMs: number;
      done: boolean;
      /**
       * The line exists nowhere yet: the first show of a step attempt whose dispatch was just
       * claimed (nobody ran that attempt before, so nobody posted its line), and the channel
       * posts it without first looking up the line's id in the store.
       */
      unposted?: true;
      /**
       * On the result of a change the undo can take back alone: channels add an Undo button,
       * pressed as `undo <incident> <step>` (bound to this attempt like a card's buttons).
       */
      undo?: { attempt: number };
    }
  | {
      kind: 'summary';
      outcome: EndOutcome;
      text: Localized;
      reason: string | null;
      causes: CauseFinding[];
      steps: { stepId: string; title: Localized; outcome: string; approvedBy?: string }[];
    }
  | { kind: 'refusal'; to: User; text: Localized };

/** Where a message goes: the incident's thread, in its language. */
export interface Delivery {
  incidentId: string;
  channel: ChannelRef;
  locale: Locale;
  vm: VmRef;
  message: OutMessage;
  /** The outbox row it comes from (a platform that can tag a message with it finds re-sends). */
  outboxId?: number;
  /**
   * Another process (or an earlier life of this one) held this message and may have had it
   * accepted just before it died: a sink that can look in the thread does so before posting.
   */
  maybeSent?: boolean;
  /**
   * Where the channel keeps its handles on this message (a card's ts, a progress line's id):
   * the outbox's delivery round, which writes them with the round's mark (markSent) and shows
   * them to the round's later messages. Absent (a message not from the outbox), the channel's
   * own store.
   */
  refs?: MessageRefStore;
}

/** The chat side of the engine: one implementation per platform. */
export type MessageSink = (delivery: Delivery) => Promise<void> | void;

export function cardKey(incidentId: string, stepId: string, attempt: number): string {
  return `${incidentId}:${stepId}:${attempt}`;
}

/**
 * Messages that are part of the incident's story, ready for one store write: a
 * `message.posted` transcript entry each, and the same messages queued in the outbox, so
 * that a crash after the write loses none and the transcript shows what was said.
 */
export function posted(messages: readonly OutMessage[]): {
  entries: TranscriptDraft[];
  outbox: OutMessage[];
} {
  return {
    entries: messages.map((message) => ({ kind: 'message.posted', actor: null, data: { message } })),
    outbox: [...messages],
  };
}

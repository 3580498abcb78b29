import type { Locale, User } from '../core/types';
import type { CardVerb } from '../engine/commands';

/** Who speaks, in which language: every command and click carries one. */
export interface Asker {
  user: User;
  locale: Locale;
}

/**
 * A press on a step card, decoded and validated by the channel: the exact step attempt the
 * card was made for. `forged` stands for a payload that was not a button rdp-fix made.
 */
export type Click =
  | {
      verb: CardVerb | 'showScript';
      incidentId: string;
      stepId: string;
      attempt: number;
      /** The chosen answer of a question or manual step. */
      answer?: string;
      /** Parameter values given with an approval (the terminal's `a Port=3391`). */
      params?: Record<string, unknown>;
      /** Why an abort was pressed, for the summary (the terminal's "aborted at the terminal"). */
      reason?: string;
      /** The script hash the card carried (runCommand steps): the approval is bound to it. */
      scriptSha256?: string;
    }
  | { verb: 'forged' };

/** The playground's person: requester and approver at once, against the simulator only. */
export const PlaygroundAsker: Asker = { user: { id: 'web:playground', name: 'you' }, locale: 'en' };

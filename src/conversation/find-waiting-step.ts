import { ErrorCodes, RdpFixError } from '../core/errors';
import { asksToConfirm, scriptSha256Of } from '../engine/describe-events';
import { contextOf, stateValueOf } from '../engine/transition-incident';
import { stepOfState } from '../playbook/compile-playbook';
import type { EndOutcome } from '../playbook/machine-types';
import { ChatTexts } from './chat-texts';
import type { ConversationPorts } from './ports';

/** Where an incident stands for a person who answers step by step (the terminal). */
export type WaitingStep =
  | { state: 'closed'; outcome: EndOutcome | null }
  /** A step runs, or the next card is on its way: ask again shortly. */
  | { state: 'busy' }
  | {
      state: 'awaiting';
      stepId: string;
      attempt: number;
      /** The answers' ids of a question or manual step; undefined for a step to approve. */
      answers: string[] | undefined;
      /** What asks "are you sure?" first, as on the cards: approving it, or these answers. */
      confirm: { approve: boolean; answers: string[] };
      /** The sha256 of the script the step runs (runCommand steps): an approval is bound to it. */
      scriptSha256?: string;
    };

/** The step an incident waits on a person for, read from the store. */
export async function findWaitingStep(ports: ConversationPorts, incidentId: string): Promise<WaitingStep> {
  const record = await ports.incidents.get(incidentId);
  if (!record) throw new RdpFixError(ErrorCodes.IncidentNotFound, ChatTexts.notFound(incidentId).en);
  if (record.status === 'closed') return { state: 'closed', outcome: record.outcome };
  const current = contextOf(record.snapshot).current;
  if (!current || stepOfState(stateValueOf(record.snapshot))?.phase !== 'awaiting') return { state: 'busy' };
  const playbook = ports.engine.playbook(record.playbookId);
  const step = playbook.stepById.get(current.stepId);
  if (!step) throw new RdpFixError(ErrorCodes.PlaybookInvalid, `the playbook has no step ${current.stepId}`);
  const scriptSha256 = scriptSha256Of(playbook, step);
  return {
    state: 'awaiting',
    stepId: current.stepId,
    attempt: current.attempt,
    answers: 'answers' in step ? step.answers.map((a) => a.id) : undefined,
    confirm: {
      approve: asksToConfirm(step),
      answers: 'answers' in step ? step.answers.filter((a) => a.confirm).map((a) => a.id) : [],
    },
    ...(scriptSha256 ? { scriptSha256 } : {}),
  };
}

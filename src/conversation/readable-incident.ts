import { mayRead, type Origin } from '../core/approval-policy';
import { ErrorCodes } from '../core/errors';
import { shorten } from '../core/shorten';
import { refusal } from '../engine/commands';
import { Texts } from '../engine/texts';
import type { Asker } from './inputs';
import type { ConversationPorts, IncidentRecord } from './ports';
import type { Reply } from './replies';
import { replyTo } from './reply-to';

/**
 * The incident, when the person may read it from where they ask (issue 17: its own
 * conversation, or an approver of its platform asking from that platform); undefined when it
 * does not exist or may not be read here — the two look the same to the asker.
 */
export async function readableIncident(
  ports: Pick<ConversationPorts, 'incidents' | 'policy'>,
  incidentId: string,
  who: Asker,
  where: Origin,
): Promise<IncidentRecord | undefined> {
  const record = await ports.incidents.get(incidentId);
  return record && mayRead(ports.policy, who.user, where, record) ? record : undefined;
}

/** The engine's own answer for an id it does not know, word for word. */
export function notFoundReply(incidentId: string): Reply {
  return replyTo(refusal(ErrorCodes.IncidentNotFound, Texts.refused.notFound(shorten(incidentId))));
}

import { type ApprovalPolicy, isApproverOn, mayRead, type Origin } from '../core/approval-policy';
import type { Localized, User } from '../core/types';
import { ChatTexts } from './chat-texts';
import type { IncidentReader, IncidentRecord } from './ports';

/** Incidents a listing shows at most. */
const Shown = 20;
/** Read before filtering by platform and reader: a channel id alone does not name the platform. */
const Candidates = 200;

/**
 * `status` (open incidents in this conversation) and `history [vm]` (the last 20, of a VM or
 * of this conversation), the same in every channel; with what to say when there are none.
 * Only incidents the person may read are listed: those of this conversation, or, for an
 * approver of this platform, that platform's incidents of the VM asked about.
 */
export async function listIncidents(
  incidents: Pick<IncidentReader, 'list'>,
  policy: ApprovalPolicy,
  query: { kind: 'status' } | { kind: 'history'; vmName?: string },
  who: User,
  where: Origin,
): Promise<{ records: IncidentRecord[]; empty: Localized }> {
  const readable = (records: IncidentRecord[]) =>
    records.filter((r) => mayRead(policy, who, where, r)).slice(0, Shown);
  if (query.kind === 'status') {
    const open = await incidents.list({ status: 'open', channel: where.channel, limit: Candidates });
    return { records: readable(open), empty: ChatTexts.noneOpen };
  }
  // A VM's history across conversations is for approvers; anyone else sees this conversation's.
  const anywhere = query.vmName !== undefined && isApproverOn(policy, where.platform, who.id);
  const scope = {
    ...(query.vmName ? { vmName: query.vmName } : {}),
    ...(anywhere ? {} : { channel: where.channel }),
  };
  return {
    records: readable(await incidents.list({ ...scope, limit: Candidates })),
    empty: ChatTexts.noHistory,
  };
}

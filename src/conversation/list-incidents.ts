import type { Localized } from '../core/types';
import { ChatTexts } from './chat-texts';
import type { IncidentReader, IncidentRecord } from './ports';

/**
 * `status` (open incidents in this channel) and `history [vm]` (the last 20, of a VM or of
 * this channel), the same in every channel; with what to say when there are none.
 */
export async function listIncidents(
  incidents: Pick<IncidentReader, 'list'>,
  query: { kind: 'status' } | { kind: 'history'; vmName?: string },
  channel: string,
): Promise<{ records: IncidentRecord[]; empty: Localized }> {
  if (query.kind === 'status') {
    return { records: await incidents.list({ status: 'open', channel }), empty: ChatTexts.noneOpen };
  }
  const scope = query.vmName ? { vmName: query.vmName } : { channel };
  return { records: await incidents.list({ ...scope, limit: 20 }), empty: ChatTexts.noHistory };
}

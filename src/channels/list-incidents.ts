import type { Localized } from '../core/types';
import type { IncidentRecord, IncidentStore } from '../store/incident-store';
import { ChannelTexts } from './channel-texts';

/**
 * `status` (open incidents in this channel) and `history [vm]` (the last 20, of a VM or of
 * this channel), the same in every channel; with what to say when there are none.
 */
export async function listIncidents(
  store: IncidentStore,
  query: { kind: 'status' } | { kind: 'history'; vmName?: string },
  channel: string,
): Promise<{ records: IncidentRecord[]; empty: Localized }> {
  if (query.kind === 'status') {
    return { records: await store.list({ status: 'open', channel }), empty: ChannelTexts.noneOpen };
  }
  const scope = query.vmName ? { vmName: query.vmName } : { channel };
  return { records: await store.list({ ...scope, limit: 20 }), empty: ChannelTexts.noHistory };
}

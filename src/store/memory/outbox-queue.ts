import type { MessageRef, OutboxClaim, OutboxItem, OutboxQueue } from '../incident-store';
import { clone, type MemoryTables, type OutboxEntry } from './tables';

/** The outbox in memory. */
export class MemoryOutboxQueue implements OutboxQueue {
  constructor(private readonly tables: MemoryTables) {}

  async claimOutbox(claim: OutboxClaim): Promise<OutboxItem[]> {
    const heads = new Map<string, OutboxEntry>();
    for (const o of this.tables.outbox)
      if (o.status === 'pending' && !heads.has(o.incidentId)) heads.set(o.incidentId, o);
    const ready = [...heads.values()]
      .filter(
        (h) =>
          (claim.incidentId === undefined || h.incidentId === claim.incidentId) &&
          h.nextAt <= claim.now &&
          (h.leaseUntil === null || h.leaseUntil < claim.now || h.owner === claim.owner),
      )
      .slice(0, claim.limit)
      .map((h) => h.incidentId);
    const claimed = this.tables.outbox.filter((o) => o.status === 'pending' && ready.includes(o.incidentId));
    for (const o of claimed)
      Object.assign(o, { owner: claim.owner, leaseUntil: claim.until, claims: o.claims + 1 });
    return claimed
      .sort((a, b) => a.incidentId.localeCompare(b.incidentId) || a.id - b.id)
      .map(({ id, incidentId, message, attempts, claims }) =>
        clone({ id, incidentId, message, attempts, claims }),
      );
  }

  async failOutbox(ids: number[], owner: string, _at: string, error: string): Promise<void> {
    for (const o of this.tables.outbox)
      if (ids.includes(o.id) && o.status === 'pending' && o.owner === owner)
        Object.assign(o, { status: 'failed', owner: null, leaseUntil: null, error });
  }

  async markSent(ids: number[], _at: string, refs: readonly MessageRef[] = []): Promise<void> {
    for (const o of this.tables.outbox)
      if (ids.includes(o.id) && o.status === 'pending')
        Object.assign(o, { status: 'sent', owner: null, leaseUntil: null });
    for (const ref of refs) this.tables.refs.set(ref.key, ref.value);
  }

  async retryOutbox(item: OutboxItem, owner: string, nextAt: string, error: string): Promise<void> {
    const head = this.tables.outbox.find((x) => x.id === item.id);
    if (head) Object.assign(head, { attempts: head.attempts + 1, nextAt, error });
    for (const o of this.tables.outbox)
      if (o.incidentId === item.incidentId && o.owner === owner && o.status === 'pending')
        Object.assign(o, { owner: null, leaseUntil: null });
  }

  async outboxDepth(): Promise<number> {
    return this.tables.outbox.filter((o) => o.status === 'pending').length;
  }
}

/** Queues chat messages, in order, with the transcript entries that tell of them. */
export function queueMessages(
  tables: MemoryTables,
  incidentId: string,
  messages: readonly object[],
  at: string,
): void {
  for (const message of messages) {
    tables.outbox.push({
      id: tables.outbox.length + 1,
      incidentId,
      // The same JSON the SQL stores keep: what a delivery reads back is what the wire holds.
      message: JSON.parse(JSON.stringify(message)) as unknown,
      attempts: 0,
      claims: 0,
      status: 'pending',
      nextAt: at,
      owner: null,
      leaseUntil: null,
    });
  }
}

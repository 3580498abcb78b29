import type { ReplicaLeases } from '../incident-store';
import type { MemoryTables } from './tables';

/** A replica's heartbeat and hand-over, in memory: its dispatches and its outbox messages. */
export class MemoryReplicaLeases implements ReplicaLeases {
  constructor(private readonly tables: MemoryTables) {}

  async renewLeases(owner: string, until: string): Promise<void> {
    for (const d of this.tables.dispatches.values())
      if (d.owner === owner && d.status !== 'done') d.leaseUntil = until;
    for (const o of this.tables.outbox) if (o.owner === owner && o.status === 'pending') o.leaseUntil = until;
  }

  async releaseLeases(owner: string): Promise<void> {
    for (const d of this.tables.dispatches.values())
      if (d.owner === owner && d.status !== 'done') d.leaseUntil = null;
    for (const o of this.tables.outbox)
      if (o.owner === owner) Object.assign(o, { owner: null, leaseUntil: null });
  }
}

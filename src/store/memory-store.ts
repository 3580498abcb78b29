import { ComposedIncidentStore } from './composed-store';
import { MemoryDispatchLeases } from './memory/dispatch-leases';
import { MemoryIncidentLog } from './memory/incident-log';
import { MemoryMessageRefs } from './memory/message-refs';
import { MemoryOutboxQueue } from './memory/outbox-queue';
import { MemoryReplicaLeases } from './memory/replica-leases';
import { MemoryTables } from './memory/tables';

/** In-memory twin of the SQLite store, for tests and `rdp-fix chat` without a database. */
export class MemoryIncidentStore extends ComposedIncidentStore {
  constructor() {
    const tables = new MemoryTables();
    super({
      log: new MemoryIncidentLog(tables),
      dispatches: new MemoryDispatchLeases(tables),
      replicas: new MemoryReplicaLeases(tables),
      outbox: new MemoryOutboxQueue(tables),
      refs: new MemoryMessageRefs(tables),
    });
  }

  async close(): Promise<void> {}
}

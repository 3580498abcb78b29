import type {
  DispatchLeases,
  IncidentLog,
  IncidentStore,
  MessageRefStore,
  OutboxQueue,
  ReplicaLeases,
} from './incident-store';

/** One implementation per port, all over the same database (so that their writes can share a transaction). */
export interface StoreParts {
  log: IncidentLog;
  dispatches: DispatchLeases;
  replicas: ReplicaLeases;
  outbox: OutboxQueue;
  refs: MessageRefStore;
}

/** A store method's arguments and result, for the stores that forward each call (this one, group-commit-store.ts). */
export type Args<K extends keyof IncidentStore> = IncidentStore[K] extends (...args: infer A) => unknown
  ? A
  : never;
export type Result<K extends keyof IncidentStore> = IncidentStore[K] extends (...args: never[]) => infer R
  ? R
  : never;

/**
 * The whole store as the composition root sees it: each call goes to the part that
 * implements its port. Each store (memory, SQLite, PostgreSQL) builds its parts over its own
 * database and says how to close it; nothing else is written here, so a port's behaviour is
 * read in one file per store.
 */
export abstract class ComposedIncidentStore implements IncidentStore {
  protected constructor(private readonly parts: StoreParts) {}

  abstract close(): Promise<void>;

  // IncidentLog
  create(...args: Args<'create'>): Result<'create'> {
    return this.parts.log.create(...args);
  }
  get(...args: Args<'get'>): Result<'get'> {
    return this.parts.log.get(...args);
  }
  save(...args: Args<'save'>): Result<'save'> {
    return this.parts.log.save(...args);
  }
  append(...args: Args<'append'>): Result<'append'> {
    return this.parts.log.append(...args);
  }
  setThread(...args: Args<'setThread'>): Result<'setThread'> {
    return this.parts.log.setThread(...args);
  }
  list(...args: Args<'list'>): Result<'list'> {
    return this.parts.log.list(...args);
  }
  openIncidents(): Result<'openIncidents'> {
    return this.parts.log.openIncidents();
  }
  transcript(...args: Args<'transcript'>): Result<'transcript'> {
    return this.parts.log.transcript(...args);
  }

  // DispatchLeases
  claimDispatch(...args: Args<'claimDispatch'>): Result<'claimDispatch'> {
    return this.parts.dispatches.claimDispatch(...args);
  }
  updateDispatch(...args: Args<'updateDispatch'>): Result<'updateDispatch'> {
    return this.parts.dispatches.updateDispatch(...args);
  }
  finishDispatch(...args: Args<'finishDispatch'>): Result<'finishDispatch'> {
    return this.parts.dispatches.finishDispatch(...args);
  }
  getDispatch(...args: Args<'getDispatch'>): Result<'getDispatch'> {
    return this.parts.dispatches.getDispatch(...args);
  }
  takeOverDispatch(...args: Args<'takeOverDispatch'>): Result<'takeOverDispatch'> {
    return this.parts.dispatches.takeOverDispatch(...args);
  }
  lapsedDispatches(...args: Args<'lapsedDispatches'>): Result<'lapsedDispatches'> {
    return this.parts.dispatches.lapsedDispatches(...args);
  }

  // ReplicaLeases
  renewLeases(...args: Args<'renewLeases'>): Result<'renewLeases'> {
    return this.parts.replicas.renewLeases(...args);
  }
  releaseLeases(...args: Args<'releaseLeases'>): Result<'releaseLeases'> {
    return this.parts.replicas.releaseLeases(...args);
  }

  // OutboxQueue
  claimOutbox(...args: Args<'claimOutbox'>): Result<'claimOutbox'> {
    return this.parts.outbox.claimOutbox(...args);
  }
  failOutbox(...args: Args<'failOutbox'>): Result<'failOutbox'> {
    return this.parts.outbox.failOutbox(...args);
  }
  markSent(...args: Args<'markSent'>): Result<'markSent'> {
    return this.parts.outbox.markSent(...args);
  }
  retryOutbox(...args: Args<'retryOutbox'>): Result<'retryOutbox'> {
    return this.parts.outbox.retryOutbox(...args);
  }
  outboxDepth(...args: Args<'outboxDepth'>): Result<'outboxDepth'> {
    return this.parts.outbox.outboxDepth(...args);
  }

  // MessageRefStore
  getRef(...args: Args<'getRef'>): Result<'getRef'> {
    return this.parts.refs.getRef(...args);
  }
  setRef(...args: Args<'setRef'>): Result<'setRef'> {
    return this.parts.refs.setRef(...args);
  }
}

import fs from 'node:fs';
import { messageOf } from '../../core/errors';
import type { Args, Result } from '../composed-store';
import type { IncidentStore } from '../incident-store';
import { SqliteIncidentStore } from '../sqlite-store';

/** The port's methods that only read: outside a group they need no transaction. */
const Reads: ReadonlySet<keyof IncidentStore> = new Set<keyof IncidentStore>([
  'get',
  'list',
  'openIncidents',
  'transcript',
  'getDispatch',
  'lapsedDispatches',
  'outboxDepth',
  'getRef',
]);

/** A call that ran in the open transaction, answered once that transaction is durable. */
type Waiting = {
  result: Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
};

/**
 * The SQLite store as the server runs it: group commit on the one connection, and the commit's
 * fsync off the event loop.
 *
 * With `synchronous = FULL` every commit fsyncs the WAL on the event loop; under load that
 * was the server's largest frame (a --cpu-prof of the Slack benchmark: better-sqlite3's
 * `exec`, 2.7 of 10.8 s of busy time) and the Slack acks waited behind it. SQLite's pragma
 * page says FULL in WAL mode is NORMAL plus "an additional sync operation of the WAL file
 * after each transaction commit" (sqlite.org/pragma.html#pragma_synchronous). So the
 * connection runs NORMAL and this store makes that sync itself, with `fdatasync` on the WAL
 * in libuv's thread pool, and answers a commit's calls only once it has completed: a call
 * that was answered is as durable as under FULL (power loss included), and the event loop
 * never waits for the disk. (NORMAL still syncs around checkpoints, in the commit that
 * triggers one.)
 *
 * The calls made in one turn of the event loop share a transaction that commits once, when
 * the loop next runs its immediates (after the I/O it has read). Each write runs when it is
 * made (its arguments are read then, as a direct call would) inside that transaction: a
 * method that writes several statements does so in a savepoint of it (`inTransaction`:
 * better-sqlite3's nested `transaction()`), and a single statement that fails undoes only
 * itself, so a refused call takes nothing else with it. No answer leaves before its commit is
 * on disk: nobody acts on a write that could still be lost. A commit or a sync that fails
 * fails every call of its group.
 *
 * A read made while no group is open runs on its own, without the write lock (in WAL mode a
 * read needs none, sqlite.org/wal.html), and is answered once the last commit is on disk
 * (what it read may be that commit's). A read made while a group is open joins it. Other
 * processes on the file (the CLI) thus wait only for the server's writes. Taking the write
 * lock waits up to `busy_timeout` (5 s) for another writer, on the event loop: only a process
 * outside rdp-fix writing to the file (SQLite is one replica's) can make it wait.
 *
 * Until December 2026 the store ran on a worker thread, which kept the fsyncs off the event
 * loop too; an idle worker alone costs 18 MB of RSS (its own V8 isolate and Node
 * environment), a fifth of the 100 MB issue 20 allows 1,000 idle incidents.
 */
export class SqliteGroupCommitStore implements IncidentStore {
  private readonly store: SqliteIncidentStore;
  private waiting: Waiting[] = [];
  private scheduled = false;
  private closed = false;
  /** The WAL this store syncs (none for an in-memory database), opened at the first sync. */
  private readonly wal: string | undefined;
  private walFd: number | undefined;
  /** The sync running now, and the one queued to start after it (it covers later commits). */
  private syncRunning: Promise<void> | undefined;
  private syncQueued: Promise<void> | undefined;
  /** Resolves once the last commit is on disk (whether its sync worked or not). */
  private lastDurable: Promise<void> = Promise.resolve();

  constructor(file: string) {
    this.store = new SqliteIncidentStore(file);
    this.store.db.pragma('synchronous = NORMAL');
    this.wal = file === ':memory:' ? undefined : `${file}-wal`;
  }

  /** Commits what is open and waits for it to be on disk, then closes the file; later calls are refused. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.commit();
    this.closed = true;
    await this.lastDurable;
    if (this.walFd !== undefined) fs.closeSync(this.walFd);
    await this.store.close();
  }

  // The port's methods: each a call in the open group.
  create(...args: Args<'create'>): Result<'create'> {
    return this.call('create', args) as Result<'create'>;
  }
  get(...args: Args<'get'>): Result<'get'> {
    return this.call('get', args) as Result<'get'>;
  }
  save(...args: Args<'save'>): Result<'save'> {
    return this.call('save', args) as Result<'save'>;
  }
  append(...args: Args<'append'>): Result<'append'> {
    return this.call('append', args) as Result<'append'>;
  }
  setThread(...args: Args<'setThread'>): Result<'setThread'> {
    return this.call('setThread', args) as Result<'setThread'>;
  }
  list(...args: Args<'list'>): Result<'list'> {
    return this.call('list', args) as Result<'list'>;
  }
  openIncidents(...args: Args<'openIncidents'>): Result<'openIncidents'> {
    return this.call('openIncidents', args) as Result<'openIncidents'>;
  }
  transcript(...args: Args<'transcript'>): Result<'transcript'> {
    return this.call('transcript', args) as Result<'transcript'>;
  }
  claimDispatch(...args: Args<'claimDispatch'>): Result<'claimDispatch'> {
    return this.call('claimDispatch', args) as Result<'claimDispatch'>;
  }
  updateDispatch(...args: Args<'updateDispatch'>): Result<'updateDispatch'> {
    return this.call('updateDispatch', args) as Result<'updateDispatch'>;
  }
  finishDispatch(...args: Args<'finishDispatch'>): Result<'finishDispatch'> {
    return this.call('finishDispatch', args) as Result<'finishDispatch'>;
  }
  getDispatch(...args: Args<'getDispatch'>): Result<'getDispatch'> {
    return this.call('getDispatch', args) as Result<'getDispatch'>;
  }
  takeOverDispatch(...args: Args<'takeOverDispatch'>): Result<'takeOverDispatch'> {
    return this.call('takeOverDispatch', args) as Result<'takeOverDispatch'>;
  }
  lapsedDispatches(...args: Args<'lapsedDispatches'>): Result<'lapsedDispatches'> {
    return this.call('lapsedDispatches', args) as Result<'lapsedDispatches'>;
  }
  renewLeases(...args: Args<'renewLeases'>): Result<'renewLeases'> {
    return this.call('renewLeases', args) as Result<'renewLeases'>;
  }
  releaseLeases(...args: Args<'releaseLeases'>): Result<'releaseLeases'> {
    return this.call('releaseLeases', args) as Result<'releaseLeases'>;
  }
  claimOutbox(...args: Args<'claimOutbox'>): Result<'claimOutbox'> {
    return this.call('claimOutbox', args) as Result<'claimOutbox'>;
  }
  failOutbox(...args: Args<'failOutbox'>): Result<'failOutbox'> {
    return this.call('failOutbox', args) as Result<'failOutbox'>;
  }
  markSent(...args: Args<'markSent'>): Result<'markSent'> {
    return this.call('markSent', args) as Result<'markSent'>;
  }
  retryOutbox(...args: Args<'retryOutbox'>): Result<'retryOutbox'> {
    return this.call('retryOutbox', args) as Result<'retryOutbox'>;
  }
  outboxDepth(...args: Args<'outboxDepth'>): Result<'outboxDepth'> {
    return this.call('outboxDepth', args) as Result<'outboxDepth'>;
  }
  getRef(...args: Args<'getRef'>): Result<'getRef'> {
    return this.call('getRef', args) as Result<'getRef'>;
  }
  setRef(...args: Args<'setRef'>): Result<'setRef'> {
    return this.call('setRef', args) as Result<'setRef'>;
  }

  private call(method: keyof IncidentStore, args: unknown[]): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error('the store is closed'));
    const { db } = this.store;
    if (!db.inTransaction) {
      if (Reads.has(method)) {
        const read = this.invoke(method, args);
        // Handled now (it is answered after the sync): a failed read is not "unhandled" meanwhile.
        read.catch(() => undefined);
        return this.lastDurable.then(() => read);
      }
      try {
        db.exec('begin immediate');
      } catch (err) {
        // Another process held the write lock past busy_timeout: this call fails, alone.
        return Promise.reject(err);
      }
    }
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.commit());
    }
    const result = this.invoke(method, args);
    // Handled now (it is answered later): a refusal waiting for the commit is not "unhandled".
    result.catch(() => undefined);
    return new Promise((resolve, reject) => {
      if (db.inTransaction) {
        this.waiting.push({ result, resolve, reject });
        return;
      }
      // SQLite rolled the whole transaction back (an I/O error, a full disk): the group's
      // earlier writes are gone, so none of those calls succeeded. This call says what
      // happened to it; the next call starts a new group.
      this.failGroup(new Error('the SQLite transaction was rolled back'));
      result.then(resolve, reject);
    });
  }

  private invoke(method: keyof IncidentStore, args: unknown[]): Promise<unknown> {
    try {
      // Synchronous underneath (better-sqlite3): its writes are done when this returns.
      const run = this.store[method] as (...a: unknown[]) => Promise<unknown>;
      return run.apply(this.store, args);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  private commit(): void {
    this.scheduled = false;
    const { db } = this.store;
    if (!db.open || !db.inTransaction) return;
    try {
      db.exec('commit');
    } catch (err) {
      try {
        if (db.inTransaction) db.exec('rollback');
      } catch {
        // Nothing of the group was committed either way; its calls are failed below.
      }
      this.failGroup(new Error(`the SQLite commit failed: ${messageOf(err)}`));
      return;
    }
    const group = this.waiting.splice(0);
    const synced = this.sync();
    this.lastDurable = synced.catch(() => undefined);
    synced.then(
      () => {
        for (const { result, resolve, reject } of group) result.then(resolve, reject);
      },
      (err: unknown) => {
        const failed = new Error(`the SQLite WAL could not be synced to disk: ${messageOf(err)}`);
        for (const { reject } of group) reject(failed);
      },
    );
  }

  /**
   * Syncs the WAL once what was committed so far is in it: a sync already running may have
   * started before this commit's frames were written, so a new one starts after it; commits
   * made meanwhile share that queued one.
   */
  private sync(): Promise<void> {
    const wal = this.wal;
    if (!wal) return Promise.resolve();
    const start = (): Promise<void> => {
      const running: Promise<void> = new Promise<void>((resolve, reject) => {
        try {
          this.walFd ??= fs.openSync(wal, 'r');
        } catch (err) {
          reject(err);
          return;
        }
        fs.fdatasync(this.walFd, (err) => (err ? reject(err) : resolve()));
      }).finally(() => {
        if (this.syncRunning === running) this.syncRunning = undefined;
      });
      this.syncRunning = running;
      return running;
    };
    if (!this.syncRunning) return start();
    this.syncQueued ??= this.syncRunning
      .catch(() => undefined)
      .then(() => {
        this.syncQueued = undefined;
        return start();
      });
    return this.syncQueued;
  }

  private failGroup(err: Error): void {
    for (const { reject } of this.waiting.splice(0)) reject(err);
  }
}

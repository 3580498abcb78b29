import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { IncidentStore } from '../incident-store';
import { fromWireError, type StoreReply } from './worker-wire';

type Args<K extends keyof IncidentStore> = IncidentStore[K] extends (...args: infer A) => unknown ? A : never;
type Result<K extends keyof IncidentStore> = IncidentStore[K] extends (...args: never[]) => infer R
  ? R
  : never;

type Pending = { resolve: (value: unknown) => void; reject: (err: Error) => void };

/**
 * The SQLite store on a thread of its own. better-sqlite3 is synchronous, and every commit
 * waits for its fsync (`synchronous = FULL`): on the main thread each write stopped the event
 * loop for a millisecond or more, and under load the Slack acks queued behind them (issue 20:
 * a --cpu-prof of one replica under the 500-incident run spent half its time in commits). Here
 * the thread runs the same `SqliteIncidentStore`, one call at a time in the order sent, and
 * the main thread only waits for the answer. A call's promise resolves once its transaction
 * has committed, as before: nothing acked is less durable.
 */
export class SqliteWorkerStore implements IncidentStore {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private readonly ready: Promise<void>;
  private nextId = 1;
  private failed: Error | undefined;

  private constructor(file: string) {
    this.worker = new Worker(workerScript(), { workerData: { file } });
    // A thread with nothing asked of it does not keep the process alive (see call()).
    this.worker.unref();
    this.ready = new Promise((resolve, reject) => {
      this.worker.once('message', (reply: StoreReply) => {
        if ('ready' in reply && reply.ready) resolve();
        else reject(fromWireError((reply as { error: Parameters<typeof fromWireError>[0] }).error));
        this.worker.on('message', (r: StoreReply) => this.answer(r));
      });
      this.worker.once('error', reject);
    });
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => this.fail(new Error(`the SQLite thread stopped (exit code ${code})`)));
  }

  /** Opens the file (created and migrated if needed) on a new thread; rejects as opening it failed. */
  static async open(file: string): Promise<SqliteWorkerStore> {
    const store = new SqliteWorkerStore(file);
    try {
      await store.ready;
    } catch (err) {
      await store.worker.terminate();
      throw err;
    }
    return store;
  }

  async close(): Promise<void> {
    this.failed ??= new Error('the store is closed');
    await this.worker.terminate();
  }

  // The port's methods: each one call to the thread.
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
  settleOutbox(...args: Args<'settleOutbox'>): Result<'settleOutbox'> {
    return this.call('settleOutbox', args) as Result<'settleOutbox'>;
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
    if (this.failed) return Promise.reject(this.failed);
    const id = this.nextId++;
    if (this.pending.size === 0) this.worker.ref();
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, method, args });
    });
  }

  private answer(reply: StoreReply): void {
    if (!('id' in reply)) return;
    const pending = this.pending.get(reply.id);
    if (!pending) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.worker.unref();
    if ('error' in reply) pending.reject(fromWireError(reply.error));
    else pending.resolve(reply.value);
  }

  private fail(err: Error): void {
    this.failed ??= err;
    for (const { reject } of this.pending.values()) reject(err);
    this.pending.clear();
  }
}

/**
 * The thread's script: next to this file when running the build (dist/); from tests that run
 * the TypeScript sources, the build's copy (`npm test` builds first), as ReplicaProcess does.
 */
function workerScript(): string {
  const sibling = join(__dirname, 'sqlite-worker.js');
  if (existsSync(sibling)) return sibling;
  const built = join(__dirname, '..', '..', '..', 'dist', 'src', 'store', 'sqlite', 'sqlite-worker.js');
  if (existsSync(built)) return built;
  throw new Error(`${sibling} is missing: run npm run build first`);
}

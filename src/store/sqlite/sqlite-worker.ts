import { parentPort, workerData } from 'node:worker_threads';
import { messageOf } from '../../core/errors';
import { SqliteIncidentStore } from '../sqlite-store';
import { type StoreCall, toWireError } from './worker-wire';

/**
 * The SQLite store's thread (see worker-store.ts): runs the calls the main thread sends, in
 * the order sent, on the one connection, and answers each once it is durable.
 *
 * Group commit: the calls that arrived together run inside one transaction that commits once,
 * so that under load one fsync serves many of them (each commit waits for the disk:
 * `synchronous = FULL`). Each call keeps its own atomicity: its transaction becomes a savepoint
 * (`inTransaction`), rolled back alone when the call fails. No answer leaves before the
 * commit, so nobody acts on a write that could still be lost.
 */
const port = parentPort;
if (!port) throw new Error('sqlite-worker runs as a worker thread');
let store: SqliteIncidentStore;
try {
  store = new SqliteIncidentStore((workerData as { file: string }).file);
  port.postMessage({ ready: true });
} catch (err) {
  port.postMessage({ ready: false, error: toWireError(err) });
  throw err;
}
const { db } = store;
const methods = store as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
const queue: StoreCall[] = [];
let scheduled = false;

port.on('message', (call: StoreCall) => {
  queue.push(call);
  // The messages already waiting are delivered before setImmediate runs: they join this group.
  if (!scheduled) {
    scheduled = true;
    setImmediate(runGroup);
  }
});

function runGroup(): void {
  scheduled = false;
  const calls = queue.splice(0);
  let results: Promise<unknown>[] = [];
  let group: StoreCall[] = [];
  db.exec('begin immediate');
  for (const call of calls) {
    group.push(call);
    results.push(invoke(call));
    if (db.inTransaction) continue;
    // SQLite rolled the whole transaction back (an I/O error, a full disk): the group's
    // earlier writes are gone, so none of its calls succeeded. Later calls start a new group.
    const lost = new Error('the SQLite transaction was rolled back');
    settleQuietly(results);
    results = results.map((r, i) => (i === results.length - 1 ? r : Promise.reject(lost)));
    answer(group, results);
    group = [];
    results = [];
    db.exec('begin immediate');
  }
  try {
    db.exec('commit');
  } catch (err) {
    if (db.inTransaction) db.exec('rollback');
    const failed = new Error(`the SQLite commit failed: ${messageOf(err)}`);
    settleQuietly(results);
    results = results.map(() => Promise.reject(failed));
  }
  answer(group, results);
}

function invoke(call: StoreCall): Promise<unknown> {
  try {
    // Synchronous underneath (better-sqlite3): its writes are done when this returns.
    return methods[call.method]!.apply(store, call.args);
  } catch (err) {
    return Promise.reject(err);
  }
}

/** Results replaced by a group's failure: their own rejections are not unhandled (which would end the thread). */
function settleQuietly(results: Promise<unknown>[]): void {
  for (const r of results) r.catch(() => undefined);
}

function answer(calls: StoreCall[], results: Promise<unknown>[]): void {
  for (const [i, call] of calls.entries()) {
    results[i]!.then(
      (value) => port!.postMessage({ id: call.id, value }),
      (err: unknown) => port!.postMessage({ id: call.id, error: toWireError(err) }),
    );
  }
}

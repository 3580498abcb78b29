import fs, { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ErrorCodes, isRdpFixError } from '../../src/core/errors';
import { SqliteGroupCommitStore } from '../../src/store/sqlite/group-commit-store';
import { SqliteIncidentStore } from '../../src/store/sqlite-store';
import { until } from '../helpers/until';
import { describeStoreContracts } from './contract';
import { newIncident } from './contract/fixtures';

/**
 * The SQLite store with group commit (what the server runs): the same contract suite, and
 * what sharing a commit must keep — error codes and details callers decide by, the order of
 * calls, each call's own outcome, nothing answered before it is in the file, opening failures.
 */
const dir = mkdtempSync(join(tmpdir(), 'rdpfix-sqlite-group-'));
let n = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeStoreContracts('sqlite with group commit', async () =>
  open(join(dir, `contract-${++n}`, 'rdp-fix.db')),
);

async function open(file: string): Promise<SqliteGroupCommitStore> {
  return new SqliteGroupCommitStore(file);
}

describe('SQLite with group commit', () => {
  test('a refusal keeps its code and details (one open incident per VM)', async () => {
    const store = await open(join(dir, 'codes.db'));
    const first = await store.create(newIncident('i1'), [], 't');
    const err = await store.create(newIncident('i2', { vm: first.vm }), [], 't').catch((e: unknown) => e);
    expect(isRdpFixError(err) && err.code).toBe(ErrorCodes.IncidentAlreadyOpen);
    expect(isRdpFixError(err) && err.details).toEqual({ incidentId: 'i1' });
    const stale = await store.save('i1', 9, { pending: null }, [], 't').catch((e: unknown) => e);
    expect(isRdpFixError(stale) && stale.code).toBe(ErrorCodes.VersionConflict);
    await store.close();
  });

  test('calls run in the order sent, and what one wrote is read by the next, in the file', async () => {
    const file = join(dir, 'order.db');
    const store = await open(file);
    const created = store.create(
      newIncident('i1'),
      [{ kind: 'incident.started', actor: 'U1', data: {} }],
      't',
    );
    const appended = store.append('i1', [{ kind: 'step.approved', actor: 'U2', data: {} }], 't');
    const read = store.transcript('i1');
    await Promise.all([created, appended]);
    expect((await read).map((e) => e.kind)).toEqual(['incident.started', 'step.approved']);
    await store.close();
    const direct = new SqliteIncidentStore(file);
    expect(await direct.transcript('i1')).toHaveLength(2);
    await direct.close();
  });

  test('calls made together commit together, each keeping its own outcome: a refused one takes nothing with it', async () => {
    const file = join(dir, 'group.db');
    const store = await open(file);
    const ids = Array.from({ length: 20 }, (_, i) => `g${i}`);
    const creates = ids.map((id) =>
      store.create(newIncident(id), [{ kind: 'incident.started', actor: 'U1', data: { id } }], 't'),
    );
    // In the same group: a save of a version that does not exist yet, refused alone.
    const stale = store.save('g3', 7, { pending: null }, [], 't').catch((e: unknown) => e);
    const created = await Promise.all(creates);
    expect(created.map((r) => r.id)).toEqual(ids);
    expect(isRdpFixError(await stale) && ((await stale) as { code: string }).code).toBe(
      ErrorCodes.VersionConflict,
    );
    await store.close();
    const direct = new SqliteIncidentStore(file);
    expect((await direct.list({ limit: 100 })).map((r) => r.id).sort()).toEqual([...ids].sort());
    expect(await direct.transcript('g7')).toHaveLength(1);
    await direct.close();
  });

  test('an answer leaves only once its write is in the file: another connection reads it then', async () => {
    const file = join(dir, 'durable.db');
    const store = await open(file);
    const other = new SqliteIncidentStore(file);
    const created = store.create(
      newIncident('d1'),
      [{ kind: 'incident.started', actor: 'U1', data: {} }],
      't',
    );
    // Made, not yet committed: the group's transaction is open until the loop's immediates.
    expect(await other.get('d1')).toBeUndefined();
    await created;
    expect((await other.get('d1'))?.id).toBe('d1');
    await store.close();
    await other.close();
  });

  test('a call reads its arguments when made: changing them afterwards changes nothing written', async () => {
    const store = await open(join(dir, 'args.db'));
    const entry = { kind: 'incident.started' as const, actor: 'U1', data: { note: 'as made' } };
    const created = store.create(newIncident('a1'), [entry], 't');
    entry.data.note = 'changed later';
    await created;
    expect((await store.transcript('a1'))[0]?.data).toEqual({ note: 'as made' });
    await store.close();
  });

  test('another process holding the write lock: reads go on, a write fails as a rejection and the store carries on', async () => {
    const file = join(dir, 'locked.db');
    const store = await open(file);
    await store.create(newIncident('l1'), [], 't');
    // Another connection (the CLI, the sqlite3 shell) holds the write lock.
    const other = new Database(file);
    other.exec('begin immediate');
    // A read needs no lock in WAL mode: answered at once, the event loop not held.
    const started = Date.now();
    expect((await store.get('l1'))?.id).toBe('l1');
    expect(await store.list({ limit: 10 })).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(1_000);
    // A write waits busy_timeout (5 s) for the lock, then fails: a rejected promise, not a throw.
    const write = store.create(newIncident('l2'), [], 't');
    await expect(write).rejects.toThrow(/locked/);
    other.exec('rollback');
    other.close();
    expect((await store.create(newIncident('l3'), [], 't')).id).toBe('l3');
    await store.close();
  }, 20_000);

  test('an answer waits for its commit to be on disk (the WAL synced off the event loop), and so does a read of it', async () => {
    const store = await open(join(dir, 'sync.db'));
    await store.create(newIncident('s0'), [], 't');
    // The disk, held: each fdatasync completes only when the test lets it.
    const held: (() => void)[] = [];
    const real = fs.fdatasync;
    const spy = jest.spyOn(fs, 'fdatasync').mockImplementation(((
      fd: number,
      done: (e: Error | null) => void,
    ) => {
      held.push(() => real(fd, done));
    }) as typeof fs.fdatasync);
    try {
      let created = false;
      const creating = store.create(newIncident('s1'), [], 't').then(() => {
        created = true;
      });
      await until('the WAL sync to start', () => (held.length > 0 ? true : undefined));
      // The event loop runs on (timers fire) while the sync is out; the call is not answered.
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(created).toBe(false);
      // Committed but not yet on disk: a read of it waits for the same sync.
      let read = false;
      const reading = store.get('s1').then((r) => {
        read = true;
        return r;
      });
      // A read that fails waits too, and its failure is not an unhandled rejection meanwhile.
      const unhandled: unknown[] = [];
      const onUnhandled = (reason: unknown) => unhandled.push(reason);
      process.on('unhandledRejection', onUnhandled);
      const failing = store.get({ not: 'an id' } as unknown as string);
      await new Promise((resolve) => setTimeout(resolve, 20));
      process.off('unhandledRejection', onUnhandled);
      expect(unhandled).toEqual([]);
      expect(read).toBe(false);
      held.shift()!();
      await creating;
      expect((await reading)?.id).toBe('s1');
      await expect(failing).rejects.toThrow();
    } finally {
      spy.mockRestore();
      await store.close();
    }
  });

  test('a sync that fails fails its group, and the next commit is synced again', async () => {
    const store = await open(join(dir, 'sync-fail.db'));
    await store.create(newIncident('f0'), [], 't');
    const spy = jest.spyOn(fs, 'fdatasync').mockImplementationOnce(((
      _fd: number,
      done: (e: Error | null) => void,
    ) => {
      done(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
    }) as typeof fs.fdatasync);
    try {
      await expect(store.create(newIncident('f1'), [], 't')).rejects.toThrow(
        /could not be synced to disk: EIO/,
      );
      expect((await store.create(newIncident('f2'), [], 't')).id).toBe('f2');
      expect(spy).toHaveBeenCalledTimes(2);
    } finally {
      spy.mockRestore();
      await store.close();
    }
  });

  test('close commits what is open; a closed store refuses calls', async () => {
    const file = join(dir, 'close.db');
    const store = await open(file);
    const created = store.create(newIncident('c1'), [], 't');
    await store.close();
    expect((await created).id).toBe('c1');
    await expect(store.get('c1')).rejects.toThrow(/closed/);
    const direct = new SqliteIncidentStore(file);
    expect((await direct.get('c1'))?.id).toBe('c1');
    await direct.close();
  });

  test('a file that cannot be opened fails the open, and a closed store refuses calls', async () => {
    const notADatabase = join(dir, 'garbage.db');
    writeFileSync(notADatabase, 'not a database'.repeat(100));
    await expect(open(notADatabase)).rejects.toThrow(/not a database/);
    const store = await open(join(dir, 'closed.db'));
    await store.close();
    await expect(store.get('i1')).rejects.toThrow(/closed/);
  });
});

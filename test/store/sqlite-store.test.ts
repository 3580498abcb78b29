import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { verifyChain } from '../../src/core/transcript';
import { SqliteIncidentStore } from '../../src/store/sqlite-store';
import { describeStoreContracts } from './contract';
import { newIncident } from './contract/fixtures';

const dir = mkdtempSync(join(tmpdir(), 'rdpfix-sqlite-'));
let n = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeStoreContracts(
  'sqlite',
  async () => new SqliteIncidentStore(join(dir, `contract-${++n}`, 'rdp-fix.db')),
);

describe('SQLite specifics', () => {
  test('the database refuses edits and deletions of the transcript', async () => {
    const file = join(dir, 'append-only.db');
    const store = new SqliteIncidentStore(file);
    await store.create(newIncident('i1'), [{ kind: 'incident.started', actor: 'U1', data: {} }], 't');
    await store.close();
    const db = new Database(file);
    expect(() => db.prepare("update transcript set data = '{}' where seq = 1").run()).toThrow(/append-only/);
    expect(() => db.prepare('delete from transcript').run()).toThrow(/append-only/);
    db.close();
  });

  test('tampering behind the triggers is detected by the hash chain', async () => {
    const file = join(dir, 'tamper.db');
    const store = new SqliteIncidentStore(file);
    await store.create(
      newIncident('i1'),
      [
        { kind: 'incident.started', actor: 'U1', data: {} },
        { kind: 'step.approved', actor: 'U2', data: { stepId: 'diagnose' } },
      ],
      't',
    );
    const db = new Database(file);
    db.exec('drop trigger transcript_no_update');
    db.prepare(`update transcript set actor = 'U9' where seq = 2`).run();
    db.close();
    expect(verifyChain(await store.transcript('i1'))).toMatchObject({
      ok: false,
      seq: 2,
      problem: 'content does not match its hash',
    });
    await store.close();
  });

  test('data survives closing and reopening the file', async () => {
    const file = join(dir, 'reopen.db');
    const first = new SqliteIncidentStore(file);
    await first.create(newIncident('i1'), [{ kind: 'incident.started', actor: 'U1', data: {} }], 't');
    await first.close();
    const second = new SqliteIncidentStore(file);
    expect((await second.get('i1'))?.id).toBe('i1');
    expect(await second.transcript('i1')).toHaveLength(1);
    await second.close();
  });
});

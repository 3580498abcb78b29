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

  test('the one-open-incident-per-VM migration keeps a database that already has two open incidents of one VM', async () => {
    const file = join(dir, 'legacy.db');
    const vm = { subscriptionId: 'sub-1', resourceGroup: 'rg-a', name: 'vm-web-01' };
    const first = new SqliteIncidentStore(file);
    await first.create(newIncident('old', { vm }), [], '2026-11-01T10:00:00.000Z');
    await first.close();
    // The database as the previous version left it: no open_vm/requester_id, and a second open
    // incident of the same VM (nothing stopped it then).
    const db = new Database(file);
    db.exec(`drop index incidents_open_vm; drop index incidents_requester;
      alter table incidents drop column open_vm; alter table incidents drop column requester_id;`);
    const body = db.prepare("select body from incidents where id = 'old'").get() as { body: string };
    db.prepare(
      `insert into incidents (id, playbook_id, playbook_hash, vm_name, channel, status, created_at, updated_at, version, body)
       values ('newer', 'p', 'h', 'vm-web-01', 'C1', 'open', '2026-11-02T10:00:00.000Z', '2026-11-02T10:00:00.000Z', 1, ?)`,
    ).run(JSON.stringify({ ...JSON.parse(body.body), id: 'newer' }));
    db.pragma('user_version = 2');
    db.close();
    const migrated = new SqliteIncidentStore(file);
    try {
      expect((await migrated.list({ status: 'open' })).map((r) => r.id)).toEqual(['newer', 'old']);
      // The newest holds the VM; the older one stays open, readable, and closable.
      await expect(migrated.create(newIncident('third', { vm }), [], 't')).rejects.toMatchObject({
        details: { incidentId: 'newer' },
      });
      expect((await migrated.list({ requester: 'U1' })).map((r) => r.id)).toEqual(['newer', 'old']);
      await migrated.save('newer', 1, { status: 'closed' }, [], 't');
      await migrated.save('old', 1, { status: 'closed' }, [], 't');
      await migrated.create(newIncident('third', { vm }), [], 't');
    } finally {
      await migrated.close();
    }
  });
});

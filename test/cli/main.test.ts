import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import Database from 'better-sqlite3';
import { main } from '../../src/cli/main';
import { SqliteIncidentStore } from '../../src/store/sqlite-store';
import { driveToEnd, makeHarness, playbookDir, rdpPlaybook, startIncident } from '../helpers/engine-harness';

const dir = mkdtempSync(join(tmpdir(), 'rdpfix-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(argv: string[], env: Record<string, string> = {}) {
  let out = '';
  let err = '';
  const code = await main(argv, {
    input: Readable.from([]),
    out: (t) => (out += t),
    err: (t) => (err += t),
    env: { RDPFIX_DIALOGS_DIR: join(playbookDir, '..'), ...env },
  });
  return { code, out, err };
}

describe('rdp-fix playbook', () => {
  test('validate reports the playbook', async () => {
    expect(await run(['playbook', 'validate'])).toEqual({
      code: 0,
      out: 'ok: rdp-internal-error v1: 48 steps, 8 causes, 15 scripts\n',
      err: '',
    });
  });

  test('validate of a broken playbook prints file: path: problem and exits 1', async () => {
    const broken = join(dir, 'broken');
    cpSync(playbookDir, broken, { recursive: true });
    const yaml = join(broken, 'playbook.yaml');
    writeFileSync(yaml, readFileSync(yaml, 'utf8').replace('ok: restart-vm', 'ok: reboot'));
    const result = await run(['playbook', 'validate', broken]);
    expect(result.code).toBe(1);
    expect(result.err).toMatch(
      /playbook\.yaml: steps\.\d+\.next\.ok: unknown transition target "reboot"\n1 problem\(s\) found\./,
    );
  });

  test('graph prints a Mermaid flowchart with every step and the approval-gated steps marked', async () => {
    const { code, out } = await run(['playbook', 'graph']);
    expect(code).toBe(0);
    expect(out.startsWith('flowchart TD\n')).toBe(true);
    for (const step of rdpPlaybook().steps) expect(out).toContain(`s_${step.id.replace(/-/g, '_')}`);
    expect(out).toContain('s_restart_vm[["Restart the VM<br/>restartsVm, approval"]]');
    expect(out).toContain('s_verify -->|cause:tls-disabled| s_gpo_enforced');
    expect(out).toContain('s_preflight -->|agentNotReady| s_rescue_snapshot');
    // The offline repair switched off: its first step gives way to the manual guidance.
    expect(out).toContain('s_rescue_snapshot -->|skipped| s_offline_attach_disk');
  });

  test('unknown commands and help', async () => {
    expect((await run(['frobnicate'])).code).toBe(2);
    expect((await run(['help'])).out).toContain('rdp-fix transcripts export <id> --format md|json');
  });
});

describe('rdp-fix transcripts', () => {
  const db = join(dir, 'incidents.db');
  const env = { DATABASE_URL: `sqlite:${db}` };
  let id = '';

  beforeAll(async () => {
    const store = new SqliteIncidentStore(db);
    const h = makeHarness({ store });
    id = await startIncident(h, 'sim-all-three');
    await driveToEnd(h, id);
    await store.close();
  });

  test('list, show, export as Markdown and JSON, verify', async () => {
    const list = await run(['transcripts', 'list'], env);
    expect(list.out).toMatch(
      new RegExp(
        `^${id} .* rg-test/sim-all-three {2}closed {2}resolved {2}certificate-invalid,machinekeys-acl,tls-disabled\\n$`,
      ),
    );
    const show = await run(['transcripts', 'show', id], env);
    expect(show.out).toContain('hash chain verified');
    expect(show.out).toContain('bob approved restart-vm (attempt 1)');
    const md = join(dir, 'out.md');
    expect((await run(['transcripts', 'export', id, '--format', 'md', '--out', md], env)).code).toBe(0);
    expect(readFileSync(md, 'utf8')).toBe(show.out);
    const json = JSON.parse((await run(['transcripts', 'export', id, '--format', 'json'], env)).out);
    expect(json.incident).toMatchObject({ id, outcome: 'resolved' });
    expect(json.incident.snapshot).toBeUndefined();
    expect(json.verification.ok).toBe(true);
    expect(await run(['transcripts', 'verify', id], env)).toMatchObject({
      code: 0,
      out: expect.stringMatching(/^ok: \d+ entries, hash chain verified\n$/),
    });
    expect((await run(['transcripts', 'export', id, '--format', 'pdf'], env)).code).toBe(2);
    expect(await run(['transcripts', 'show', 'nope'], env)).toMatchObject({
      code: 1,
      err: 'There is no incident nope.\n',
    });
  });

  test('verify fails on a tampered database', async () => {
    const copy = join(dir, 'tampered.db');
    cpSync(db, copy);
    const raw = new Database(copy);
    raw.exec('drop trigger transcript_no_update');
    raw
      .prepare("update transcript set actor = 'U_MALLORY' where incident_id = ? and kind = 'step.approved'")
      .run(id);
    raw.close();
    const result = await run(['transcripts', 'verify', id], { DATABASE_URL: `sqlite:${copy}` });
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/^BROKEN at entry \d+: content does not match its hash\n$/);
  });

  test('the installed bin runs the same CLI', () => {
    const root = join(__dirname, '..', '..');
    const out = execFileSync('node', [join(root, 'bin', 'rdp-fix.js'), 'playbook', 'validate'], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(out).toContain('ok: rdp-internal-error v1');
    const bad = spawnSync('node', [join(root, 'bin', 'rdp-fix.js'), 'transcripts', 'list'], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, DATABASE_URL: 'mysql://x' },
    });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('DATABASE_URL: use sqlite:<file>, postgres://… or memory:');
  });
});

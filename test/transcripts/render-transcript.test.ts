import { buildExport, renderJson, renderMarkdown } from '../../src/transcripts/render-transcript';
import {
  alice,
  bob,
  driveToEnd,
  makeHarness,
  startIncident,
  testConversation,
} from '../helpers/engine-harness';

async function exported(vm: string, hostileReason?: string) {
  const h = makeHarness();
  const id = await startIncident(h, vm);
  if (hostileReason)
    await h.engine.handle({
      type: 'abort',
      incidentId: id,
      user: alice,
      reason: hostileReason,
      from: testConversation,
    });
  else await driveToEnd(h, id);
  return buildExport((await h.store.get(id))!, await h.store.transcript(id));
}

test('Markdown carries who approved what and when, the commands with their output, and the outcome', async () => {
  const x = await exported('sim-machinekeys');
  const md = renderMarkdown(x);
  expect(md).toContain('- **Status:** closed · **Outcome:** resolved');
  expect(md).toContain('- **Causes found:** machinekeys-acl');
  const approval = x.entries.find(
    (e) => e.kind === 'step.approved' && e.data.stepId === 'reset-machinekeys-acl',
  )!;
  expect(md).toContain(
    `| ${approval.seq} | ${approval.at} | ${bob.id.replace('_', '\\_')} | bob approved reset-machinekeys-acl (attempt 1) |`,
  );
  expect(md).toMatch(
    /### reset-machinekeys-acl \(attempt 1\)\n\n- Script: reset-machinekeys-acl\.ps1, sha256 [0-9a-f]{64}/,
  );
  expect(md).toMatch(/```text\nRDPFIX-RESULT: \{"step":"reset-machinekeys-acl","ok":true/);
  expect(md).toContain('hash chain verified');
});

test('hostile text cannot break the table or inject HTML', async () => {
  const x = await exported('sim-healthy', 'x | y\n# heading <script>alert(1)</script> ```');
  const md = renderMarkdown(x);
  const row = md.split('\n').find((l) => l.includes('aborted the incident'))!;
  expect(row).toContain('x \\| y \\# heading \\<script\\>alert(1)\\</script\\> \\`\\`\\`');
  expect(row.split(/(?<!\\)\|/).length).toBe(6);
  expect(md).not.toContain('<script>');
});

test('JSON is the export object, with the chain check and without the machine snapshot', async () => {
  const x = await exported('sim-healthy');
  const parsed = JSON.parse(renderJson(x));
  expect(parsed.verification).toEqual({ ok: true, entries: x.entries.length });
  expect(parsed.entries).toHaveLength(x.entries.length);
  expect('snapshot' in parsed.incident).toBe(false);
});

test('a broken chain is reported in the Markdown', async () => {
  const x = await exported('sim-healthy');
  x.entries[2] = { ...x.entries[2]!, actor: 'U_MALLORY' };
  const md = renderMarkdown(buildExport({ ...x.incident, snapshot: null }, x.entries));
  expect(md).toContain('hash chain BROKEN at entry 3: content does not match its hash');
});

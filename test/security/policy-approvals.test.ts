import { appendFileSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readScript } from '../../src/playbook/script-includes';
import { playbookDir } from '../helpers/engine-harness';
import { until } from '../helpers/until';
import { ReplicaProcess } from '../support/replica-process';
import {
  alice,
  approveButton,
  type Button,
  bob,
  carol,
  type PolicyRig,
  startPolicyRig,
  teamsAlice,
} from './policy-rig';

/**
 * Issue 17 item 4, over the real wire. On the code before this change: the server started
 * against Azure with no approver list (every requester approved their own steps); one merged
 * approver list let a Slack incident's card be approved through a Teams invoke by a person
 * whose Slack approval had been refused; a click from another channel counted; a card posted
 * before the playbook's script changed approved the new script; one approval ran any step.
 */
const dir = mkdtempSync(join(tmpdir(), 'rdpfix-policy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let rig: PolicyRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

const dispatched = () => rig!.server.runtime.simulator!.scriptDispatches();
async function refusalsOf(id: string) {
  return (await rig!.server.runtime.store.transcript(id))
    .filter((e) => e.kind === 'step.refused')
    .map((e) => e.data.code);
}

describe('Azure mode fails closed (npm start)', () => {
  const azure = {
    DATABASE_URL: 'memory:',
    AZURE_SUBSCRIPTION_ID: '11111111-2222-3333-4444-555555555555',
    // Nothing answers here: start-up does not need Azure, and nothing real is ever reached.
    AZURE_ARM_ENDPOINT: 'http://127.0.0.1:9',
  };

  test('no approver list: the server refuses to start and names both settings', async () => {
    await expect(ReplicaProcess.start('no-approvers', azure)).rejects.toThrow(
      /exited at start[\s\S]*RDPFIX_APPROVERS[\s\S]*RDPFIX_ALLOW_SELF_APPROVAL=true/,
    );
  });

  test('self-approval allowed explicitly: it starts (a list does too: test/config.test.ts)', async () => {
    const server = await ReplicaProcess.start('self-approval', {
      ...azure,
      RDPFIX_ALLOW_SELF_APPROVAL: 'true',
    });
    expect(await server.stop()).toBe(0);
  });
});

test("a Slack incident's card replayed through a Teams invoke by the same person: refused, coded, nothing runs", async () => {
  rig = await startPolicyRig();
  await rig.slash('sim-healthy', alice, 'C_OPS');
  const card = await rig.slackCard('diagnose');
  const id = (await rig.server.runtime.store.list())[0]!.id;
  // Alice may not approve in Slack (not a Slack approver) ...
  await rig.click(approveButton(card), alice, 'C_OPS');
  await until('the Slack refusal', () => rig!.ephemerals(alice.id)[0]);
  // ... and her Teams identity, a Teams approver, replays the Slack button's value as card data.
  const data = JSON.parse(approveButton(card).value) as Record<string, unknown>;
  const replay = await rig.teamsClick('approve', data, teamsAlice);
  expect(replay.status).toBe(200);
  // The replayer hears what an unknown id gets (no hint that it exists); the attempt is recorded.
  // The invoke response's body (the SDK writes the invokeResponse activity's value.body).
  const body = (await replay.json()) as { value?: unknown };
  expect(body.value).toBe(`There is no incident ${id}.`);
  // A Slack approver's click from another Slack channel does not count either.
  await rig.click(approveButton(card), bob, 'C_ELSEWHERE');
  await until('the two refusals recorded', async () =>
    (await refusalsOf(id)).filter((c) => c === 'WRONG_CONVERSATION').length === 2 ? true : undefined,
  );
  await rig.server.runtime.engine.idle();
  expect(dispatched()).toHaveLength(0);
  expect((await rig.server.runtime.store.get(id))?.state).toBe('diagnose.awaiting');
  // In the incident's own channel, bob's approval is taken.
  await rig.click(approveButton(card), bob, 'C_OPS');
  await until('the diagnose dispatch', () => (dispatched().length === 1 ? true : undefined));
});

test("a card posted before the playbook's script changed: refused, a fresh card with the new hash, which then runs the new script", async () => {
  const dialogs = join(dir, 'dialogs');
  cpSync(playbookDir, join(dialogs, 'rdp-internal-error'), { recursive: true });
  const env = { RDPFIX_DIALOGS_DIR: dialogs, DATABASE_URL: `sqlite:${join(dir, 'script-hash.db')}` };
  rig = await startPolicyRig(env);
  await rig.slash('sim-healthy', alice, 'C_OPS');
  const old = approveButton(await rig.slackCard('diagnose'));
  await rig.close();
  // A redeploy while the card waits: the diagnose script is not the one the card stood for.
  const script = join(dialogs, 'rdp-internal-error', 'scripts', 'diagnose.ps1');
  appendFileSync(script, '\n# changed after the card was posted\n');
  rig = await startPolicyRig(env);
  await rig.click(old, bob, 'C_OPS');
  // The second server's fake Slack numbers its messages from 1 again: the fresh card is its only one.
  const fresh = await until('the fresh card', () => {
    const posted = rig!.slack.of('chat.postMessage', (a) => Array.isArray(a.blocks))[0];
    const actions = (posted?.args.blocks as { type: string; elements?: Button[] }[] | undefined)?.find(
      (b) => b.type === 'actions',
    );
    return actions?.elements?.find((e) => e.action_id === 'rdpfix_approve');
  });
  expect(JSON.parse(fresh.value).h).not.toBe(JSON.parse(old.value).h);
  expect(await until('the refusal', () => rig!.ephemerals(bob.id)[0])).toMatch(
    /changed since its card was posted/,
  );
  await rig.server.runtime.engine.idle();
  expect(dispatched()).toHaveLength(0);
  await rig.click(fresh, bob, 'C_OPS');
  await until('the dispatch', () => (dispatched().length === 1 ? true : undefined));
  expect(dispatched()[0]!.text).toBe(
    readScript(join(dialogs, 'rdp-internal-error', 'scripts'), 'diagnose.ps1'),
  );
});

test('two-person rule: a changesConfig step runs only after a second, different approver', async () => {
  rig = await startPolicyRig({ RDPFIX_TWO_PERSON_RISK: 'changesConfig,restartsVm' });
  await rig.slash('sim-all-three', alice, 'C_OPS');
  for (const step of ['diagnose', 'check-rdp-security', 'snapshot-os-disk']) {
    await rig.click(approveButton(await rig.slackCard(step)), bob, 'C_OPS');
    await rig.server.runtime.engine.idle();
  }
  const first = await rig.slackCard('renew-rdp-certificate');
  const before = dispatched().length;
  await rig.click(approveButton(first), bob, 'C_OPS');
  // The card says who approved and that a second approver is needed; a fresh card waits.
  await until(
    'the first card closed',
    () => rig!.slack.of('chat.update', (a) => String(a.text).includes('waiting for a second approver'))[0],
  );
  const second = await until('the fresh card', () =>
    rig!.slack.of('chat.postMessage', (a) =>
      JSON.stringify(a.blocks ?? '').includes('rdpfix_renew-rdp-certificate_'),
    ).length === 2
      ? rig!.slackCard('renew-rdp-certificate')
      : undefined,
  );
  expect(JSON.stringify(second.call.args.blocks)).toContain('Approved by bob, waiting for a second approver');
  await rig.server.runtime.engine.idle();
  expect(dispatched()).toHaveLength(before);
  // The same approver again: refused.
  await rig.click(approveButton(second), bob, 'C_OPS');
  await until('the refusal', () => rig!.ephemerals(bob.id).find((t) => t.includes('a different approver')));
  await rig.server.runtime.engine.idle();
  expect(dispatched()).toHaveLength(before);
  // A second, different approver: it runs.
  await rig.click(approveButton(second), carol, 'C_OPS');
  await until('the renew dispatch', () => (dispatched().length === before + 1 ? true : undefined));
  const id = (await rig.server.runtime.store.list())[0]!.id;
  const approvals = (await rig.server.runtime.store.transcript(id)).filter(
    (e) => e.kind === 'step.approved' && e.data.stepId === 'renew-rdp-certificate',
  );
  expect(approvals.map((e) => e.actor)).toEqual([bob.id, carol.id]);
});

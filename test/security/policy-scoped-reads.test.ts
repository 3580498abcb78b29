import { until } from '../helpers/until';
import { alice, bob, mallory, PersonalChat, type PolicyRig, startPolicyRig, teamsAlice } from './policy-rig';

/**
 * Issue 17 item 3: `history` and `transcript` (and `status`, `cancel`) reach only incidents of
 * the conversation they are asked in, unless the asker is an approver of that incident's
 * platform; anything else is answered exactly as an id that does not exist. On the code before
 * this change a Slack incident's transcript was sent into a Teams personal chat, `history`
 * listed every channel's incidents, and `cancel` worked from any channel.
 */
let rig: PolicyRig;
let id: string;

beforeEach(async () => {
  rig = await startPolicyRig();
  await rig.slash('sim-healthy', alice, 'C_OPS');
  await rig.slackCard('diagnose');
  id = (await rig.server.runtime.store.list())[0]!.id;
});
afterEach(async () => {
  await rig.close();
});

/** The text of the newest reply the bot sent into a Teams conversation. */
async function teamsReply(conversationId: string, after: number): Promise<string> {
  return until('the Teams reply', () => {
    const call = rig.connector.calls
      .slice(after)
      .find((c) => c.method === 'POST' && c.conversationId.startsWith(conversationId));
    return call ? String(call.body.text) : undefined;
  });
}

async function teamsAsk(text: string): Promise<string> {
  const before = rig.connector.calls.length;
  expect((await rig.teamsSay(text, teamsAlice, PersonalChat)).status).toBeLessThan(300);
  return teamsReply(PersonalChat, before);
}

async function slackAsk(text: string, who: typeof alice, channel: string): Promise<string> {
  const before = rig.ephemerals(who.id).length;
  await rig.slash(text, who, channel);
  return until(`the answer to ${text}`, () => rig.ephemerals(who.id)[before]);
}

const uploads = () => rig.slack.of('files.completeUploadExternal').length;

test("a Slack incident's transcript asked from a Teams personal chat (by a Teams approver): not found, word for word", async () => {
  const missing = 'abcdef123456';
  const answer = await teamsAsk(`transcript ${id}`);
  const unknown = await teamsAsk(`transcript ${missing}`);
  expect(answer).toBe(unknown.replace(missing, id));
  expect(answer).toBe(`There is no incident ${id}.`);
  expect(await teamsAsk('history sim-healthy')).toBe(await teamsAsk('history vm-that-never-was'));
  // Nothing of the incident went to Teams.
  const sent = JSON.stringify(rig.connector.calls.map((c) => c.body));
  expect(sent).not.toContain('sim-healthy');
});

test('another Slack channel: history, status and transcript show nothing, cancel is not found, for the requester too', async () => {
  expect(await slackAsk('history sim-healthy', mallory, 'C_OTHER')).toBe('No incident yet.');
  expect(await slackAsk('status', mallory, 'C_OTHER')).toBe('No open incident in this channel.');
  expect(await slackAsk(`transcript ${id}`, mallory, 'C_OTHER')).toBe(`There is no incident ${id}.`);
  const cancel = await slackAsk(`cancel ${id}`, alice, 'C_OTHER');
  expect(cancel).toBe((await slackAsk('cancel abcdef123456', alice, 'C_OTHER')).replace('abcdef123456', id));
  expect(uploads()).toBe(0);
  expect((await rig.server.runtime.store.get(id))?.status).toBe('open');
});

test("in the incident's own channel anyone there reads it; a Slack approver reads it from any Slack channel", async () => {
  await rig.slash(`transcript ${id}`, mallory, 'C_OPS');
  await until('the upload in the incident channel', () => (uploads() === 1 ? true : undefined));
  expect(await slackAsk('history sim-healthy', bob, 'C_OTHER')).toContain(id);
  await rig.slash(`transcript ${id}`, bob, 'C_OTHER');
  await until("the approver's upload", () => (uploads() === 2 ? true : undefined));
  // The requester cancels it in its own channel.
  await rig.slash(`cancel ${id}`, alice, 'C_OPS');
  await until('the incident closed', async () =>
    (await rig.server.runtime.store.get(id))?.status === 'closed' ? true : undefined,
  );
});

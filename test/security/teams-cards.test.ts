import { loadConfig } from '../../src/config';
import { silentLogger } from '../../src/core/logger';
import { type RunningServer, startServer } from '../../src/server';
import { LocalTestEnv } from '../helpers/local-env';
import { until } from '../helpers/until';
import { cardAction, channelMessage, FakeBotConnector } from '../support/teams/fake-bot-connector';
import { openCard, postActivity } from '../support/teams/teams-wire';

/**
 * Issue 17 item 8 (Teams `refresh.userIds`): a step card lists in `refresh.userIds` the Teams
 * approvers only. Before the fix, with no Teams list, it listed RDPFIX_APPROVERS — Slack user
 * ids, posted into a Teams channel. And a refresh invoke (which Teams sends for those users)
 * returned the stored card to anyone who named its key, from any conversation.
 */
let connector: FakeBotConnector;
let server: RunningServer | undefined;
beforeEach(async () => {
  connector = new FakeBotConnector();
  await connector.start();
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  await connector.stop();
});

async function cardOf(env: Record<string, string>) {
  server = await startServer(loadConfig({ ...LocalTestEnv, ...env }), silentLogger);
  await postActivity(server.url, channelMessage(connector.url, 'rdp-fix sim-healthy'));
  const card = await until('the card', () => openCard(connector));
  return (card.call.body.attachments as { content: { refresh?: { userIds: string[] } } }[])[0]!.content;
}

test('only Slack approvers: the Teams card names nobody in refresh.userIds', async () => {
  const card = await cardOf({ RDPFIX_APPROVERS: 'U_SLACK_BOB,U_SLACK_CAROL' });
  expect(JSON.stringify(card)).not.toContain('U_SLACK');
  expect(card.refresh).toBeUndefined();
});

test('both lists: refresh.userIds is the Teams list', async () => {
  const card = await cardOf({ RDPFIX_APPROVERS: 'U_SLACK_BOB', RDPFIX_TEAMS_APPROVERS: 'aad-bob,aad-carol' });
  expect(card.refresh?.userIds).toEqual(['aad-bob', 'aad-carol']);
});

test('a refresh invoke returns the card to a Teams approver only', async () => {
  await cardOf({ RDPFIX_TEAMS_APPROVERS: 'aad-bob' });
  const card = openCard(connector)!;
  const data = card.actions.find((a) => a.verb === 'approve')!.data;
  const refresh = (aad: string) =>
    postActivity(server!.url, {
      ...cardAction(connector.url, 'refresh', data, { aad, name: aad }),
      // Another conversation: the card key is all a stranger needs to name.
      conversation: { id: 'a:1strangerpersonalchat', conversationType: 'personal', tenantId: 'tenant-1' },
    });
  expect((await refresh('aad-bob')).body?.type).toBe('application/vnd.microsoft.card.adaptive');
  const stranger = await refresh('aad-mallory');
  expect(stranger.body?.type).toBe('application/vnd.microsoft.activity.message');
  expect(JSON.stringify(stranger.body)).not.toContain('Diagnose the VM');
});

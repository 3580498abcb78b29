import { loadConfig } from '../../src/config';
import { type RunningServer, startServer } from '../../src/server';
import { LocalTestEnv } from '../helpers/local-env';
import { until } from '../helpers/until';
import { cardAction, channelMessage, FakeBotConnector } from '../support/teams/fake-bot-connector';
import { capturedLogger, openCard, postActivity } from '../support/teams/teams-wire';

/**
 * Issue 17 item 1 over the wire: the real server and the Agents SDK on /api/messages (local
 * mode, unauthenticated as the simulator runs), a fake Bot Connector on loopback. Before the
 * fix the approver was `from.aadObjectId ?? from.id` of any activity: a Direct Line activity
 * whose `from.id` was an approver's object id approved a step, and so did any tenant.
 */
let connector: FakeBotConnector;
let server: RunningServer | undefined;
let serviceUrl: string;
beforeEach(async () => {
  connector = new FakeBotConnector();
  serviceUrl = await connector.start();
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  await connector.stop();
});

const Refused = {
  notTeams: 'rdp-fix answers only in Microsoft Teams; nothing was done.',
  noUser: 'rdp-fix could not tell which Microsoft Entra user sent this; nothing was done.',
  otherTenant: 'This Teams tenant is not the one rdp-fix serves; nothing was done.',
};

test('a click from another channel, without an Entra user, or from another tenant decides nothing', async () => {
  const { logger, lines } = capturedLogger();
  server = await startServer(
    loadConfig({ ...LocalTestEnv, RDPFIX_TEAMS_APPROVERS: 'aad-bob', tenantId: 'tenant-1' }),
    logger,
  );
  await postActivity(server.url, channelMessage(serviceUrl, 'rdp-fix sim-healthy'));
  const card = await until('the card', () => openCard(connector));
  const approve = card.actions.find((a) => a.verb === 'approve')!;
  const bob = cardAction(serviceUrl, 'approve', approve.data, { aad: 'aad-bob', name: 'Bob' });
  const attacks: [string, unknown, string][] = [
    // The review's request: Direct Line, and the approver's object id as from.id.
    [
      'directline',
      { ...bob, channelId: 'directline', from: { id: 'aad-bob', name: 'Bob' } },
      Refused.notTeams,
    ],
    ['msteams without aadObjectId', { ...bob, from: { id: 'aad-bob', name: 'Bob' } }, Refused.noUser],
    ['an empty aadObjectId', { ...bob, from: { id: '29:x', name: 'Bob', aadObjectId: ' ' } }, Refused.noUser],
    [
      'another tenant',
      {
        ...bob,
        conversation: { ...bob.conversation, tenantId: 'tenant-evil' },
        channelData: { ...bob.channelData, tenant: { id: 'tenant-evil' } },
      },
      Refused.otherTenant,
    ],
    [
      'the tenant right in the conversation only',
      { ...bob, channelData: { ...bob.channelData, tenant: { id: 'tenant-evil' } } },
      Refused.otherTenant,
    ],
    [
      'no tenant at all',
      { ...bob, conversation: { ...bob.conversation, tenantId: undefined }, channelData: {} },
      Refused.otherTenant,
    ],
  ];
  const callsBefore = connector.calls.length;
  for (const [why, activity, text] of attacks) {
    const res = await postActivity(server.url, activity);
    expect({ why, status: res.status, value: res.body?.value }).toEqual({ why, status: 200, value: text });
  }
  // Without any channelId the SDK could not even build the turn: a 400 that says why.
  const bare = await postActivity(server.url, { ...bob, channelId: undefined });
  expect(bare).toEqual({ status: 400, body: { error: 'refused: the activity has no channelId' } });
  // Nothing ran, the card is untouched, nothing went to the channel; each refusal is logged.
  expect(server.runtime.simulator!.scriptDispatches()).toHaveLength(0);
  expect(connector.calls.slice(callsBefore)).toEqual([]);
  expect(lines.filter((l) => l.includes('teams activity refused'))).toHaveLength(attacks.length + 1);
  const [incident] = await server.runtime.store.list();
  expect(incident?.state).not.toBe('closed');
  // The same click as Teams sends it is taken.
  const res = await postActivity(server.url, bob);
  expect(res.body?.value).toBe('✔');
  await until('the step dispatched', () =>
    server!.runtime.simulator!.scriptDispatches().length === 1 ? true : undefined,
  );
});

test('a command from another channel or without an Entra user opens nothing; the refusal is said', async () => {
  const { logger, lines } = capturedLogger();
  server = await startServer(loadConfig({ ...LocalTestEnv, RDPFIX_TEAMS_APPROVERS: 'aad-bob' }), logger);
  const alice = channelMessage(serviceUrl, 'rdp-fix sim-healthy');
  for (const activity of [
    { ...alice, channelId: 'webchat' },
    { ...alice, from: { id: 'aad-alice', name: 'Alice' } },
  ]) {
    expect((await postActivity(server.url, activity)).status).toBeLessThan(300);
  }
  await until('two refusals said', () => (connector.calls.length >= 2 ? true : undefined));
  expect(connector.calls.map((c) => c.body.text)).toEqual([Refused.notTeams, Refused.noUser]);
  expect(await server.runtime.store.list()).toHaveLength(0);
  expect(lines.filter((l) => l.includes('teams activity refused'))).toHaveLength(2);
});

test('the approver is from.aadObjectId, never from.id', async () => {
  server = await startServer(
    loadConfig({ ...LocalTestEnv, RDPFIX_TEAMS_APPROVERS: 'aad-bob' }),
    capturedLogger().logger,
  );
  await postActivity(server.url, channelMessage(serviceUrl, 'rdp-fix sim-healthy'));
  const card = await until('the card', () => openCard(connector));
  const approve = card.actions.find((a) => a.verb === 'approve')!;
  const mallory = cardAction(serviceUrl, 'approve', approve.data, { aad: 'aad-mallory', name: 'Mallory' });
  const res = await postActivity(server.url, { ...mallory, from: { ...mallory.from, id: 'aad-bob' } });
  expect(res.body?.value).toBe('You are not on the approver list for rdp-fix steps.');
  expect(server.runtime.simulator!.scriptDispatches()).toHaveLength(0);
});

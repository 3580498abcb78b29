import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stripMentions } from '../../../src/channels/teams/decode-teams';
import { teamsMode } from '../../../src/channels/teams/teams-auth';
import { loadConfig } from '../../../src/config';
import { silentLogger } from '../../../src/core/logger';
import { type RunningServer, startServer } from '../../../src/server';
import { LocalTestEnv } from '../../helpers/local-env';
import { until } from '../../helpers/until';
import {
  type ConnectorCall,
  cardAction,
  channelMessage,
  FakeBotConnector,
} from '../../support/teams/fake-bot-connector';

/**
 * The real server with the Agents SDK on /api/messages, driven with real-shaped Activities;
 * a fake Bot Connector on loopback is the serviceUrl and records every reply and update.
 */
const dir = mkdtempSync(join(tmpdir(), 'rdpfix-teams-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let connector: FakeBotConnector;
let server: RunningServer | undefined;
let serviceUrl: string;

function env(extra: Record<string, string> = {}) {
  return loadConfig({
    ...LocalTestEnv,
    RDPFIX_TEAMS_APPROVERS: 'aad-bob,aad-carol',
    ...extra,
  });
}

beforeEach(async () => {
  connector = new FakeBotConnector();
  serviceUrl = await connector.start();
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  await connector.stop();
});

async function send(activity: unknown) {
  const res = await fetch(`${server!.url}/api/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(activity),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

type Action = {
  type: string;
  verb: string;
  data: Record<string, unknown>;
  fallback?: { type: string };
  card?: { actions: Action[] };
};
/** The newest card still carrying its actions (not yet replaced by a PUT). */
function openCard(): { call: ConnectorCall; actions: Action[] } | undefined {
  const updated = new Set(connector.calls.filter((c) => c.method === 'PUT').map((c) => c.activityId));
  for (const call of [...connector.calls].reverse()) {
    const attachments = call.body.attachments as { content: { actions?: Action[] } }[] | undefined;
    if (call.method === 'POST' && attachments?.[0]?.content.actions && !updated.has(call.id)) {
      return { call, actions: attachments[0].content.actions };
    }
  }
  return undefined;
}

test('without a client id, Teams is served on loopback only, in local mode or on purpose', () => {
  // An approver list: Azure mode without one refuses to start (issue 17, item 4).
  const mode = (env: Record<string, string>) =>
    teamsMode(loadConfig({ RDPFIX_APPROVERS: 'U_BOB', ...env }), {}).kind;
  expect(mode({ HOST: '127.0.0.1' })).toBe('anonymous');
  expect(mode({ HOST: '0.0.0.0' })).toBe('off');
  expect(mode({ HOST: '0.0.0.0', clientId: 'app-id' })).toBe('authenticated');
  expect(mode({ HOST: '127.0.0.1', AZURE_SUBSCRIPTION_ID: 'sub' })).toBe('off');
  expect(mode({ HOST: '127.0.0.1', AZURE_SUBSCRIPTION_ID: '' })).toBe('anonymous');
  expect(mode({ HOST: '127.0.0.1', AZURE_SUBSCRIPTION_ID: 'sub', RDPFIX_TEAMS_ANONYMOUS: 'true' })).toBe(
    'anonymous',
  );
});

test('mentions are stripped from the command text', () => {
  expect(stripMentions('<at>rdp-fix</at> rdp-fix sim-01 --rg rg-a')).toBe('sim-01 --rg rg-a');
  expect(stripMentions('<at>rdp-fix</at>&nbsp;help')).toBe('help');
  expect(stripMentions('sim-01')).toBe('sim-01');
});

test('a whole incident in a Teams channel: replies in the reply chain, cards updated, invoke responses', async () => {
  server = await startServer(env(), silentLogger);
  const started = await send(channelMessage(serviceUrl, 'rdp-fix sim-all-three'));
  expect(started.status).toBeLessThan(300);
  await until('the first card', () => openCard());
  const resolved = () => connector.calls.some((c) => String(c.body.text ?? '').startsWith('**Resolved.**'));
  for (let i = 0; i < 20; i++) {
    // Messages go out after the click is answered: wait for the next card, or the summary.
    const next = await until(
      'a card or the summary',
      () => openCard() ?? (resolved() ? 'resolved' : undefined),
    );
    if (next === 'resolved') break;
    const card = next;
    // A restart's Approve opens a confirmation card (Action.ShowCard): its button is the real one.
    const buttons = card.actions.flatMap((a) =>
      a.type === 'Action.ShowCard' ? (a.card?.actions ?? []) : [a],
    );
    const action = buttons.find((a) => a.verb === 'approve') ?? buttons.find((a) => a.verb === 'answer')!;
    expect(action.type).toBe('Action.Execute');
    expect(action.fallback?.type).toBe('Action.Submit');
    const puts = connector.calls.filter((c) => c.method === 'PUT').length;
    const res = await send(cardAction(serviceUrl, action.verb, action.data));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      statusCode: 200,
      type: 'application/vnd.microsoft.activity.message',
      value: '✔',
    });
    await until('the card update', () =>
      connector.calls.filter((c) => c.method === 'PUT').length > puts ? true : undefined,
    );
  }
  await until('the summary', () =>
    connector.calls.find((c) => String(c.body.text ?? '').startsWith('**Resolved.**')),
  );
  // Every reply went into the reply chain of the message that asked.
  expect(new Set(connector.calls.map((c) => c.conversationId))).toEqual(
    new Set(['19:ops@thread.tacv2;messageid=1700000000000']),
  );
  const updates = connector.calls.filter((c) => c.method === 'PUT' && c.body.attachments);
  expect(JSON.stringify(updates.at(-1)?.body)).toMatch(/Bob answered|Approved by Bob at/);
  const first = connector.calls.find((c) => c.body.attachments)!;
  const card = (first.body.attachments as { content: Record<string, unknown> }[])[0]!.content;
  expect(card.refresh).toMatchObject({ userIds: ['aad-bob', 'aad-carol'] });
  const commands = server.runtime.simulator!.scriptDispatches();
  // diagnose, certificate, MachineKeys, enable-tls, verify (which switches Group Policy back on)
  expect(commands).toHaveLength(5);
});

test('the Bot Connector answering 429 then 503: replies are delivered later, in order, once', async () => {
  server = await startServer(env(), silentLogger);
  connector.throttled = 1;
  connector.failures = 2;
  const started = await send(channelMessage(serviceUrl, 'rdp-fix sim-healthy'));
  expect(started.status).toBeLessThan(300);
  await until('the first card, once the connector is back', () => openCard(), 20_000);
  expect(connector.refused).toBe(3);
  const texts = connector.calls.filter((c) => c.method === 'POST').map((c) => JSON.stringify(c.body));
  expect(texts[0]).toContain('sim-healthy');
  expect(texts.at(-1)).toContain('application/vnd.microsoft.card.adaptive');
  expect(new Set(texts).size).toBe(texts.length);
  // Delivered messages are marked sent together when the delivery round ends.
  const { store } = server.runtime;
  await until('the outbox empty', async () => ((await store.outboxDepth()) === 0 ? true : undefined));
});

test('an unauthorised click is refused to the clicker only; repeated invokes dispatch once', async () => {
  server = await startServer(env(), silentLogger);
  await send(channelMessage(serviceUrl, 'rdp-fix sim-healthy', { aad: 'aad-alice', name: 'Alice' }, 'it-IT'));
  const card = await until('the card', () => openCard());
  expect(JSON.stringify(card.call.body)).toContain('Diagnosi della VM (sola lettura)');
  const approve = card.actions.find((a) => a.verb === 'approve')!;
  const refused = await send(
    cardAction(serviceUrl, 'approve', approve.data, { aad: 'aad-mallory', name: 'Mallory' }),
  );
  expect(refused.body?.value).toBe('You are not on the approver list for rdp-fix steps.');
  const before = connector.calls.length;
  const results = await Promise.all(
    [0, 1, 2, 3].map(() => send(cardAction(serviceUrl, 'approve', approve.data))),
  );
  expect(results.filter((r) => r.body?.value === '✔')).toHaveLength(1);
  await until('the question card', () =>
    openCard()?.actions.some((a) => a.verb === 'answer') ? true : undefined,
  );
  expect(server.runtime.simulator!.scriptDispatches()).toHaveLength(1);
  expect(connector.calls.slice(before).some((c) => JSON.stringify(c.body).includes('Mallory'))).toBe(false);
  const [incident] = await server.runtime.store.list();
  await send(channelMessage(serviceUrl, `rdp-fix transcript ${incident!.id}`));
  await until('the transcript', () =>
    connector.calls.find((c) => String(c.body.text ?? '').startsWith(`# Incident ${incident!.id}`)),
  );
  const forged = await send(cardAction(serviceUrl, 'approve', { i: '../x', s: 1 }));
  expect(forged.body?.value).toContain('nothing was changed');
});

test('help, hostile names and an unknown VM are answered in the chat', async () => {
  server = await startServer(env(), silentLogger);
  await send(channelMessage(serviceUrl, 'rdp-fix help'));
  await send(channelMessage(serviceUrl, 'rdp-fix vm;rm -rf /'));
  await send(channelMessage(serviceUrl, 'rdp-fix vm-nowhere'));
  const texts = await until('three answers', () =>
    connector.calls.length >= 3 ? connector.calls.map((c) => String(c.body.text)) : undefined,
  );
  // Escaped for Teams Markdown (escape-teams.ts): `<vm>` would otherwise be read as a tag.
  expect(texts[0]).toContain('/rdp-fix &lt;vm&gt; \\[--rg &lt;group&gt;\\]');
  expect(texts[1]).toContain('is not a valid Azure VM name');
  expect(texts[2]).toContain('No VM named vm-nowhere');
  expect(await server.runtime.store.list()).toHaveLength(0);
});

test('after a server restart, a click continues the incident and the replies are posted proactively', async () => {
  const db = `sqlite:${join(dir, 'teams-restart.db')}`;
  server = await startServer(env({ DATABASE_URL: db }), silentLogger);
  await send(channelMessage(serviceUrl, 'rdp-fix sim-healthy'));
  const card = await until('the card', () => openCard());
  await server.close();
  server = await startServer(env({ DATABASE_URL: db }), silentLogger);
  const before = connector.calls.length;
  const approve = card.actions.find((a) => a.verb === 'approve')!;
  const res = await send(cardAction(serviceUrl, 'approve', approve.data));
  expect(res.body?.value).toBe('✔');
  await until('the question card after the restart', () =>
    openCard()?.actions.some((a) => a.verb === 'answer') ? true : undefined,
  );
  const after = connector.calls.slice(before);
  expect(after.every((c) => c.conversationId === '19:ops@thread.tacv2;messageid=1700000000000')).toBe(true);
  expect(after.some((c) => String(c.body.text ?? '').includes('succeeded'))).toBe(true);
});

test('with a client id configured, unauthenticated requests are refused', async () => {
  server = await startServer(env({ clientId: '00000000-0000-0000-0000-00000000b07' }), silentLogger);
  const res = await send(channelMessage(serviceUrl, 'rdp-fix sim-healthy'));
  expect(res.status).toBe(401);
  const forged = await fetch(`${server.url}/api/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer not-a-jwt' },
    body: JSON.stringify(channelMessage(serviceUrl, 'rdp-fix sim-healthy')),
  });
  expect(forged.status).toBe(401);
  expect(await server.runtime.store.list()).toHaveLength(0);
  expect(connector.calls).toHaveLength(0);
});

test('a personal chat without a mention, and the Action.Submit fallback of a card', async () => {
  server = await startServer(env(), silentLogger);
  const personal = {
    ...channelMessage(serviceUrl, '', { aad: 'aad-alice', name: 'Alice' }),
    conversation: { id: 'a:1personalchatwithalice', conversationType: 'personal', tenantId: 'tenant-1' },
    text: 'sim-healthy',
    entities: [],
  };
  await send(personal);
  const card = await until('the card in the personal chat', () => openCard());
  expect(card.call.conversationId).toBe('a:1personalchatwithalice');
  const approve = card.actions.find((a) => a.verb === 'approve')!;
  // An older client sends the fallback Action.Submit: a message whose value is the card data.
  const submit = {
    ...personal,
    id: 'submit-1',
    text: undefined,
    value: { ...approve.data, msteams: { type: 'messageBack' } },
  };
  await send({ ...submit, from: { id: '29:aad-bob', name: 'Bob', aadObjectId: 'aad-bob' } });
  await until('the next card', () =>
    openCard()?.actions.some((a) => a.verb === 'answer') ? true : undefined,
  );
  expect(server.runtime.simulator!.scriptDispatches()).toHaveLength(1);
});

import { loadConfig } from '../../src/config';
import { silentLogger } from '../../src/core/logger';
import { type RunningServer, startServer } from '../../src/server';
import { LocalTestEnv } from '../helpers/local-env';
import { until } from '../helpers/until';
import {
  type ConnectorCall,
  cardAction,
  channelMessage,
  FakeBotConnector,
} from '../support/teams/fake-bot-connector';
import { everyMessageKind, HostileText, hostilePortOwner, queueMessages } from './hostile-messages';

/**
 * Issue 17 item 6, Teams: a process name or display name like
 * `[Re-authenticate](https://evil.example/sso) <at>General</at>` was sent as live Markdown and
 * a mention. The real server (Agents SDK, engine, outbox, Teams sink) with a fake Bot
 * Connector: hostile requester and approver names, a hostile program on the VM's RDP port,
 * every kind of engine message carrying hostile text, and the conversation's replies. Every
 * Activity the connector received is checked: cards hold no Markdown element at all (only
 * TextRuns, which Adaptive Cards never read as Markdown), text messages hold no live link,
 * emphasis, tag or mention made of data.
 */
let connector: FakeBotConnector;
let server: RunningServer;
let serviceUrl: string;

afterEach(async () => {
  await server?.close();
  await connector?.stop();
});

async function send(activity: unknown) {
  const res = await fetch(`${server.url}/api/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(activity),
  });
  const text = await res.text();
  return text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
}

/** Elements Adaptive Cards read as Markdown (TextBlock, FactSet), or a mention entity, anywhere. */
function markdownElements(value: unknown, path = 'card', out: string[] = []): string[] {
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) markdownElements(v, `${path}[${i}]`, out);
  } else if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (o.type === 'TextBlock' || o.type === 'FactSet') out.push(`${path}: a ${o.type}`);
    if (o.type === 'RichTextBlock')
      for (const inline of o.inlines as Record<string, unknown>[])
        if (inline.type !== 'TextRun') out.push(`${path}: an inline ${String(inline.type)}`);
    if (o.type === 'mention') out.push(`${path}: a mention entity`);
    for (const [k, v] of Object.entries(o)) markdownElements(v, `${path}.${k}`, out);
  }
  return out;
}

/** What must never reach a Teams text message as written. */
const Live: [string, RegExp][] = [
  ['a Markdown link', /(^|[^\\])\]\(/],
  ['a Teams mention tag', /<at>/i],
  ['an HTML tag', /<(script|img|a )/i],
  ['a bare URL', /https?:\/\/evil/],
  ['bold from data', /(^|[^\\])\*bold/],
  ['italic from data', /(^|[^\\])_it/],
  ['a code span from data', /(^|[^\\])`c/],
  ['a bidi override', /\u202E/],
];

function check(calls: ConnectorCall[]): string[] {
  const problems: string[] = [];
  for (const call of calls) {
    const where = `${call.method} ${String(call.body.text ?? 'card').slice(0, 40)}`;
    const attachments = (call.body.attachments ?? []) as { content: unknown }[];
    for (const a of attachments) problems.push(...markdownElements(a.content).map((p) => `${where}: ${p}`));
    problems.push(...markdownElements(call.body.entities ?? []).map((p) => `${where}: ${p}`));
    const text = String(call.body.text ?? '');
    for (const [what, pattern] of Live) if (pattern.test(text)) problems.push(`${where}: ${what}`);
  }
  return problems;
}

test('hostile names, VM output and replies reach Teams as text, in every message kind', async () => {
  connector = new FakeBotConnector();
  serviceUrl = await connector.start();
  server = await startServer(
    loadConfig({
      ...LocalTestEnv,
      RDPFIX_TEAMS_APPROVERS: 'aad-bob',
      // Unauthenticated on purpose (loopback, tests), replies to the loopback connector.
      RDPFIX_TEAMS_ANONYMOUS: 'true',
      RDPFIX_TEAMS_SERVICE_HOSTS: '127.0.0.1',
    }),
    silentLogger,
  );
  hostilePortOwner(server, 'sim-port-stoppable');
  server.runtime.simulator?.addVm({ name: 'sim-healthy', resourceGroup: 'rg_dup_(x).' });

  await send(
    channelMessage(serviceUrl, 'rdp-fix sim-port-stoppable', { aad: 'aad-alice', name: HostileText }),
  );
  const card = await until('the first card', () =>
    connector.calls.find((c) => JSON.stringify(c.body).includes('"verb":"approve"')),
  );
  const [incident] = await server.runtime.store.list();
  const content = (card.body.attachments as { content: { actions: { verb: string; data: object }[] } }[])[0]!
    .content;
  const approve = content.actions.find((a) => a.verb === 'approve')!;
  await send(
    cardAction(serviceUrl, 'approve', approve.data as Record<string, unknown>, {
      aad: 'aad-bob',
      name: HostileText,
    }),
  );
  await until('the card closed', () => connector.calls.find((c) => c.method === 'PUT'));

  await queueMessages(server, incident!.id, everyMessageKind(incident!.id, 'aad-alice'));
  await until('the hostile summary', () =>
    connector.calls.find((c) => /^\*\*.*Re-authenticate/.test(String(c.body.text ?? ''))),
  );

  for (const command of [HostileText.slice(0, 30), 'a_b_c_', 'sim-healthy', 'status', 'history'])
    await send(channelMessage(serviceUrl, `rdp-fix ${command}`));
  await until('the replies', () =>
    connector.calls.some((c) => String(c.body.text).includes('several resource groups')) &&
    connector.calls.some((c) => String(c.body.text).includes('No VM named'))
      ? true
      : undefined,
  );

  expect(check(connector.calls)).toEqual([]);
  // Not vacuous: the hostile text arrived, as text.
  const wire = JSON.stringify(connector.calls.map((c) => c.body));
  expect(wire).toContain('&lt;at&gt;General&lt;/at&gt;');
  expect(wire).toContain('\\\\[Re-authenticate\\\\]\\\\(https:\u2060//evil.example/sso\\\\)');
  // In a card the same text is a TextRun, shown exactly (the bidi override replaced).
  expect(wire).toContain(JSON.stringify(HostileText.replace('\u202E', '\uFFFD')).slice(1, -1));
  expect(wire).toContain('🔥👩‍💻');
  expect(wire).toContain('rg\\\\_dup\\\\_\\\\(x\\\\).');
});

import { loadConfig } from '../../src/config';
import { silentLogger } from '../../src/core/logger';
import { type RunningServer, startServer } from '../../src/server';
import { LocalTestEnv } from '../helpers/local-env';
import { until } from '../helpers/until';
import { FakeSlack, type SlackCall } from '../support/slack/fake-slack-api';
import { buttonClick, SigningSecret, signed, slashCommand } from '../support/slack/slack-requests';
import { everyMessageKind, HostileText, hostilePortOwner, queueMessages } from './hostile-messages';

/**
 * Issue 17 item 6, Slack: text from a VM, Azure or a person is data, never mrkdwn. The real
 * server (Bolt, the engine, the outbox, the Slack sink) with a fake Slack Web API: a requester
 * and an approver with hostile display names, a VM whose RDP port is held by a program with a
 * hostile name, every kind of engine message carrying hostile text, and the conversation's
 * replies (the help after an invalid name, not found, ambiguous VM, lists). Everything Slack
 * received is read back from the wire and checked: no live link, mention, broadcast or
 * emphasis made of data, every mrkdwn object verbatim, every text within Slack's limit.
 */
let slack: FakeSlack;
let server: RunningServer;

afterEach(async () => {
  await server?.close();
  await slack?.stop();
});

async function post(body: string) {
  const res = await fetch(`${server.url}/slack/events`, { method: 'POST', headers: signed(body), body });
  return { status: res.status, text: await res.text() };
}

/** Every text object in a Block Kit tree, with its type. */
function textObjects(value: unknown, out: { type: string; text: string; verbatim?: unknown }[] = []) {
  if (Array.isArray(value)) for (const v of value) textObjects(v, out);
  else if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if ((o.type === 'mrkdwn' || o.type === 'plain_text') && typeof o.text === 'string')
      out.push({ type: o.type, text: o.text, verbatim: o.verbatim });
    else for (const v of Object.values(o)) textObjects(v, out);
  }
  return out;
}

/** What must never reach Slack as written: each would be a link, a mention or formatting. */
const Live: [string, RegExp][] = [
  ['a Slack broadcast', /<!channel>/],
  // Our own links to the transcript pages (RDPFIX_PUBLIC_URL) are the only ones allowed.
  ['a Slack link', /<https?:(?!\/\/127\.0\.0\.1:3978\/incidents\/[a-z0-9]+\|)/],
  ['a Teams mention tag', /<at>/],
  ['a script tag', /<script|<img/],
  ['a bare URL Slack would link', /https?:\/\/evil/],
  ['an @here Slack would parse', /@here/],
  ['mrkdwn bold from data', /\*bold\*/],
  ['mrkdwn italic from data', /_it_/],
  ['mrkdwn strike from data', /~s~/],
  ['a code span from data', /`c`/],
  ['an entity that would be decoded', / &amp; /],
  ['a bidi override', /\u202E/],
];

function problemsIn(where: string, text: string): string[] {
  return Live.filter(([, pattern]) => pattern.test(text)).map(([what]) => `${where}: ${what}`);
}

/** Every text of every message Slack received (posts, updates, ephemerals) and the acks' bodies. */
function check(calls: SlackCall[], acks: Record<string, unknown>[]): string[] {
  const problems: string[] = [];
  const messages = [
    ...calls
      .filter((c) => ['chat.postMessage', 'chat.update', 'chat.postEphemeral'].includes(c.method))
      .map((c) => ({ where: `${c.method} ${String(c.args.text).slice(0, 40)}`, args: c.args })),
    ...acks.map((a) => ({ where: 'slash ack', args: a })),
  ];
  for (const { where, args } of messages) {
    const blocks = typeof args.blocks === 'string' ? JSON.parse(args.blocks) : args.blocks;
    if (!Array.isArray(blocks)) problems.push(`${where}: no blocks, so its text is not verbatim`);
    problems.push(...problemsIn(`${where} (fallback text)`, String(args.text ?? '')));
    for (const t of textObjects(blocks)) {
      if (t.type === 'mrkdwn' && t.verbatim !== true) problems.push(`${where}: a mrkdwn object not verbatim`);
      if (t.text.length > 3000) problems.push(`${where}: a text of ${t.text.length} characters`);
      problems.push(...problemsIn(where, t.text));
    }
  }
  return problems;
}

test('hostile names, VM output and replies reach Slack as text, in every message kind', async () => {
  slack = new FakeSlack();
  const apiUrl = await slack.start();
  server = await startServer(
    loadConfig({
      ...LocalTestEnv,
      RDPFIX_APPROVERS: 'U_BOB',
      SLACK_SIGNING_SECRET: SigningSecret,
      SLACK_BOT_TOKEN: 'xoxb-test-token',
      SLACK_API_URL: apiUrl,
      RDPFIX_PUBLIC_URL: 'http://127.0.0.1:3978',
    }),
    silentLogger,
  );
  hostilePortOwner(server, 'sim-port-stoppable');
  // The same VM name in a second resource group whose name Slack would italicise.
  server.runtime.simulator?.addVm({ name: 'sim-healthy', resourceGroup: 'rg_dup_(x).' });

  const ack = await post(slashCommand('sim-port-stoppable', { id: 'U_ALICE', name: HostileText }));
  expect(ack.status).toBe(200);
  const card = await until('the first card', () =>
    slack.of('chat.postMessage', (a) => JSON.stringify(a.blocks ?? '').includes('rdpfix_approve')).at(0),
  );
  const [incident] = await server.runtime.store.list();
  // The approver's display name is hostile too: the card says who approved.
  const blocks = card.args.blocks as { type: string; elements?: { action_id: string; value: string }[] }[];
  const approve = blocks
    .find((b) => b.type === 'actions')
    ?.elements?.find((e) => e.action_id === 'rdpfix_approve');
  await post(buttonClick('rdpfix_approve', approve!.value, { id: 'U_BOB', name: HostileText }));
  await until('the card closed', () => (slack.of('chat.update').length > 0 ? true : undefined));

  // Every kind of engine message, each field hostile, through the outbox to the Slack sink.
  await queueMessages(server, incident!.id, everyMessageKind(incident!.id, 'U_ALICE'));
  await until('the hostile summary', () =>
    slack.of('chat.postMessage', (a) => a.reply_broadcast === 'true').at(0),
  );

  // The conversation's replies: an invalid name echoed in the help, not found, ambiguous, lists.
  const acks: Record<string, unknown>[] = [];
  for (const command of [`${HostileText.slice(0, 30)}`, 'a_b_c_', 'sim-healthy', 'status', 'history']) {
    const res = await post(slashCommand(command));
    if (res.text) acks.push(JSON.parse(res.text) as Record<string, unknown>);
  }
  await until('the replies', () =>
    slack.of('chat.postEphemeral', (a) => String(a.text).includes('several resource groups')).length &&
    slack.of('chat.postEphemeral', (a) => String(a.text).includes('No VM named')).length
      ? true
      : undefined,
  );

  expect(check(slack.calls, acks)).toEqual([]);
  // Not vacuous: the hostile text did arrive, as text (emoji kept, marks as look-alikes).
  const wire = JSON.stringify(slack.calls.map((c) => c.args));
  expect(wire).toContain('&lt;at&gt;General&lt;/at&gt;');
  expect(wire).toContain('&lt;!channel&gt;');
  expect(wire).toContain('\u2217bold\u2217 \u02CDit\u02CD');
  expect(wire).toContain('🔥👩‍💻');
  // A mark at a word's edge is replaced; one inside a word is kept (Slack does not format it).
  expect(wire).toContain('rg_dup\u02CD(x).');
  expect(wire).toContain('a_b_c\u02CD');
});

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../../../src/config';
import { silentLogger } from '../../../src/core/logger';
import { type RunningServer, startServer } from '../../../src/server';
import { LocalTestEnv } from '../../helpers/local-env';
import { until } from '../../helpers/until';
import { FakeSlack, type SlackCall } from '../../support/slack/fake-slack-api';
import { buttonClick, SigningSecret, signed, slashCommand } from '../../support/slack/slack-requests';

/**
 * The real server (Bolt on /slack/events, the engine, the real Azure SDK against the in-process
 * simulator) driven over HTTP as Slack drives it, with a fake Slack Web API on loopback.
 */
let slack: FakeSlack;
let server: RunningServer;

async function boot(extra: Record<string, string> = {}) {
  slack = new FakeSlack();
  const apiUrl = await slack.start();
  server = await startServer(
    loadConfig({
      ...LocalTestEnv,
      RDPFIX_APPROVERS: 'U_BOB,U_CAROL',
      SLACK_SIGNING_SECRET: SigningSecret,
      SLACK_BOT_TOKEN: 'xoxb-test-token',
      SLACK_API_URL: apiUrl,
      RDPFIX_PUBLIC_URL: 'http://127.0.0.1:3978',
      ...extra,
    }),
    silentLogger,
  );
}

afterEach(async () => {
  await server?.close();
  await slack?.stop();
});

async function post(body: string, headers: Record<string, string> = signed(body)) {
  const started = Date.now();
  const res = await fetch(`${server.url}/slack/events`, { method: 'POST', headers, body });
  return { status: res.status, text: await res.text(), ms: Date.now() - started };
}

type Button = { action_id: string; value: string; text: { text: string } };
/** The buttons of the newest card whose buttons are still there (not replaced by an update). */
function openCard(): { call: SlackCall; buttons: Button[] } | undefined {
  const closed = new Set(slack.of('chat.update').map((c) => c.args.ts));
  for (const call of slack.of('chat.postMessage', (a) => Array.isArray(a.blocks)).reverse()) {
    const actions = (call.args.blocks as { type: string; elements?: Button[] }[]).find(
      (b) => b.type === 'actions',
    );
    if (actions?.elements && !closed.has(call.answer?.ts)) return { call, buttons: actions.elements };
  }
  return undefined;
}

test('a whole incident through Slack: root message, thread, cards, approvals, summary', async () => {
  await boot();
  const ack = await post(slashCommand('sim-all-three'));
  expect(ack.status).toBe(200);
  const root = await until(
    'the root message',
    () => slack.of('chat.postMessage', (a) => String(a.text).includes('sim-all-three'))[0],
  );
  expect(root.args.thread_ts).toBeUndefined();
  expect(root.args.channel).toBe('C_OPS');
  const rootTs = await until(
    'the thread',
    () =>
      slack.of('chat.postMessage', (a) => a.thread_ts !== undefined)[0]?.args.thread_ts as string | undefined,
  );

  const summarised = () => slack.of('chat.postMessage', (a) => a.reply_broadcast === 'true').length > 0;
  for (let i = 0; i < 20; i++) {
    // Messages go out after the click is acked: wait for the next card, or the summary.
    const next = await until(
      'a card or the summary',
      () => openCard() ?? (summarised() ? 'done' : undefined),
    );
    if (next === 'done') break;
    const card = next;
    const button =
      card.buttons.find((b) => b.action_id === 'rdpfix_approve') ??
      card.buttons.find((b) => b.action_id.startsWith('rdpfix_answer'))!;
    const before = slack.calls.length;
    const click = await post(buttonClick(button.action_id, button.value));
    expect(click.status).toBe(200);
    await until('the card to change', () =>
      slack.calls.slice(before).some((c) => c.method === 'chat.update') ? true : undefined,
    );
  }
  const summary = await until(
    'the summary',
    () => slack.of('chat.postMessage', (a) => a.reply_broadcast === 'true')[0],
  );
  expect(summary.args.text).toContain('Resolved.');
  expect(summary.args.text).toContain('/incidents/');
  // Everything after the root message is in its thread.
  for (const call of slack.of('chat.postMessage').slice(1)) expect(call.args.thread_ts).toBe(rootTs);
  // Cards were updated to say who approved and when, with the buttons gone.
  // (Progress lines are updated too, as verbatim text blocks: only the cards' updates here.)
  const cardTs = new Set(
    slack
      .of('chat.postMessage', (a) => JSON.stringify(a.blocks ?? '').includes('"actions"'))
      .map((c) => c.answer?.ts),
  );
  const updates = slack.of('chat.update', (a) => Array.isArray(a.blocks) && cardTs.has(a.ts as string));
  expect(updates.length).toBeGreaterThanOrEqual(8);
  for (const u of updates) {
    const blocks = u.args.blocks as { type: string; elements?: { text?: string }[] }[];
    expect(blocks.some((b) => b.type === 'actions')).toBe(false);
    expect(JSON.stringify(blocks)).toMatch(/Approved by bob at|bob answered/);
  }
  // The restart card asked for confirmation.
  const restart = slack.of('chat.postMessage', (a) =>
    JSON.stringify(a.blocks ?? '').includes('Restart the VM'),
  )[0];
  expect(JSON.stringify(restart?.args.blocks)).toContain('"confirm"');
  // Progress was one message per step, updated in place.
  expect(
    slack.of('chat.update', (a) => String(a.text).startsWith('"Diagnose the VM (read-only)" succeeded')),
  ).toHaveLength(1);
  const runCommands = server.runtime.simulator!.scriptDispatches();
  expect(runCommands.map((r) => r.text.split('\n')[0])).toEqual([
    '# rdp-fix-step: diagnose',
    '# rdp-fix-step: renew-rdp-certificate',
    '# rdp-fix-step: reset-machinekeys-acl',
    '# rdp-fix-step: enable-tls',
    '# rdp-fix-step: verify',
  ]);
});

test('bad signature and stale timestamp get 401 and start nothing', async () => {
  await boot();
  const body = slashCommand('sim-all-three');
  expect((await post(body, signed(body, undefined, 'wrong-secret'))).status).toBe(401);
  expect((await post(body, signed(body, Math.floor(Date.now() / 1000) - 6 * 60))).status).toBe(401);
  const tampered = slashCommand('sim-healthy');
  expect((await post(tampered, signed(body))).status).toBe(401);
  await new Promise((r) => setTimeout(r, 100));
  expect(slack.of('chat.postMessage')).toHaveLength(0);
  expect(await server.runtime.store.list()).toHaveLength(0);
});

test('retried and double-clicked approvals dispatch once; an unauthorised click is refused privately', async () => {
  await boot();
  await post(slashCommand('sim-healthy'));
  const card = await until('the diagnose card', () => openCard());
  const approve = card.buttons.find((b) => b.action_id === 'rdpfix_approve')!;

  const refused = await post(
    buttonClick(approve.action_id, approve.value, { id: 'U_MALLORY', name: 'mallory' }),
  );
  expect(refused.status).toBe(200);
  const ephemeral = await until(
    'the refusal',
    () => slack.of('chat.postEphemeral', (a) => a.user === 'U_MALLORY')[0],
  );
  expect(ephemeral.args.text).toBe('You are not on the approver list for rdp-fix steps.');

  const body = buttonClick(approve.action_id, approve.value);
  const carol = buttonClick(approve.action_id, approve.value, { id: 'U_CAROL', name: 'carol' });
  const clicks = await Promise.all([
    post(body),
    post(body, { ...signed(body), 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' }),
    post(body),
    post(carol),
  ]);
  expect(clicks.every((c) => c.status === 200)).toBe(true);
  await until('the question card', () =>
    openCard()?.buttons.some((b) => b.action_id.startsWith('rdpfix_answer')) ? true : undefined,
  );
  const posts = server.runtime.simulator!.scriptDispatches();
  expect(posts).toHaveLength(1);
  const losers = slack.of(
    'chat.postEphemeral',
    (a) =>
      String(a.text).startsWith('Already approved by') || String(a.text).includes('is not the step waiting'),
  );
  // Each loser is told once: bob's two extra clicks on the same card within seconds get one
  // answer (issue 17 item 5: a refusal is said at most once per few seconds), carol's one.
  expect(losers.map((l) => l.args.user).sort()).toEqual(['U_BOB', 'U_CAROL']);
});

test('hostile VM names get a clear ephemeral error and start nothing', async () => {
  await boot();
  for (const text of ['vm;rm -rf /', '$(whoami)', 'x'.repeat(10_000), 'ünïcødé-vm', '<@U_BOB>']) {
    const res = await post(slashCommand(text));
    expect(res.status).toBe(200);
    const body = JSON.parse(res.text) as { response_type: string; text: string };
    expect(body.response_type).toBe('ephemeral');
    expect(body.text).toMatch(/not a valid Azure VM name|too long/);
    expect(body.text).not.toContain('<@U_BOB>');
  }
  const unknown = await post(slashCommand('vm-nowhere'));
  expect(unknown.status).toBe(200);
  const told = await until(
    'not found',
    () => slack.of('chat.postEphemeral', (a) => String(a.text).includes('No VM named vm-nowhere'))[0],
  );
  expect(told.args.user).toBe('U_ALICE');
  expect(await server.runtime.store.list()).toHaveLength(0);
});

test('help, status and a forged button value', async () => {
  await boot();
  const help = JSON.parse((await post(slashCommand('help'))).text) as { text: string };
  expect(help.text).toContain('/rdp-fix <vm> [--rg <group>]');
  await post(slashCommand('sim-healthy'));
  await until('a card', () => openCard());
  await post(slashCommand('status'));
  const status = await until(
    'status',
    () => slack.of('chat.postEphemeral', (a) => String(a.text).includes('rg-sim/sim-healthy'))[0],
  );
  expect(status.args.text).toContain('diagnose.awaiting');
  await post(buttonClick('rdpfix_approve', '{"i":"../../etc","s":1}'));
  await until(
    'forged refusal',
    () => slack.of('chat.postEphemeral', (a) => String(a.text).includes('not one rdp-fix made'))[0],
  );
});

test("the user's Slack locale picks Italian", async () => {
  await boot();
  slack.locales.set('U_ALICE', 'it-IT');
  await post(slashCommand('sim-healthy'));
  const card = await until('a card', () => openCard());
  expect(JSON.stringify(card.call.args.blocks)).toContain('Diagnosi della VM (sola lettura)');
  expect(card.buttons.map((b) => b.text.text)).toContain('Approva');
});

test('Slack answering 429 with Retry-After: the message is delivered later, nothing lost', async () => {
  await boot();
  slack.throttle.set('chat.postMessage', 1);
  await post(slashCommand('sim-healthy'));
  const posted = await until('the retried root message', () => {
    const tries = slack.of('chat.postMessage', (a) => String(a.text).includes('sim-healthy'));
    return tries.length >= 2 ? tries : undefined;
  });
  expect(posted[1]!.at - posted[0]!.at).toBeGreaterThanOrEqual(900);
  await until('the card after it', () => openCard());
});

test('Slack failing with 5xx for a while: messages wait in the outbox and go out later, in order, once', async () => {
  await boot();
  // More failures than the Web API client retries by itself: the outbox has to try again later.
  slack.failures.set('chat.postMessage', 8);
  const ack = await post(slashCommand('sim-healthy'));
  expect(ack.status).toBe(200);
  const card = await until('the card, once Slack is back', () => openCard(), 20_000);
  // Every message carries blocks now (verbatim text, escape-slack.ts): the root and the thread.
  const delivered = slack.of('chat.postMessage').filter((c) => c.answer);
  const texts = delivered.map((c) => String(c.args.text));
  // Root message, VM check notice, then the card: in the order they were written, none twice.
  expect(texts[0]).toContain('sim-healthy');
  expect(texts.indexOf(String(card.call.args.text))).toBeGreaterThan(
    texts.findIndex((t) => t.includes('Ready')),
  );
  expect(new Set(texts).size).toBe(texts.length);
  expect(slack.failures.get('chat.postMessage')).toBe(0);
  // Delivered messages are marked sent together when the delivery round ends.
  await until('the outbox empty', async () =>
    (await server.runtime.store.outboxDepth()) === 0 ? true : undefined,
  );
});

test('the database gone from under the server: the person is told, not left waiting', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rdpfix-slack-db-'));
  try {
    await boot({ DATABASE_URL: `sqlite:${join(dir, 'rdp-fix.db')}` });
    await server.runtime.store.close();
    const ack = await post(slashCommand('sim-healthy'));
    expect(ack.status).toBe(200);
    const told = await until(
      'the ephemeral',
      () => slack.of('chat.postEphemeral', (a) => String(a.text).includes('could not do that'))[0],
    );
    expect(told.args.user).toBe('U_ALICE');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('transcript uploads the Markdown through the external upload flow; cancel aborts', async () => {
  await boot();
  await post(slashCommand('sim-healthy'));
  await until('a card', () => openCard());
  const [incident] = await server.runtime.store.list();
  await post(slashCommand(`transcript ${incident!.id}`));
  await until('the upload', () => slack.of('files.completeUploadExternal')[0]);
  expect(slack.of('files.getUploadURLExternal')[0]?.args.filename).toBe(`rdp-fix-${incident!.id}.md`);
  expect(slack.uploads.join('')).toContain(`# Incident ${incident!.id}`);
  const thread = (await server.runtime.store.get(incident!.id))?.channel.thread;
  expect(thread).toBeDefined();
  expect(slack.of('files.completeUploadExternal')[0]?.args.thread_ts).toBe(thread);

  await post(slashCommand(`cancel ${incident!.id}`, { id: 'U_MALLORY', name: 'mallory' }));
  await until('refusal', () => slack.of('chat.postEphemeral', (a) => a.user === 'U_MALLORY')[0]);
  await post(slashCommand(`cancel ${incident!.id}`));
  await until(
    'the summary',
    () => slack.of('chat.postMessage', (a) => String(a.text).startsWith('*Aborted.*'))[0],
  );
  expect((await server.runtime.store.get(incident!.id))?.outcome).toBe('aborted');
});

test('the manifest declares the slash command, interactivity and only the scopes used', () => {
  const manifest = parse(readFileSync(`${__dirname}/../../../deploy/slack/manifest.yaml`, 'utf8'));
  expect(manifest.features.slash_commands[0].command).toBe('/rdp-fix');
  expect(manifest.features.slash_commands[0].url).toMatch(/\/slack\/events$/);
  expect(manifest.settings.interactivity.request_url).toMatch(/\/slack\/events$/);
  expect(manifest.oauth_config.scopes.bot.sort()).toEqual([
    // conversations.replies in channels and private channels: the outbox's re-send check.
    'channels:history',
    'chat:write',
    'commands',
    'files:write',
    'groups:history',
    'users:read',
  ]);
});

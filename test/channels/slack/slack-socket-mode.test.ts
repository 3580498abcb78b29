import { loadConfig } from '../../../src/config';
import { silentLogger } from '../../../src/core/logger';
import { type RunningServer, startServer } from '../../../src/server';
import { LocalTestEnv } from '../../helpers/local-env';
import { until } from '../../helpers/until';
import { FakeSlack, type SlackCall } from '../../support/slack/fake-slack-api';
import { FakeSocketMode } from '../../support/slack/fake-socket-mode';
import {
  blockActionsPayload,
  SigningSecret,
  signed,
  slashCommand,
  slashCommandFields,
} from '../../support/slack/slack-requests';

/**
 * Socket Mode end to end: the real server with Bolt's SocketModeReceiver (SLACK_APP_TOKEN set)
 * connects out to a loopback fake of Slack: `apps.connections.open` on the fake Web API hands
 * out a one-time WebSocket link, and the fake Socket Mode endpoint sends `hello`, the slash
 * command and the clicks as envelopes, records the acks, and recycles the connection as Slack
 * does. The engine, the real Azure SDK and the in-process simulator run behind it.
 */
let slack: FakeSlack;
let socket: FakeSocketMode;
let server: RunningServer | undefined;

const AppToken = 'xapp-1-A1-1-socket-mode-test';
const BotToken = 'xoxb-test-token';

async function boot(): Promise<RunningServer> {
  slack = new FakeSlack();
  socket = new FakeSocketMode();
  await socket.start();
  slack.socketMode = socket;
  const apiUrl = await slack.start();
  server = await startServer(
    loadConfig({
      ...LocalTestEnv,
      RDPFIX_APPROVERS: 'U_BOB,U_CAROL',
      SLACK_SIGNING_SECRET: SigningSecret,
      SLACK_BOT_TOKEN: BotToken,
      SLACK_APP_TOKEN: AppToken,
      SLACK_API_URL: apiUrl,
    }),
    silentLogger,
  );
  return server;
}

afterEach(async () => {
  // The server stops the Socket Mode client (and its reconnect timer) before the fakes go.
  await server?.close();
  server = undefined;
  await socket?.stop();
  await slack?.stop();
});

type Button = { action_id: string; value: string };
type Card = { call: SlackCall; ts: string; blockId: string; buttons: Button[] };

/** The newest card whose buttons are still there (no chat.update replaced it). */
function openCard(): Card | undefined {
  const closed = new Set(slack.of('chat.update').map((c) => c.args.ts));
  for (const call of slack.of('chat.postMessage', (a) => Array.isArray(a.blocks)).reverse()) {
    const ts = String(call.answer?.ts ?? '');
    const actions = (call.args.blocks as { type: string; block_id?: string; elements?: Button[] }[]).find(
      (b) => b.type === 'actions',
    );
    if (actions?.elements && ts && !closed.has(ts))
      return { call, ts, blockId: actions.block_id ?? '', buttons: actions.elements };
  }
  return undefined;
}

/**
 * A click on a card's button as a Socket Mode `interactive` envelope: the same `block_actions`
 * payload as over HTTP (Slack's block_actions reference), here an object, not a form field,
 * with the message as the app posted it through the Web API.
 */
function click(card: Card, actionId: string, user = { id: 'U_BOB', name: 'bob' }): string {
  const button = card.buttons.find((b) => b.action_id === actionId);
  if (!button) throw new Error(`no ${actionId} on the card`);
  const payload = blockActionsPayload(actionId, button.value, user, 'C_OPS', card.ts);
  const [action] = payload.actions as Record<string, unknown>[];
  return socket.send('interactive', {
    ...payload,
    message: {
      type: 'message',
      bot_id: 'B1',
      user: 'UBOT',
      ts: card.ts,
      text: card.call.args.text,
      blocks: card.call.args.blocks,
    },
    actions: [{ ...action, block_id: card.blockId }],
  });
}

/** Waits until a card was updated to say bob approved it (its buttons gone). */
const closedByBob = (card: Card) =>
  until(
    `card ${card.ts} closed`,
    () =>
      slack.of(
        'chat.update',
        (a) => a.ts === card.ts && JSON.stringify(a.blocks).includes('Approved by bob'),
      )[0],
  );

const ackOf = (envelopeId: string) =>
  until(`the ack of ${envelopeId}`, () => socket.acks.find((a) => a.envelope_id === envelopeId));

/** Requests that change something on the (simulated) Azure side: Run Commands, snapshots, … */
const azureChanges = () => server!.runtime.simulator!.requests.filter((r) => r.method !== 'GET');

/** Requests to the simulator that carried this playbook step's script (whatever the Run Command flavour). */
const scriptSent = (stepId: string) =>
  server!.runtime.simulator!.requests.filter((r) =>
    JSON.stringify(r.body ?? null).includes(`# rdp-fix-step: ${stepId}`),
  );

test('an incident through Socket Mode: acks, diagnosis, then a recycled connection and the next click', async () => {
  const running = await boot();
  // Started means connected: apps.connections.open with the app-level token, then `hello`.
  const opens = slack.of('apps.connections.open');
  expect(opens).toHaveLength(1);
  expect(opens[0]?.token).toBe(AppToken);
  expect(socket.connections).toHaveLength(1);
  // No HTTP endpoint for Slack in Socket Mode: a signed request to /slack/events is not served.
  const body = slashCommand('sim-all-three');
  const http = await fetch(`${running.url}/slack/events`, { method: 'POST', headers: signed(body), body });
  expect(http.status).toBe(404);

  // The slash command, acked with an empty payload (the work happens after the ack).
  const command = socket.send('slash_commands', slashCommandFields('sim-all-three'));
  const commandAck = await ackOf(command);
  expect(commandAck).toEqual({ envelope_id: command, payload: {}, connection: 0 });
  const root = await until(
    'the root message',
    () => slack.of('chat.postMessage', (a) => String(a.text).includes('sim-all-three'))[0],
  );
  expect(root.args.channel).toBe('C_OPS');
  expect(root.token).toBe(BotToken);

  // Approve the diagnosis: acked, the script runs on the simulated VM, the results are posted.
  const diagnose = await until('the diagnose card', () => openCard());
  expect(diagnose.blockId).toMatch(/^rdpfix_diagnose_/);
  const approval = click(diagnose, 'rdpfix_approve');
  expect(await ackOf(approval)).toEqual({ envelope_id: approval, payload: {}, connection: 0 });
  await closedByBob(diagnose);
  await until(
    'the diagnosis result',
    () =>
      slack.of('chat.update', (a) => String(a.text).startsWith('"Diagnose the VM (read-only)" succeeded'))[0],
  );
  expect(scriptSent('diagnose')).toHaveLength(1);
  const next = await until('the next card', () => {
    const card = openCard();
    return card && card.ts !== diagnose.ts ? card : undefined;
  });
  expect(next.blockId).not.toMatch(/^rdpfix_diagnose_/);

  // Slack recycles the connection: `disconnect`, then the socket closes. The app fetches a
  // new link (the old ticket would be refused) and reconnects.
  socket.disconnect('refresh_requested');
  await until('a new connection', () => (socket.current()?.ticket === 't2' ? true : undefined), 20_000);
  expect(slack.of('apps.connections.open')).toHaveLength(2);
  expect(socket.connections[0]?.closed).toBeDefined();

  // The next click arrives on the new connection and still works: acked there, the card
  // says who approved, and the approved step reaches Azure (the simulator).
  const changesBefore = azureChanges().length;
  const second = click(next, 'rdpfix_approve');
  expect(await ackOf(second)).toEqual({ envelope_id: second, payload: {}, connection: 1 });
  await closedByBob(next);
  await until('the approved step sent to Azure', () =>
    azureChanges().length > changesBefore ? true : undefined,
  );
  // Each envelope acked once, each on the connection it came on.
  expect(socket.acks.map((a) => a.envelope_id)).toEqual([command, approval, second]);

  // Closing the server closes the connection from the app's side and does not reconnect.
  await running.close();
  server = undefined;
  await until('the socket closed', () => socket.connections[1]?.closed);
  expect(socket.connections[1]?.closed?.code).toBe(1000);
  expect(slack.of('apps.connections.open')).toHaveLength(2);
});

test('help is answered in the ack itself over Socket Mode', async () => {
  await boot();
  const help = socket.send('slash_commands', slashCommandFields('help'));
  const ack = await ackOf(help);
  expect(ack.payload).toMatchObject({ response_type: 'ephemeral' });
  expect(String(ack.payload?.text)).toContain('/rdp-fix <vm> [--rg <group>]');
});

test("Slack's API failing while the app reconnects: it keeps asking for a link, then reconnects", async () => {
  await boot();
  // More failures than the chat messages' Web API client retries (2): the Socket Mode
  // client must not give up, or the app would stay deaf to Slack while looking healthy.
  slack.failures.set('apps.connections.open', 3);
  socket.disconnect('warning');
  await until('a new connection', () => (socket.current()?.ticket === 't2' ? true : undefined), 25_000);
  expect(slack.of('apps.connections.open')).toHaveLength(5);
  const command = socket.send('slash_commands', slashCommandFields('sim-healthy'));
  await ackOf(command);
  await until('the diagnose card', () => openCard());
}, 40_000);

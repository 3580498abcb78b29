import { loadConfig } from '../../../src/config';
import { silentLogger } from '../../../src/core/logger';
import { type RunningServer, startServer } from '../../../src/server';
import { LocalTestEnv } from '../../helpers/local-env';
import { until } from '../../helpers/until';
import { FakeSlack } from '../../support/slack/fake-slack-api';
import { buttonClick, SigningSecret, signed, slashCommand } from '../../support/slack/slack-requests';

/**
 * A server told to stop while the reply to an acked command is still on its way to Slack
 * waits for that reply (up to RDPFIX_SHUTDOWN_GRACE_SECONDS) instead of ending under it: the
 * person gets their answer, and no Web API retry is left running in a stopped server.
 */
let slack: FakeSlack;
let server: RunningServer | undefined;

afterEach(async () => {
  slack.releaseHeld();
  await server?.close();
  await slack.stop();
});

async function start(graceSeconds: string): Promise<RunningServer> {
  slack = new FakeSlack();
  const apiUrl = await slack.start();
  return startServer(
    loadConfig({
      ...LocalTestEnv,
      SLACK_SIGNING_SECRET: SigningSecret,
      SLACK_BOT_TOKEN: 'xoxb-test-token',
      SLACK_API_URL: apiUrl,
      RDPFIX_SHUTDOWN_GRACE_SECONDS: graceSeconds,
      RDPFIX_APPROVERS: 'U_BOB',
    }),
    silentLogger,
  );
}

/** Sends a signed request to /slack/events and returns once Slack holds its (ephemeral) reply. */
async function requestWithHeldReply(running: RunningServer, body: string) {
  slack.holdAnswer = (method) => method === 'chat.postEphemeral';
  const res = await fetch(`${running.url}/slack/events`, { method: 'POST', headers: signed(body), body });
  expect(res.status).toBe(200);
  await until('the reply reached Slack', () => slack.held.at(0));
}

/**
 * Stops the server while Slack holds the reply, answers it only after a pause in which a close
 * that did not wait would have ended, and returns what happened first.
 */
async function closeThenAnswer(running: RunningServer): Promise<string[]> {
  const order: string[] = [];
  const closing = running.close().then(() => order.push('closed'));
  await Promise.race([closing, new Promise((resolve) => setTimeout(resolve, 2_000))]);
  order.push('answered');
  slack.releaseHeld();
  await closing;
  return order;
}

test('stopping waits for the reply to an acked command, then ends', async () => {
  server = await start('20');
  // A VM nobody has: the answer is a reply to the person, sent after the ack.
  await requestWithHeldReply(server, slashCommand('no-such-vm'));
  const running = server;
  server = undefined;
  expect(await closeThenAnswer(running)).toEqual(['answered', 'closed']);
  expect(slack.held.map((c) => c.args.text)).toEqual([expect.stringContaining('no-such-vm')]);
});

test('the reply to a click is waited for the same way', async () => {
  server = await start('20');
  // A button of an incident this server does not have: the answer is a reply to the person
  // who pressed it, after the ack (not a message of the engine's, which close() waited for before).
  const click = buttonClick('rdpfix_approve', '{"i":"0000nosuch0000","s":"diagnose","a":1}', {
    id: 'U_BOB',
    name: 'bob',
  });
  await requestWithHeldReply(server, click);
  const running = server;
  server = undefined;
  expect(await closeThenAnswer(running)).toEqual(['answered', 'closed']);
  expect(slack.held.map((c) => c.args.user)).toEqual(['U_BOB']);
});

test('the wait is bounded by the grace: a reply Slack never answers does not hold the stop', async () => {
  server = await start('0.2');
  await requestWithHeldReply(server, slashCommand('no-such-vm'));
  // It waits for the reply, then gives up at the grace (unbounded, the test would time out).
  const started = performance.now();
  await server.close();
  server = undefined;
  expect(performance.now() - started).toBeGreaterThanOrEqual(150);
  expect(slack.held).toHaveLength(1);
});

import { loadConfig } from '../../src/config';
import { silentLogger } from '../../src/core/logger';
import { type RunningServer, startServer } from '../../src/server';
import { LocalTestEnv } from '../helpers/local-env';
import { until } from '../helpers/until';
import { FakeSlack } from '../support/slack/fake-slack-api';
import { SigningSecret, signed, slashCommand } from '../support/slack/slack-requests';

/**
 * Issue 17, item 8: a correctly signed Slack request whose timestamp is in the future. Bolt
 * 5.1 refuses only stale ones; the server refuses both sides of Slack's five minutes.
 */
let slack: FakeSlack;
let server: RunningServer;
beforeAll(async () => {
  slack = new FakeSlack();
  const apiUrl = await slack.start();
  server = await startServer(
    loadConfig({
      ...LocalTestEnv,
      SLACK_SIGNING_SECRET: SigningSecret,
      SLACK_BOT_TOKEN: 'xoxb-test-token',
      SLACK_API_URL: apiUrl,
      RDPFIX_APPROVERS: 'U_BOB',
    }),
    silentLogger,
  );
});
afterAll(async () => {
  await server?.close();
  await slack?.stop();
});

const send = (body: string, timestamp: number) =>
  fetch(`${server.url}/slack/events`, { method: 'POST', headers: signed(body, timestamp), body });
const now = () => Math.floor(Date.now() / 1000);

test('a signed slash command dated ten minutes ahead is refused (401) and opens nothing', async () => {
  const res = await send(slashCommand('sim-healthy'), now() + 600);
  expect(res.status).toBe(401);
  expect(await server.runtime.store.list()).toHaveLength(0);
  // As stale ones are (Bolt's own check).
  expect((await send(slashCommand('sim-healthy'), now() - 600)).status).toBe(401);
  expect(await server.runtime.store.list()).toHaveLength(0);
});

test('within five minutes either way (clock skew) a signed request is served', async () => {
  const res = await send(slashCommand('sim-healthy'), now() + 120);
  expect(res.status).toBe(200);
  // Bolt acks first; the incident opens just after.
  await until('the incident', async () =>
    (await server.runtime.store.list()).length === 1 ? true : undefined,
  );
});

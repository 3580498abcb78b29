import { networkInterfaces } from 'node:os';
import { loadConfig } from '../../src/config';
import { type RunningServer, startServer } from '../../src/server';
import { ArmSimulator } from '../../src/simulator/arm-simulator';
import { LocalTestEnv } from '../helpers/local-env';
import { until } from '../helpers/until';
import { channelMessage, FakeBotConnector } from '../support/teams/fake-bot-connector';
import { capturedLogger, postActivity } from '../support/teams/teams-wire';

/**
 * Issue 17 items 1 and 2 over the wire: replies (with the bot's token once a client id is set)
 * go only to Microsoft's Bot Connector hosts, the hosts of RDPFIX_TEAMS_SERVICE_HOSTS, and in
 * local mode loopback; and /api/messages is unauthenticated only in local mode or with
 * RDPFIX_TEAMS_ANONYMOUS=true. Before the fix, any serviceUrl was stored and written to, and a
 * loopback run against Azure served Teams unauthenticated. "Azure mode" here is the real
 * Azure SDK against the loopback ARM simulator (AZURE_SUBSCRIPTION_ID + AZURE_ARM_ENDPOINT).
 */
let connector: FakeBotConnector;
let attacker: FakeBotConnector;
let server: RunningServer | undefined;
let arm: ArmSimulator | undefined;
beforeEach(async () => {
  connector = new FakeBotConnector();
  await connector.start();
  attacker = new FakeBotConnector();
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  await arm?.close();
  arm = undefined;
  await connector.stop();
  await attacker.stop();
});

/** This machine's address on its network, if it has one: an endpoint that is not loopback. */
const lanAddress = Object.values(networkInterfaces())
  .flat()
  .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;

async function azureMode(extra: Record<string, string>) {
  arm = new ArmSimulator({ subscriptionId: '00000000-0000-0000-0000-0000000000a1', latencyScale: 0 });
  const armUrl = await arm.listen();
  return loadConfig({
    ...LocalTestEnv,
    AZURE_SUBSCRIPTION_ID: '00000000-0000-0000-0000-0000000000a1',
    AZURE_ARM_ENDPOINT: armUrl,
    RDPFIX_APPROVERS: 'U_BOB',
    RDPFIX_TEAMS_APPROVERS: 'aad-bob',
    ...extra,
  });
}

test('local mode: a serviceUrl off loopback and off Microsoft is refused before anything is stored', async () => {
  const { logger, lines } = capturedLogger();
  server = await startServer(loadConfig({ ...LocalTestEnv, RDPFIX_TEAMS_APPROVERS: 'aad-bob' }), logger);
  const hostile = [
    // Anyone can own a subdomain of these (the SDK's own default list admits them).
    'https://attacker.blob.core.windows.net/',
    'https://attacker.sharepoint.com/',
    'https://smba.trafficmanager.net.attacker.example/amer/',
    'http://smba.trafficmanager.net/amer/',
    'https://user:pass@smba.trafficmanager.net/amer/',
    'not a url',
  ];
  if (lanAddress) hostile.push(await attacker.start(lanAddress));
  for (const serviceUrl of hostile) {
    const res = await postActivity(server.url, channelMessage(serviceUrl, 'rdp-fix sim-healthy'));
    expect({ serviceUrl, status: res.status }).toEqual({ serviceUrl, status: 400 });
    expect(String(res.body?.error)).toMatch(/^refused: /);
  }
  expect(await server.runtime.store.list()).toHaveLength(0);
  expect(await server.runtime.store.outboxDepth()).toBe(0);
  expect(attacker.calls).toHaveLength(0);
  expect(lines.filter((l) => l.includes('teams activity refused'))).toHaveLength(hostile.length);
  // The loopback fake Bot Connector of local mode still works.
  await postActivity(server.url, channelMessage(connector.url, 'rdp-fix sim-healthy'));
  await until('the reply', () => (connector.calls.length ? true : undefined));
});

test('Azure mode on loopback without a client id: /api/messages is not served', async () => {
  const { logger, lines } = capturedLogger();
  server = await startServer(await azureMode({}), logger);
  const res = await postActivity(server.url, channelMessage(connector.url, 'rdp-fix sim-healthy'));
  expect(res.status).toBe(404);
  expect(await server.runtime.store.list()).toHaveLength(0);
  expect(connector.calls).toHaveLength(0);
  expect(lines.some((l) => l.includes('teams off') && l.includes('AZURE_SUBSCRIPTION_ID'))).toBe(true);
});

test('RDPFIX_TEAMS_ANONYMOUS=true in Azure mode: warned at start; replies only to RDPFIX_TEAMS_SERVICE_HOSTS', async () => {
  const { logger, lines } = capturedLogger();
  const other = '127.0.0.2';
  server = await startServer(
    await azureMode({ RDPFIX_TEAMS_ANONYMOUS: 'true', RDPFIX_TEAMS_SERVICE_HOSTS: '127.0.0.1' }),
    logger,
  );
  expect(lines.some((l) => l.includes('"level":"warn"') && l.includes('RDPFIX_TEAMS_ANONYMOUS'))).toBe(true);
  // Another loopback address is not in the list: outside local mode loopback is not implied.
  const attackerUrl = await attacker.start(other);
  const refused = await postActivity(server.url, channelMessage(attackerUrl, 'rdp-fix sim-healthy'));
  expect(refused.status).toBe(400);
  expect(await server.runtime.store.list()).toHaveLength(0);
  const taken = await postActivity(server.url, channelMessage(connector.url, 'rdp-fix sim-healthy'));
  expect(taken.status).toBeLessThan(300);
  await until('the reply to the listed host', () => (connector.calls.length ? true : undefined));
  expect(attacker.calls).toHaveLength(0);
});

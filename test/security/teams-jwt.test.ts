import { Writable } from 'node:stream';
import { loadConfig } from '../../src/config';
import { pinoLogger } from '../../src/observability/pino-logger';
import { type RunningServer, startServer } from '../../src/server';
import { LocalTestEnv } from '../helpers/local-env';
import { channelMessage, FakeBotConnector } from '../support/teams/fake-bot-connector';
import { LoopbackEntra, strangerKey } from '../support/teams/loopback-entra';

/**
 * Issue 17 item 1, real JWT validation: the real server with a client id and tenant, the Agents
 * SDK's own middleware checking RS256 tokens whose keys it fetches from the configured
 * authority (a loopback stand-in, `authorityEndpoint`). Before the fix issuer validation was
 * off (any issuer the key endpoint signs for passed) and the authority could not be set.
 *
 * What a loopback authority cannot show: the SDK then gets the bot's own token for its replies
 * from the same authority through MSAL, which refuses a plain-http authority
 * (@azure/msal-common src/url/UrlString.ts 96-101, `authority_uri_insecure`). So an accepted
 * token is seen as "past authentication, stopped at the reply token" (a 500 the server
 * survives), not as a reply; the identity checks after it are covered unauthenticated in
 * teams-identity.test.ts.
 */
const ClientId = '5f0c3a1e-7d2b-4c9a-8e61-0b7f2d9c4a13';
let entra: LoopbackEntra;
let connector: FakeBotConnector;
let server: RunningServer;
const lines: string[] = [];

beforeAll(async () => {
  entra = new LoopbackEntra();
  await entra.start();
  connector = new FakeBotConnector();
  await connector.start();
  const logger = pinoLogger(
    new Writable({
      write(chunk, _e, done) {
        lines.push(String(chunk));
        done();
      },
    }) as never,
  );
  server = await startServer(
    loadConfig({
      ...LocalTestEnv,
      RDPFIX_TEAMS_APPROVERS: 'aad-bob',
      clientId: ClientId,
      clientSecret: 'loopback-secret-value',
      tenantId: entra.tenant,
      authorityEndpoint: entra.authority,
    }),
    logger,
  );
});
afterAll(async () => {
  await server?.close();
  await connector.stop();
  await entra.stop();
});

const now = () => Math.floor(Date.now() / 1000);
const claims = (extra: Record<string, unknown> = {}) => ({
  iss: entra.issuer(),
  aud: ClientId,
  iat: now(),
  nbf: now(),
  exp: now() + 3600,
  tid: entra.tenant,
  ...extra,
});

async function post(token: string) {
  const res = await fetch(`${server.url}/api/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(channelMessage(connector.url, 'rdp-fix sim-healthy')),
  });
  return { status: res.status, body: await res.text() };
}

test('tokens for another audience, from another issuer, expired or not signed by the authority are 401', async () => {
  const refused = {
    'another audience': entra.sign(claims({ aud: 'another-app-id' })),
    'another tenant of the same authority': entra.sign(
      claims({
        iss: entra.issuer('0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e'),
        tid: '0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e',
      }),
    ),
    'an issuer that is no Entra or Bot Framework issuer': entra.sign(
      claims({ iss: 'https://issuer.attacker.example/' }),
    ),
    'expired an hour ago (past the SDK’s 5 minutes of tolerance)': entra.sign(
      claims({ iat: now() - 7200, nbf: now() - 7200, exp: now() - 3600 }),
    ),
    'signed by another key under the same kid': entra.sign(claims(), strangerKey()),
  };
  for (const [why, token] of Object.entries(refused)) {
    const res = await post(token);
    expect({ why, status: res.status }).toEqual({ why, status: 401 });
  }
  expect(entra.keyRequests).toBeGreaterThan(0);
  expect(await server.runtime.store.list()).toHaveLength(0);
  expect(connector.calls).toHaveLength(0);
});

test('a token of the configured tenant, audience and authority passes authentication', async () => {
  const res = await post(entra.sign(claims()));
  expect(res.status).not.toBe(401);
  // Past the JWT check the SDK asks the authority for the bot's reply token: MSAL refuses http.
  expect(lines.some((l) => l.includes('teams request failed') && l.includes('authority_uri_insecure'))).toBe(
    true,
  );
  // The server answered and is still up (the SDK's middleware does not await its `next`).
  expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
});

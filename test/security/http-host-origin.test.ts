import { loadConfig } from '../../src/config';
import { silentLogger } from '../../src/core/logger';
import { type RunningServer, startServer } from '../../src/server';
import { LocalTestEnv } from '../helpers/local-env';
import { channelMessage } from '../support/teams/fake-bot-connector';
import { rawRequest } from './raw-request';

/**
 * Issue 17, item 2: DNS rebinding and cross-site posts, over the wire against the real server.
 * A rebinding page reaches the server under the attacker's host name; another site's page
 * posts as a form or `text/plain` (no preflight) and names itself in `Origin`.
 */
const servers: RunningServer[] = [];
async function start(env: Record<string, string> = {}): Promise<RunningServer> {
  // Local mode: /api/messages is served unauthenticated on a loopback bind (issue 17, item 2).
  const server = await startServer(loadConfig({ ...LocalTestEnv, ...env }), silentLogger);
  servers.push(server);
  return server;
}
afterAll(async () => {
  for (const s of servers) await s.close();
});

const port = (server: RunningServer) => new URL(server.url).port;

test('a Host that is not ours gets 421 on every endpoint; the names of a loopback bind keep working', async () => {
  const server = await start();
  await rawRequest(`${server.url}/api/playground/command`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ text: '/rdp-fix sim-healthy' }),
  });
  for (const path of ['/api/incidents', '/incidents', '/', '/healthz', '/readyz', '/metrics']) {
    const rebound = await rawRequest(`${server.url}${path}`, {
      headers: { host: `rebind.attacker.example:${port(server)}` },
    });
    expect({ path, status: rebound.status }).toEqual({ path, status: 421 });
    expect(rebound.body).toMatch(/^Misdirected request/);
    expect(rebound.body).not.toContain('sim-healthy');
  }
  const post = await rawRequest(`${server.url}/api/playground/command`, {
    method: 'POST',
    headers: { host: 'rebind.attacker.example', 'content-type': 'application/json' },
    body: JSON.stringify({ text: '/rdp-fix sim-healthy' }),
  });
  expect(post.status).toBe(421);
  expect(await server.runtime.store.list()).toHaveLength(1);
  // What the scripts and people use on a laptop: the bind address, localhost, ::1, with or without the port.
  for (const host of [
    `127.0.0.1:${port(server)}`,
    '127.0.0.1',
    `localhost:${port(server)}`,
    'LOCALHOST',
    `[::1]:${port(server)}`,
  ]) {
    const ok = await rawRequest(`${server.url}/api/incidents`, { headers: { host } });
    expect({ host, status: ok.status }).toEqual({ host, status: 200 });
  }
});

test("RDPFIX_PUBLIC_URL's host is accepted (where Slack and Teams post); on a wildcard bind, IP literals too", async () => {
  const server = await start({
    HOST: '0.0.0.0',
    RDPFIX_WEB_TOKEN: 'correct-horse-battery-staple',
    RDPFIX_PUBLIC_URL: 'https://rdpfix.contoso.example/',
  });
  const local = `http://127.0.0.1:${port(server)}`;
  const at = async (host: string, path = '/healthz') =>
    (await rawRequest(`${local}${path}`, { headers: { host } })).status;
  expect(await at('rdpfix.contoso.example')).toBe(200);
  expect(await at('rdpfix.contoso.example:443')).toBe(200);
  // Container Apps' probes name the replica by its address.
  expect(await at(`10.0.3.7:${port(server)}`, '/readyz')).toBe(200);
  expect(await at('[fd00::7]:3978')).toBe(200);
  expect(await at('rebind.attacker.example')).toBe(421);
  expect(await at('rdpfix.contoso.example.attacker.example')).toBe(421);
});

test('a cross-site post to the playground is refused: text/plain gets 415, a foreign Origin 403', async () => {
  const server = await start();
  const command = JSON.stringify({ text: '/rdp-fix sim-healthy' });
  // What <form enctype="text/plain"> or fetch(…, {mode: 'no-cors'}) from another site sends.
  const plain = await rawRequest(`${server.url}/api/playground/command`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain;charset=UTF-8', origin: 'https://evil.example' },
    body: command,
  });
  expect(plain.status).toBe(415);
  const form = await rawRequest(`${server.url}/api/playground/command`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `${command}=`,
  });
  expect(form.status).toBe(415);
  const foreign = await rawRequest(`${server.url}/api/playground/command`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: 'https://evil.example' },
    body: command,
  });
  expect(foreign.status).toBe(403);
  const sandboxed = await rawRequest(`${server.url}/api/playground/command`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: 'null' },
    body: command,
  });
  expect(sandboxed.status).toBe(403);
  expect(await server.runtime.store.list()).toHaveLength(0);
});

test('/api/messages refuses a text/plain post, which a browser can send cross-site without a preflight', async () => {
  const server = await start();
  const res = await rawRequest(`${server.url}/api/messages`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain', origin: 'https://evil.example' },
    body: JSON.stringify(channelMessage('https://attacker.example/collect/', 'rdp-fix sim-healthy')),
  });
  expect(res.status).toBe(415);
  expect(res.body).toContain('application/json');
  expect(await server.runtime.store.list()).toHaveLength(0);
});

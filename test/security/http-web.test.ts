import { loadConfig } from '../../src/config';
import { silentLogger } from '../../src/core/logger';
import { type RunningServer, startServer } from '../../src/server';
import { LocalTestEnv } from '../helpers/local-env';
import { rawRequest } from './raw-request';

/**
 * Issue 17, items 7/8 on the web pages, over HTTP against the real server: the playground's
 * CSRF token, a CSP without inline script and with frame-ancestors, a malformed token cookie,
 * and the Easy Auth allow-list.
 */
const servers: RunningServer[] = [];
async function start(env: Record<string, string> = {}): Promise<RunningServer> {
  const server = await startServer(loadConfig({ ...LocalTestEnv, ...env }), silentLogger);
  servers.push(server);
  return server;
}
afterAll(async () => {
  for (const s of servers) await s.close();
});

/** The playground page as a browser loads it: its token (in a meta) and its cookie. */
async function openPlayground(server: RunningServer) {
  const page = await rawRequest(`${server.url}/`);
  const token = /<meta name="rdpfix-csrf" content="([^"]+)">/.exec(page.body)?.[1];
  const cookie = String(page.headers['set-cookie'] ?? '').split(';')[0]!;
  return { token: token!, cookie, page };
}

test('a browser post to the playground needs the CSRF token of its page, in a header equal to its cookie', async () => {
  const server = await start();
  const origin = server.url;
  const post = (headers: Record<string, string>) =>
    rawRequest(`${server.url}/api/playground/command`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin, ...headers },
      body: JSON.stringify({ text: '/rdp-fix sim-healthy' }),
    });
  // Same-origin Origin (a page that slipped past the Origin check), but no token: refused.
  expect((await post({})).status).toBe(403);
  const { token, cookie, page } = await openPlayground(server);
  expect(page.headers['set-cookie']).toEqual([
    expect.stringMatching(/^rdpfix_csrf=[^;]+; Path=\/; SameSite=Strict; HttpOnly$/),
  ]);
  expect(cookie).toBe(`rdpfix_csrf=${token}`);
  expect((await post({ cookie })).status).toBe(403);
  expect((await post({ cookie, 'x-rdpfix-csrf': 'forged.token' })).status).toBe(403);
  // A token and cookie that agree but were not signed by this server (a planted cookie).
  expect((await post({ cookie: 'rdpfix_csrf=abc.def', 'x-rdpfix-csrf': 'abc.def' })).status).toBe(403);
  expect(await server.runtime.store.list()).toHaveLength(0);
  const ok = await post({ cookie, 'x-rdpfix-csrf': token });
  expect(ok.status).toBe(200);
  expect(JSON.parse(ok.body)).toEqual({ incidentId: expect.any(String) });
  // A second tab keeps the browser's token instead of invalidating the first one.
  const again = await rawRequest(`${server.url}/`, { headers: { cookie } });
  expect(again.headers['set-cookie']).toBeUndefined();
  expect(again.body).toContain(`content="${token}"`);
});

test('the pages allow no inline script but their own (by hash), and no framing', async () => {
  const server = await start();
  for (const path of ['/', '/incidents', '/dashboard', '/api/incidents']) {
    const res = await rawRequest(`${server.url}${path}`);
    const csp = String(res.headers['content-security-policy']);
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    // Only hashes: the playground's script and the review pages' time script.
    expect(csp).toMatch(/script-src( 'sha256-[A-Za-z0-9+/]+=*'){2}(;|$)/);
    expect(res.headers['x-frame-options']).toBe('DENY');
  }
});

test('a malformed rdpfix_token cookie gets 400 with a message, not 500', async () => {
  const server = await start({ RDPFIX_WEB_TOKEN: 'correct-horse-battery-staple' });
  const res = await rawRequest(`${server.url}/api/incidents`, {
    headers: { cookie: 'rdpfix_token=%E0%A4%A' },
  });
  expect(res.status).toBe(400);
  expect(JSON.parse(res.body)).toEqual({
    error: expect.stringContaining('rdpfix_token cookie is not valid'),
  });
  const ok = await rawRequest(`${server.url}/api/incidents`, {
    headers: { cookie: `other=1; rdpfix_token=${encodeURIComponent('correct-horse-battery-staple')}` },
  });
  expect(ok.status).toBe(200);
});

test('Easy Auth: only the principals of RDPFIX_WEB_ALLOWED_USERS; the setting is required', async () => {
  expect(() => loadConfig({ ...LocalTestEnv, RDPFIX_WEB_AUTH: 'azure' })).toThrow(
    /RDPFIX_WEB_ALLOWED_USERS: required with RDPFIX_WEB_AUTH=azure/,
  );
  const server = await start({
    RDPFIX_WEB_AUTH: 'azure',
    RDPFIX_WEB_ALLOWED_USERS: 'alice@contoso.example, carol@contoso.example',
  });
  const as = async (principal?: string) =>
    (
      await rawRequest(`${server.url}/api/incidents`, {
        headers: principal ? { 'x-ms-client-principal-name': principal } : {},
      })
    ).status;
  expect(await as('mallory@fabrikam.example')).toBe(403);
  expect(await as()).toBe(401);
  expect(await as('')).toBe(401);
  expect(await as('alice@contoso.example')).toBe(200);
  expect(await as('Carol@Contoso.example')).toBe(200);
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { webAccess } from '../../src/channels/web/web-channel';
import { loadConfig } from '../../src/config';
import { silentLogger } from '../../src/core/logger';
import { startServer } from '../../src/server';

const dir = mkdtempSync(join(tmpdir(), 'rdpfix-web-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('a non-loopback address without access control serves no web pages', () => {
  const off = (host: string, extra: Record<string, string> = {}) =>
    webAccess(loadConfig({ HOST: host, ...extra }));
  expect(off('0.0.0.0')).toMatchObject({
    enabled: false,
    reason: expect.stringContaining('set RDPFIX_WEB_TOKEN or RDPFIX_WEB_AUTH=azure'),
  });
  expect(off('10.1.2.3')).toMatchObject({ enabled: false });
  expect(off('127.0.0.1')).toEqual({ enabled: true, check: 'none' });
  expect(off('0.0.0.0', { RDPFIX_WEB_TOKEN: 'a-long-enough-token-123' })).toEqual({
    enabled: true,
    check: 'token',
  });
  expect(
    off('0.0.0.0', { RDPFIX_WEB_AUTH: 'azure', RDPFIX_WEB_ALLOWED_USERS: 'alice@contoso.example' }),
  ).toEqual({ enabled: true, check: 'azure-auth' });
  expect(() => loadConfig({ RDPFIX_WEB_TOKEN: 'short' })).toThrow(
    /RDPFIX_WEB_TOKEN: must be at least 16 characters/,
  );
});

test('with a token: none or a wrong one gets 401, the right one gets the page', async () => {
  const server = await startServer(
    loadConfig({ PORT: '0', DATABASE_URL: 'memory:', RDPFIX_WEB_TOKEN: 'correct-horse-battery-staple' }),
    silentLogger,
  );
  try {
    expect((await fetch(`${server.url}/incidents`)).status).toBe(401);
    expect(
      (
        await fetch(`${server.url}/incidents`, {
          headers: { authorization: 'Bearer wrong-token-wrong-token' },
        })
      ).status,
    ).toBe(401);
    expect(
      (await fetch(`${server.url}/api/incidents`, { headers: { cookie: 'rdpfix_token=wrong' } })).status,
    ).toBe(401);
    const ok = await fetch(`${server.url}/incidents`, {
      headers: { authorization: 'Bearer correct-horse-battery-staple' },
    });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('<h1>Incidents</h1>');
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  } finally {
    await server.close();
  }
});

test('a tampered transcript shows the failed badge', async () => {
  const file = join(dir, 'tamper.db');
  const config = loadConfig({
    PORT: '0',
    DATABASE_URL: `sqlite:${file}`,
    RDPFIX_SIM_LATENCY_SCALE: '0',
    RDPFIX_POLL_INTERVAL_MS: '5',
  });
  let server = await startServer(config, silentLogger);
  const started = await fetch(`${server.url}/api/playground/command`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ text: '/rdp-fix sim-healthy' }),
  });
  const { incidentId } = (await started.json()) as { incidentId: string };
  await server.runtime.engine.idle();
  const verified = await (await fetch(`${server.url}/incidents/${incidentId}`)).text();
  expect(verified).toContain('hash chain verified');
  await server.close();
  const db = new Database(file);
  db.exec('drop trigger transcript_no_update');
  db.prepare("update transcript set actor = 'U_MALLORY' where incident_id = ? and seq = 1").run(incidentId);
  db.close();
  server = await startServer(config, silentLogger);
  const broken = await (await fetch(`${server.url}/incidents/${incidentId}`)).text();
  expect(broken).toContain('hash chain BROKEN at entry 1: content does not match its hash');
  await server.close();
});

test('hostile text on the pages is escaped', async () => {
  const server = await startServer(loadConfig({ PORT: '0', DATABASE_URL: 'memory:' }), silentLogger);
  try {
    const res = await fetch(`${server.url}/incidents?vm=%3Cscript%3Ealert(1)%3C/script%3E`);
    const body = await res.text();
    expect(body).not.toContain('<script>alert(1)</script>');
    expect(body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    const bad = await fetch(`${server.url}/api/playground/action`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"verb":"rm -rf"}',
    });
    expect(bad.status).toBe(400);
  } finally {
    await server.close();
  }
});

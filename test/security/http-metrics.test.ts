import { loadConfig } from '../../src/config';
import { silentLogger } from '../../src/core/logger';
import { type RunningServer, startServer } from '../../src/server';
import { LocalTestEnv } from '../helpers/local-env';

/**
 * Issue 17, item 8: /metrics read every incident on each scrape, so anyone reaching it
 * could make the server walk the whole table at will. Now a scrape reads memory only; and
 * with RDPFIX_METRICS_PORT the metrics leave the main port.
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

test('a scrape reads no incident and no outbox row from the store', async () => {
  const server = await start();
  for (const text of ['/rdp-fix sim-healthy', '/rdp-fix sim-all-three']) {
    await fetch(`${server.url}/api/playground/command`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text }),
    });
  }
  await server.runtime.engine.idle();
  // Watches the real store's reads (the calls go through): nothing is replaced.
  const list = jest.spyOn(server.runtime.store, 'list');
  const outbox = jest.spyOn(server.runtime.store, 'outboxDepth');
  const scrapes: string[] = [];
  for (let i = 0; i < 20; i++) scrapes.push(await (await fetch(`${server.url}/metrics`)).text());
  expect(list).not.toHaveBeenCalled();
  expect(outbox).not.toHaveBeenCalled();
  for (const text of scrapes) expect(text).toMatch(/rdpfix_incidents_opened_total 2/);
  list.mockRestore();
  outbox.mockRestore();
  // /readyz still answers probes (it reads one row to prove the store answers).
  expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
});

test('RDPFIX_METRICS_PORT serves /metrics on its own loopback port, and the main port no longer does', async () => {
  const server = await start({ RDPFIX_METRICS_PORT: '0' });
  expect(server.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  const own = await fetch(`${server.metricsUrl}/metrics`);
  expect(own.status).toBe(200);
  expect(await own.text()).toContain('rdpfix_incidents_opened_total 0');
  expect((await fetch(`${server.url}/metrics`)).status).toBe(404);
  expect((await fetch(`${server.metricsUrl}/incidents`)).status).toBe(404);
  expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
});

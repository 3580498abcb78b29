import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { until } from './helpers/until';
import { ReplicaProcess } from './support/replica-process';

/** `npm start`'s program, as a process: local mode on loopback, health, incidents API, SIGTERM. */
const dir = mkdtempSync(join(tmpdir(), 'rdpfix-server-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('starts in local mode with the simulator, serves the API, stops on SIGTERM', async () => {
  const server = await ReplicaProcess.start('server', {
    DATABASE_URL: `sqlite:${join(dir, 'server.db')}`,
    AZURE_SUBSCRIPTION_ID: '',
  });
  try {
    expect(server.logs()).toContain(
      'local mode: no AZURE_SUBSCRIPTION_ID, so the Azure SDK talks to the built-in ARM simulator',
    );
    // The log reaches this process through a pipe, independently of the health check's
    // answer: the line may come in a moment after /healthz answered.
    const listening = await until('the listening line', () =>
      server
        .logs()
        .split('\n')
        .find((l) => l.includes('"msg":"rdp-fix listening"')),
    );
    expect(listening).toContain(`"url":"${server.url}"`);
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await (await fetch(`${server.url}/healthz`)).json()).toEqual({ ok: true });
    expect(await (await fetch(`${server.url}/api/incidents`)).json()).toEqual({ incidents: [], total: 0 });
    const missing = await fetch(`${server.url}/api/incidents/abcdef123456`);
    expect(missing.status).toBe(404);
    expect(await server.stop()).toBe(0);
    expect(server.logs()).toContain('"msg":"stopping');
  } finally {
    await server.kill();
  }
});

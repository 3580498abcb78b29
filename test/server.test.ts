import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** `npm start`'s program, as a process: local mode on loopback, health, incidents API, SIGTERM. */
const root = join(__dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'rdpfix-server-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('starts in local mode with the simulator, serves the API, stops on SIGTERM', async () => {
  const child = spawn(process.execPath, [join(root, 'dist', 'src', 'main.js')], {
    cwd: root,
    env: {
      ...process.env,
      PORT: '0',
      DATABASE_URL: `sqlite:${join(dir, 'server.db')}`,
      AZURE_SUBSCRIPTION_ID: '',
    },
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start in 15 s:\n${out}`)), 15_000);
    child.stdout.on('data', () => {
      const line = out.split('\n').find((l) => l.includes('"msg":"rdp-fix listening"'));
      const m = line ? /"url":"([^"]+)"/.exec(line) : null;
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
  });
  expect(out).toContain(
    'local mode: no AZURE_SUBSCRIPTION_ID, so the Azure SDK talks to the built-in ARM simulator',
  );
  expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ ok: true });
  expect(await (await fetch(`${url}/api/incidents`)).json()).toEqual({ incidents: [], total: 0 });
  const missing = await fetch(`${url}/api/incidents/abcdef123456`);
  expect(missing.status).toBe(404);
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  child.kill('SIGTERM');
  expect(await exited).toBe(0);
  expect(out).toContain('"msg":"stopping');
});

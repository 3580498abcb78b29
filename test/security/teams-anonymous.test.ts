import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { MainScript } from '../support/replica-process';

/**
 * Issue 17 item 2: RDPFIX_TEAMS_ANONYMOUS=true is for a loopback bind outside production only.
 * `node dist/src/main.js` (what `npm start` runs) with it and NODE_ENV=production, or with a
 * non-loopback HOST, must not start, and must say which settings. Before the fix the setting did
 * not exist and the server started. Needs `npm run build`.
 */
async function start(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  if (!existsSync(MainScript)) throw new Error(`${MainScript} is missing: run npm run build first`);
  const child = spawn(process.execPath, [MainScript], {
    env: { PATH: process.env.PATH ?? '', PORT: '0', DATABASE_URL: 'memory:', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString('utf8');
  });
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve(null);
    }, 15_000);
    child.once('exit', (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  return { code, stderr };
}

test('RDPFIX_TEAMS_ANONYMOUS=true with NODE_ENV=production: the server refuses to start and names both', async () => {
  const run = await start({ RDPFIX_TEAMS_ANONYMOUS: 'true', NODE_ENV: 'production', HOST: '127.0.0.1' });
  expect(run.code).toBe(1);
  expect(run.stderr).toMatch(/RDPFIX_TEAMS_ANONYMOUS: true is refused with NODE_ENV=production/);
});

test('RDPFIX_TEAMS_ANONYMOUS=true on a non-loopback HOST: the server refuses to start and names both', async () => {
  const run = await start({ RDPFIX_TEAMS_ANONYMOUS: 'true', HOST: '0.0.0.0' });
  expect(run.code).toBe(1);
  expect(run.stderr).toMatch(/RDPFIX_TEAMS_ANONYMOUS: true needs a loopback HOST \(HOST is 0\.0\.0\.0\)/);
});

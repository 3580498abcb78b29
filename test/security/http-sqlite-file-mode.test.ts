import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config';
import { silentLogger } from '../../src/core/logger';
import { startServer } from '../../src/server';

/**
 * Issue 17, item 8: the SQLite file holds every transcript; it was created world-readable
 * (0644 under the usual umask). The real server on a new path, an incident written, then stat.
 */
const dir = mkdtempSync(join(tmpdir(), 'rdpfix-mode-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const mode = (path: string) => statSync(path).mode & 0o777;

test('the database, its -wal and -shm are 0600 and the directory we create 0700', async () => {
  const previous = process.umask(0o022);
  try {
    const data = join(dir, 'data');
    const file = join(data, 'rdp-fix.db');
    const server = await startServer(
      loadConfig({ PORT: '0', DATABASE_URL: `sqlite:${file}`, RDPFIX_SIM_LATENCY_SCALE: '0' }),
      silentLogger,
    );
    try {
      const res = await fetch(`${server.url}/api/playground/command`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text: '/rdp-fix sim-healthy' }),
      });
      expect(res.status).toBe(200);
      expect(mode(data)).toBe(0o700);
      expect(mode(file)).toBe(0o600);
      expect(mode(`${file}-wal`)).toBe(0o600);
      expect(mode(`${file}-shm`)).toBe(0o600);
    } finally {
      await server.close();
    }
  } finally {
    process.umask(previous);
  }
});

test('an existing world-readable database loses the bits that let others read it', async () => {
  const file = join(dir, 'old.db');
  writeFileSync(file, '');
  chmodSync(file, 0o644);
  const server = await startServer(loadConfig({ PORT: '0', DATABASE_URL: `sqlite:${file}` }), silentLogger);
  await server.close();
  expect(mode(file)).toBe(0o640);
});

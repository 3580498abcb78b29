import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { loadConfig } from '../../src/config';
import { silentLogger } from '../../src/core/logger';
import { type RunningServer, startServer } from '../../src/server';
import { LocalTestEnv } from '../helpers/local-env';

/**
 * The playground and the review pages in headless Debian Chromium (playwright-core, no
 * downloaded browser): a whole incident resolved in the playground, then reviewed.
 */
const artifacts = join(__dirname, '..', '..', 'test-artifacts');
let server: RunningServer;
let browser: Browser;

beforeAll(async () => {
  mkdirSync(artifacts, { recursive: true });
  server = await startServer(
    loadConfig({
      ...LocalTestEnv,
    }),
    silentLogger,
  );
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function resolveInPlayground(page: Page, vm: string): Promise<string> {
  page.on('dialog', (d) => void d.accept());
  await page.goto(`${server.url}/`);
  await page.fill('#command', `/rdp-fix ${vm}`);
  await page.click('#composer button');
  for (let i = 0; i < 30; i++) {
    // The newest card is the one waiting; click Approve (or its first answer) and wait for it to close.
    await page.locator('.card .buttons button').first().waitFor({ timeout: 10_000 });
    const index = (await page.locator('.card').count()) - 1;
    const card = page.locator('.card').nth(index);
    const approve = card.locator('.buttons button', { hasText: 'Approve' });
    await ((await approve.count()) ? approve : card.locator('.buttons button')).first().click();
    await card.locator('.decided').waitFor({ timeout: 10_000 });
    if (await page.locator('.summary').count()) break;
    await Promise.race([
      page.locator('.summary').waitFor({ timeout: 10_000 }),
      page
        .locator('.card')
        .nth(index + 1)
        .waitFor({ timeout: 10_000 }),
    ]);
    if (await page.locator('.summary').count()) break;
  }
  await page.locator('.summary').waitFor({ timeout: 10_000 });
  const href = await page.locator('.summary a').getAttribute('href');
  return href!.split('/').pop()!;
}

/** Errors the page logs (a CSP violation is one) and uncaught exceptions. */
function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => errors.push(e.message));
  return errors;
}

test('resolve an incident in the playground, review it, export it, see the dashboard', async () => {
  const page = await browser.newPage({ acceptDownloads: true, viewport: { width: 1100, height: 900 } });
  const errors = collectErrors(page);
  const id = await resolveInPlayground(page, 'sim-all-three');
  expect(await page.locator('.summary').textContent()).toContain('Resolved.');
  expect(await page.locator('.decided').count()).toBeGreaterThanOrEqual(8);
  await page.screenshot({ path: join(artifacts, 'playground.png'), fullPage: true });

  await page.click('.summary a');
  await page.locator('#chain').waitFor();
  expect(await page.locator('#chain').textContent()).toContain('hash chain verified');
  expect(await page.locator('#outcome').textContent()).toBe('resolved');
  const timeline = await page.locator('#timeline').textContent();
  expect(timeline).toContain('you approved restart-vm (attempt 1)');
  expect(timeline).toContain('enable-tls ran enable-tls.ps1: ok');
  // One output per Run Command (5: verify switches Group Policy back on), the snapshot and the restart.
  expect(await page.locator('#timeline details').count()).toBeGreaterThanOrEqual(7);
  await page.locator('#timeline details').first().click();
  expect(await page.locator('#timeline details pre').first().textContent()).toContain('RDPFIX-RESULT:');
  expect(await page.locator('#evidence-before').textContent()).toContain('"TLS 1.2": 0');
  expect(await page.locator('#evidence-after').textContent()).toContain('"TLS 1.2": 1');
  // A wait and a run for each of the 7 VM and Azure steps, and the wait of the RDP question.
  expect(await page.locator('#gantt rect').count()).toBeGreaterThanOrEqual(15);
  await page.screenshot({ path: join(artifacts, 'timeline.png'), fullPage: true });

  for (const [selector, file, check] of [
    ['#export-md', `rdp-fix-${id}.md`, `# Incident ${id}`],
    ['#export-json', `rdp-fix-${id}.json`, `"id": "${id}"`],
  ] as const) {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click(selector)]);
    expect(download.suggestedFilename()).toBe(file);
    await download.saveAs(join(artifacts, file));
    expect(readFileSync(join(artifacts, file), 'utf8')).toContain(check);
  }

  await page.goto(`${server.url}/incidents`);
  await page.fill('input[name=vm]', 'sim-all-three');
  await page.fill('input[name=cause]', 'tls-disabled');
  await page.click('form.filters button');
  await page.waitForURL(/vm=sim-all-three/);
  expect(await page.locator('#incidents tbody tr').count()).toBe(1);
  expect(await page.locator('#incidents').textContent()).toContain(id);
  await page.fill('input[name=cause]', 'port-conflict');
  await page.click('form.filters button');
  await page.waitForURL(/cause=port-conflict/);
  expect(await page.locator('#incidents').textContent()).toContain('No incident matches.');

  await page.goto(`${server.url}/dashboard`);
  expect(await page.locator('#by-cause').textContent()).toContain('certificate-invalid');
  expect(await page.locator('#by-outcome').textContent()).toContain('resolved');
  await page.screenshot({ path: join(artifacts, 'dashboard.png'), fullPage: true });
  await page.close();
  // The pages' own script and style run under the CSP (by hash): nothing was refused.
  expect(errors).toEqual([]);
}, 90_000);

test('the CSP refuses a script injected into a page; the playground script still runs', async () => {
  const page = await browser.newPage();
  const errors = collectErrors(page);
  await page.goto(`${server.url}/`);
  await page.locator('#composer').waitFor();
  // In the page (a string: the test's TypeScript has no DOM types).
  await page.evaluate(
    "const s = document.createElement('script'); s.textContent = 'window.injected = true'; document.body.appendChild(s)",
  );
  expect(await page.evaluate('window.injected')).toBeUndefined();
  expect(errors).toEqual([
    expect.stringContaining(
      "Executing inline script violates the following Content Security Policy directive 'script-src 'sha256-",
    ),
  ]);
  // The page's own script works: a command gets its answer.
  await page.fill('#command', '/rdp-fix help');
  await page.click('#composer button');
  await page.locator('.msg.muted').first().waitFor({ timeout: 10_000 });
  expect(await page.locator('#chat').textContent()).toContain('rdp-fix — fixes Azure VMs');
  await page.close();
});

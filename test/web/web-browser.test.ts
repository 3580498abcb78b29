import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { readScript } from '../../src/playbook/script-includes';
import type { RunningServer } from '../../src/server';
import { artifacts, collectErrors, command, start, startBrowserEnv, walk } from './browser-env';

/**
 * The review pages in headless Chromium: a whole incident resolved in the playground, then
 * reviewed: the timeline (every entry counted, chat messages folded and said so), the
 * evidence as a before/after table, the script view, the filters as people type them, the
 * dashboard's buckets, times in the reader's zone. The playground itself: playground-*.test.ts.
 */
let server: RunningServer;
let browser: Browser;

beforeAll(async () => {
  ({ server, browser } = await startBrowserEnv());
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

test('resolve an incident in the playground, review it, export it, see the dashboard', async () => {
  const page = await browser.newPage({ acceptDownloads: true, viewport: { width: 1100, height: 900 } });
  const errors = collectErrors(page);
  await page.goto(`${server.url}/`);
  const box = await start(page, 'sim-all-three');
  await walk(box);
  expect(await box.locator('.summary').textContent()).toContain('Resolved.');
  expect(await box.locator('.decided').count()).toBeGreaterThanOrEqual(8);
  const id = (await box.getAttribute('data-incident'))!;
  await page.screenshot({ path: join(artifacts, 'playground.png'), fullPage: true });

  await box.locator('.summary a').click();
  await page.locator('#chain').waitFor();
  const badge = await page.locator('#chain').textContent();
  expect(badge).toContain('hash chain verified');
  expect(await page.locator('#outcome').textContent()).toBe('resolved');
  // Cause names, not ids.
  expect(await page.locator('#causes').textContent()).toContain('TLS');
  expect(await page.locator('#causes').textContent()).not.toContain('tls-disabled');
  const timeline = await page.locator('#timeline').textContent();
  expect(timeline).toContain('you approved restart-vm (attempt 1)');
  expect(timeline).toContain('enable-tls ran enable-tls.ps1: ok');
  expect(timeline).toContain('Causes found by diagnose: The Remote Desktop certificate is missing');
  expect(timeline).not.toContain('tls-disabled');
  // Each step's risk, as on the cards.
  expect(await page.locator('#timeline .badge.risk-restartsVm').first().textContent()).toBe(
    'restarts the VM',
  );
  // diagnose is read-only (verify is not: it switches Group Policy back on).
  expect(await page.locator('#timeline .badge.risk-readOnly').count()).toBeGreaterThanOrEqual(1);
  // The badge's count, the rows and the folded messages add up, and each number is an entry's seq.
  const total = Number(/\((\d+) entries\)/.exec(badge!)![1]);
  const rows = await page.locator('#timeline tbody tr').count();
  const seqs = (await page.locator('#timeline td.seq').allTextContents()).map(Number);
  const folded = (await page.locator('#timeline details.said li').allTextContents()).map((t) =>
    Number(/^#(\d+)/.exec(t)![1]),
  );
  expect([...seqs, ...folded].sort((a, b) => a - b)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
  expect(await page.locator('#timeline-count').textContent()).toContain(
    `${total} entries: ${rows} rows; ${folded.length} chat messages are folded`,
  );
  // The # column never wraps a number: each is one line box. (A string runs in the page: the
  // test's TypeScript has no DOM types.)
  const oneLine = await page.evaluate(
    "[...document.querySelectorAll('#timeline td.seq')].every((td) => { const r = document.createRange(); r.selectNodeContents(td); return r.getClientRects().length === 1; })",
  );
  expect(oneLine).toBe(true);
  // Times in the reader's zone: the script rewrote every <time>, the UTC text kept as its title.
  const time = page.locator('#timeline time').first();
  expect(await time.getAttribute('title')).toMatch(/^today \d\d:\d\d:\d\d UTC$/);
  expect(await time.textContent()).toMatch(/^today \d\d:\d\d:\d\d/);

  await page.locator('#timeline details:not(.said)').first().click();
  expect(await page.locator('#timeline details:not(.said) pre').first().textContent()).toContain(
    'RDPFIX-RESULT:',
  );
  // The evidence: one row per field, the changed ones highlighted.
  const tls = page.locator('#evidence tr.changed', { hasText: 'TLS 1.2' }).first();
  expect(await tls.locator('td.before').textContent()).toBe('0');
  expect(await tls.locator('td.after').textContent()).toBe('1');
  expect(await page.locator('#evidence tr:not(.changed) td').count()).toBeGreaterThan(0);
  // A wait and a run for each of the 7 VM and Azure steps, and the wait of the RDP question.
  expect(await page.locator('#gantt rect').count()).toBeGreaterThanOrEqual(15);
  await page.screenshot({ path: join(artifacts, 'timeline.png'), fullPage: true });
  await page.locator('#evidence').screenshot({ path: join(artifacts, 'evidence-table.png') });

  for (const [selector, file, check] of [
    ['#export-md', `rdp-fix-${id}.md`, `# Incident ${id}`],
    ['#export-json', `rdp-fix-${id}.json`, `"id": "${id}"`],
  ] as const) {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click(selector)]);
    expect(download.suggestedFilename()).toBe(file);
    await download.saveAs(join(artifacts, file));
    expect(readFileSync(join(artifacts, file), 'utf8')).toContain(check);
  }

  // The script view: the whole script, as it ran, in a scrollable code block.
  await page.locator('a.view-script', { hasText: 'view script' }).first().click();
  await page.locator('#script').waitFor();
  const script = readScript(join(__dirname, '../../dialogs/rdp-internal-error/scripts'), 'diagnose.ps1');
  expect(await page.locator('#script').textContent()).toBe(script);
  expect(await page.evaluate("getComputedStyle(document.getElementById('script')).whiteSpace")).toBe('pre');
  await page.screenshot({ path: join(artifacts, 'transcript-script-view.png') });
  // Only the playbook's own scripts: not an inherited property's name, not one it does not have.
  for (const name of ['constructor', '__proto__', 'nope.ps1'])
    expect((await fetch(`${server.url}/incidents/${id}/scripts/${name}`)).status).toBe(404);

  await page.goto(`${server.url}/incidents`);
  // The filters match what the list shows: part of the VM, the platform, a cause's name.
  await page.fill('input[name=vm]', 'ALL-THREE');
  await page.fill('input[name=channel]', 'web');
  await page.fill('input[name=cause]', 'tls');
  await page.click('form.filters button');
  await page.waitForURL(/vm=ALL-THREE/);
  expect(await page.locator('#incidents tbody tr').count()).toBe(1);
  expect(await page.locator('#incidents').textContent()).toContain(id);
  expect(await page.locator('#incidents').textContent()).toContain('web · playground');
  await page.screenshot({ path: join(artifacts, 'incidents.png') });
  await page.fill('input[name=cause]', 'another program');
  await page.click('form.filters button');
  await page.waitForURL(/cause=another/);
  expect(await page.locator('#incidents').textContent()).toContain('No incident matches.');
  await page.fill('input[name=cause]', '');
  await page.fill('input[name=channel]', 'slack');
  await page.click('form.filters button');
  await page.waitForURL(/channel=slack/);
  expect(await page.locator('#incidents').textContent()).toContain('No incident matches.');

  // An incident never diagnosed (aborted at its first card) is its own bucket.
  await page.goto(`${server.url}/`);
  const healthy = await start(page, 'sim-healthy');
  await healthy.locator('.card .buttons button', { hasText: 'Abort' }).click();
  await healthy.locator('.summary').waitFor();
  await page.goto(`${server.url}/dashboard`);
  const byCause = await page.locator('#by-cause').textContent();
  expect(byCause).toContain('never diagnosed');
  expect(byCause).not.toContain('none found');
  expect(byCause).not.toContain('certificate-invalid');
  expect(await page.locator('#by-outcome').textContent()).toContain('resolved');
  await page.screenshot({ path: join(artifacts, 'dashboard.png'), fullPage: true });
  await page.close();
  // The pages' own script and style run under the CSP (by hash): nothing was refused.
  expect(errors).toEqual([]);
}, 120_000);

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
  await command(page, '/rdp-fix help');
  await page.locator('.msg.muted').first().waitFor({ timeout: 10_000 });
  expect(await page.locator('#chat').textContent()).toContain('rdp-fix — fixes Azure VMs');
  await page.close();
});

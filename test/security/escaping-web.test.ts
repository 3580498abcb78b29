import { type Browser, chromium, type Page } from 'playwright-core';
import { loadConfig } from '../../src/config';
import { silentLogger } from '../../src/core/logger';
import { type RunningServer, startServer } from '../../src/server';
import { LocalTestEnv } from '../helpers/local-env';
import { until } from '../helpers/until';
import { everyMessageKind, Hostile, HostileText, hostilePortOwner, queueMessages } from './hostile-messages';

/**
 * Issue 17 item 6, HTML: the playground (rendered in the browser from the engine's messages)
 * and the incident review page (rendered on the server) in headless Chromium, with a hostile
 * program on the VM's RDP port and every kind of engine message carrying hostile text. The
 * hostile text must show as text: no element, script, handler or link made of it.
 */
let server: RunningServer;
let browser: Browser;

beforeAll(async () => {
  server = await startServer(loadConfig({ ...LocalTestEnv }), silentLogger);
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
    ],
  });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/**
 * What the hostile text would have made of the page had it been read as HTML (evaluated in
 * the page, as a string: this project's TypeScript has no DOM types).
 */
async function injected(page: Page): Promise<unknown> {
  return page.evaluate(`({
    xss: window.__xss ?? null,
    scripts: [...document.scripts].filter((s) => s.textContent.includes('alert(1)')).length,
    images: document.images.length,
    atTags: document.getElementsByTagName('at').length,
    evilLinks: [...document.links].filter((a) => a.href.includes('evil.example')).length,
    bidiOverrides: document.body.textContent.includes('\\u202E'),
  })`);
}

const Nothing = { xss: null, scripts: 0, images: 0, atTags: 0, evilLinks: 0, bidiOverrides: false };
/** The hostile text as a person must see it: every character, the override made visible. */
const Shown = HostileText.replace('\u202E', '\uFFFD');

test('hostile VM output and every message kind show as text in the playground and the review page', async () => {
  hostilePortOwner(server, 'sim-port-stoppable');
  const page = await browser.newPage();
  page.on('dialog', (d) => void d.dismiss());
  await page.goto(`${server.url}/`);
  await page.fill('#command', '/rdp-fix sim-port-stoppable');
  await page.click('#composer button');
  await page.locator('.card').first().waitFor({ timeout: 10_000 });
  const incident = await until('the incident', async () => (await server.runtime.store.list())[0]);

  // Approve the diagnosis: the VM's output (the program's hostile name) comes back.
  await page.locator('.card .buttons button', { hasText: 'Approve' }).first().click();
  await page.locator('.card').nth(1).waitFor({ timeout: 10_000 });
  await queueMessages(server, incident.id, everyMessageKind(incident.id, 'playground'));
  await page.locator('.summary', { hasText: 'Re-authenticate' }).waitFor({ timeout: 10_000 });
  expect(await injected(page)).toEqual(Nothing);
  const chat = await page.locator('#chat').textContent();
  expect(chat).toContain(Shown);
  // The program's name from the VM (the diagnosis said who holds the port).
  expect(chat).toContain(`listener ${Shown}`);

  const review = await browser.newPage();
  await review.goto(`${server.url}/incidents/${incident.id}`);
  expect(await injected(review)).toEqual(Nothing);
  const text = await review.locator('main').textContent();
  expect(text).toContain(Hostile.markdownLink);
  expect(text).toContain(Hostile.script);
  expect(text).toContain(Hostile.entity);
  expect(text).toContain('🔥👩‍💻');
});

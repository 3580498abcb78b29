import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';
import { loadConfig } from '../../src/config';
import { silentLogger } from '../../src/core/logger';
import { type RunningServer, startServer } from '../../src/server';
import { LocalTestEnv } from '../helpers/local-env';
import { decide, start } from './browser-env';

/**
 * Issue 19, honest error paths, where they were seen: the playground in headless Chromium.
 * A refused diagnostic (403) is followed by what to grant, never "no cause found"; a
 * deallocated VM gets a card to start it. Screenshots go to test-artifacts/.
 */
const artifacts = join(__dirname, '..', '..', 'test-artifacts');
let server: RunningServer;
let browser: Browser;

beforeAll(async () => {
  mkdirSync(artifacts, { recursive: true });
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

/** The playground with a new incident on `vm`; its section (a reload shows earlier ones too). */
async function open(vm: string): Promise<{ page: Page; box: Locator }> {
  const page = await browser.newPage({ viewport: { width: 1000, height: 1200 } });
  await page.goto(`${server.url}/`);
  return { page, box: await start(page, vm) };
}

const card = (box: Locator, title: string) => box.locator('.card', { hasText: title });

test('sim-forbidden: the 403, then a card that names the missing action and the role; no "no cause found"', async () => {
  const { page, box } = await open('sim-forbidden');
  await decide(card(box, 'Diagnose the VM'));
  const next = card(box, 'The diagnostic gave no evidence');
  await next.waitFor({ timeout: 15_000 });
  const text = await box.textContent();
  expect(text).toContain('it lacks Microsoft.Compute/virtualMachines/runCommands/write');
  expect(await next.textContent()).toContain(
    'What to do: rdp-fix\'s Azure identity lacks the permission Microsoft.Compute/virtualMachines/runCommands/write. An Azure administrator assigns it the custom role "rdp-fix operator"',
  );
  expect(text).not.toContain("None of the article's causes was found");
  expect(text).not.toContain('path shown above');
  await page.screenshot({ path: join(artifacts, 'playground-sim-forbidden.png'), fullPage: true });
  await page.close();
}, 40_000);

test('sim-deallocated: "Start the VM" as an approved Azure step, then the diagnostic', async () => {
  const { page, box } = await open('sim-deallocated');
  const start = card(box, 'Start the VM');
  await start.waitFor({ timeout: 15_000 });
  expect(await box.textContent()).toContain(
    'Nothing on this VM can be checked yet: the VM is deallocated. It has to run first.',
  );
  expect(await start.textContent()).toContain('A deallocated VM is billed again from the moment it starts.');
  // Starting the VM asks twice (a change that bills again): decide() clicks once more.
  await decide(start);
  await card(box, 'Diagnose the VM').waitFor({ timeout: 15_000 });
  expect(await box.textContent()).toContain('"Start the VM" succeeded. The VM runs and its agent is Ready.');
  await page.screenshot({ path: join(artifacts, 'playground-sim-deallocated.png'), fullPage: true });
  await page.close();
}, 40_000);

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';
import { loadConfig } from '../../src/config';
import { silentLogger } from '../../src/core/logger';
import { type RunningServer, startServer } from '../../src/server';
import { LocalTestEnv } from '../helpers/local-env';

/** Where the browser tests leave screenshots and downloads for people to look at. */
export const artifacts = join(__dirname, '..', '..', 'test-artifacts');

/** The server in local mode and headless Debian Chromium (playwright-core, no downloaded browser). */
export async function startBrowserEnv(): Promise<{ server: RunningServer; browser: Browser }> {
  mkdirSync(artifacts, { recursive: true });
  // One server for a file of tests, each leaving incidents open as a person trying VMs would:
  // more than the default per-user limit (5, tested in test/security/policy-limits.test.ts).
  const server = await startServer(
    loadConfig({ ...LocalTestEnv, RDPFIX_MAX_OPEN_PER_USER: '20' }),
    silentLogger,
  );
  const browser = await chromium.launch({
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
  return { server, browser };
}

/** Errors the page logs (a CSP violation is one) and uncaught exceptions. */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => errors.push(e.message));
  return errors;
}

/** Sends a command from the playground's composer; returns the server's answer to it. */
export async function command(page: Page, text: string): Promise<{ incidentId?: string; text?: string }> {
  await page.fill('#command', text);
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/api/playground/command')),
    page.click('#composer button'),
  ]);
  return (await response.json()) as { incidentId?: string; text?: string };
}

/** Opens an incident from the composer; its section of the page (restored ones may be above it). */
export async function start(page: Page, vm: string): Promise<Locator> {
  const { incidentId, text } = await command(page, `/rdp-fix ${vm}`);
  if (!incidentId) throw new Error(`no incident opened for ${vm}: ${text ?? '(no answer)'}`);
  return page.locator(`section.incident[data-incident="${incidentId}"]`);
}

/**
 * Decides a card: Approve (or its first answer), clicking a second time where the card asks
 * to confirm (restarts, port changes, the offline path); waits until the card is closed.
 */
export async function decide(unpinned: Locator): Promise<void> {
  // Pinned by its key: once decided it loses its buttons, and a locator by buttons moves on.
  const card = unpinned.page().locator(`.card[data-key="${await unpinned.getAttribute('data-key')}"]`);
  // By verb: a button asking to confirm says so instead of its label.
  const approve = card.locator('.buttons button[data-verb="approve"]');
  const button = (await approve.count()) ? approve.first() : card.locator('.buttons button').first();
  await button.click();
  // count() does not wait: once acted on, the card may lose its buttons at any moment.
  const armed = card.locator('.buttons button.confirming');
  if (await armed.count()) await armed.click();
  await card.locator('.decided').waitFor({ timeout: 10_000 });
}

/** Walks the incident of one section to its summary, deciding each card as it comes. */
export async function walk(box: Locator, onCard?: (card: Locator) => Promise<void>): Promise<void> {
  for (let i = 0; i < 40; i++) {
    const open = box.locator('.card:has(.buttons)');
    await Promise.race([
      box.locator('.summary').waitFor({ timeout: 15_000 }),
      open.first().waitFor({ timeout: 15_000 }),
    ]);
    if (await box.locator('.summary').count()) return;
    const card = box.locator(`.card[data-key="${await open.first().getAttribute('data-key')}"]`);
    await onCard?.(card);
    await decide(card);
  }
  throw new Error('the incident did not end');
}

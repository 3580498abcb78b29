import { join } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import type { Risk } from '../../src/core/types';
import { readScript } from '../../src/playbook/script-includes';
import type { RunningServer } from '../../src/server';
import { artifacts, collectErrors, command, decide, start, startBrowserEnv, walk } from './browser-env';

/**
 * The playground as a person uses it, in headless Chromium: several incidents in one tab,
 * a reload, the chat commands, risk badges and confirmations, chosen parameters, the script,
 * the summary, the simulator's reset. Screenshots go to test-artifacts/.
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

const openCard = (box: Locator) => box.locator('.card:has(.buttons)').first();
const idOf = async (box: Locator) => (await box.getAttribute('data-incident'))!;

async function newPage(): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  const errors = collectErrors(page);
  await page.goto(`${server.url}/`);
  return { page, errors };
}

test('each card acts on its own incident; commands in a row each show; a reload brings them back; status, history, cancel', async () => {
  const { page, errors } = await newPage();
  const cert = await start(page, 'sim-cert-expired');
  await openCard(cert).waitFor();
  const keys = await start(page, 'sim-machinekeys');
  await openCard(keys).waitFor();
  const [certId, keysId] = [await idOf(cert), await idOf(keys)];
  expect(certId).not.toBe(keysId);

  // The first incident's Approve runs the first incident's diagnosis, and its card closes.
  const first = cert.locator('.card').first();
  await decide(first);
  expect(await first.locator('.buttons').count()).toBe(0);
  // Who decided and when, in the reader's zone: no ISO timestamp left in the text.
  expect(await first.locator('.decided').textContent()).toMatch(/^✔ Approved by you at today \d\d:\d\d:\d\d/);
  await cert.locator('.msg.result').waitFor();
  expect(await cert.locator('.msg.result').textContent()).toContain('succeeded');
  expect(await keys.locator('.msg.result').count()).toBe(0);
  expect(await keys.locator('.card .buttons button').count()).toBeGreaterThan(0);
  const state = async (id: string) =>
    (
      (await fetch(`${server.url}/api/incidents/${id}`).then((r) => r.json())) as {
        incident: { state: string };
      }
    ).incident.state;
  expect(await state(keysId)).toBe('diagnose.awaiting');
  expect(await state(certId)).not.toBe('diagnose.awaiting');

  // Two commands in a row, without waiting: each gets its section and its card.
  const stopped = await start(page, 'sim-rdp-stopped');
  const healthy = await start(page, 'sim-healthy');
  await openCard(stopped).waitFor();
  await openCard(healthy).waitFor();
  await openCard(cert).waitFor();
  await page.screenshot({ path: join(artifacts, 'playground-two-incidents.png'), fullPage: true });

  // A reload: the open incidents come back with what they said, and can go on.
  await page.reload();
  await page.locator('section.incident').nth(3).waitFor();
  const restored = await page.evaluate(
    "[...document.querySelectorAll('section.incident')].map((e) => e.dataset.incident)",
  );
  expect(restored).toEqual(expect.arrayContaining([certId, keysId]));
  expect(await page.locator('#chat').textContent()).toContain('Open incidents from before the reload: 4.');
  const certAgain = page.locator(`section[data-incident="${certId}"]`);
  await certAgain.locator('.decided').first().waitFor();
  await decide(openCard(certAgain));
  expect(await certAgain.locator('.decided').count()).toBe(2);

  // status and history list through the conversation core; cancel aborts from the page.
  await command(page, '/rdp-fix status');
  await page.locator('#chat > .msg a', { hasText: keysId }).waitFor();
  await command(page, '/rdp-fix history sim-machinekeys');
  await page.locator('#chat > .msg a', { hasText: keysId }).nth(1).waitFor();
  await command(page, `/rdp-fix cancel ${keysId}`);
  const keysAgain = page.locator(`section[data-incident="${keysId}"]`);
  await keysAgain.locator('.summary').waitFor();
  expect(await keysAgain.locator('.summary').textContent()).toContain('Aborted.');
  await keysAgain.locator('.decided').waitFor();
  expect(await keysAgain.locator('.buttons').count()).toBe(0);
  await page.close();
  expect(errors).toEqual([]);
}, 90_000);

test('risk badges, the confirmation, a chosen parameter, the script, the summary, and the reset', async () => {
  const { page, errors } = await newPage();
  const vm = server.runtime.simulator!.windowsVm('rg-sim', 'sim-all-three')!;
  const box = await start(page, 'sim-all-three');
  const seen = new Set<Risk>();
  await walk(box, async (card) => {
    const step = await card.getAttribute('data-step');
    if (!(await card.locator('.badge').count())) return; // a question: nothing runs
    const risk = (await card.locator('.badge').getAttribute('class'))?.replace(/.*risk-/, '') as Risk;
    if (!seen.has(risk)) {
      seen.add(risk);
      await card.screenshot({ path: join(artifacts, `card-risk-${risk}.png`) });
    }
    if (step === 'diagnose') {
      expect(await card.locator('.badge').textContent()).toBe('read-only');
      await card.locator('button[data-verb="showScript"]').click();
      const pre = card.locator('pre.script');
      await pre.waitFor();
      const script = readScript(join(__dirname, '../../dialogs/rdp-internal-error/scripts'), 'diagnose.ps1');
      expect(await pre.textContent()).toBe(script);
      const style = await page.evaluate(
        "(() => { const s = getComputedStyle(document.querySelector('pre.script')); return [s.whiteSpace, s.overflowY, s.fontFamily]; })()",
      );
      expect(style).toEqual(['pre', 'auto', expect.stringContaining('monospace')]);
      await card.screenshot({ path: join(artifacts, 'playground-script-view.png') });
    }
    if (step === 'enable-tls') {
      expect(await card.locator('.badge').textContent()).toBe("changes the VM's configuration");
      await card.locator('select[name="Versions"]').selectOption('all');
      expect(await card.locator('.willrun').textContent()).toContain('Versions=all');
      await card.screenshot({ path: join(artifacts, 'card-parameter-choice.png') });
    }
    if (step === 'restart-vm') {
      expect(await card.locator('.badge').textContent()).toBe('restarts the VM');
      // A restart asks twice: the first click only arms the button.
      const approve = card.locator('button[data-verb="approve"]');
      await approve.click();
      expect(await approve.textContent()).toBe('Click again to confirm: this step restarts the VM');
      await page.waitForTimeout(300);
      expect(await card.locator('.decided').count()).toBe(0);
      await card.screenshot({ path: join(artifacts, 'card-confirm-restart.png') });
    }
  });
  expect([...seen].sort()).toEqual(['changesAzure', 'changesConfig', 'readOnly', 'restartsVm']);
  // The summary lists the steps and how each ended.
  const summary = box.locator('.summary');
  expect(await summary.textContent()).toContain('Resolved.');
  expect(await summary.locator('li').count()).toBeGreaterThanOrEqual(8);
  await summary.screenshot({ path: join(artifacts, 'playground-summary.png') });
  // The chosen value is the one that ran.
  const id = await idOf(box);
  const x = (await fetch(`${server.url}/api/incidents/${id}`).then((r) => r.json())) as {
    entries: { kind: string; data: { stepId?: string; params?: Record<string, unknown> } }[];
  };
  const ran = x.entries.find((e) => e.kind === 'step.output' && e.data.stepId === 'enable-tls');
  expect(ran?.data.params).toMatchObject({ Versions: 'all' });

  // The reset puts the repaired VM back as its scenario starts.
  expect(vm.state.restarts).toBeGreaterThan(0);
  await page.click('#reset');
  await page.locator('#chat > .msg', { hasText: 'simulated VMs are back' }).waitFor();
  const fresh = server.runtime.simulator!.windowsVm('rg-sim', 'sim-all-three')!;
  expect(fresh.state.restarts).toBe(0);
  expect(fresh.state.tls['TLS 1.2']).toBe(0);
  await page.close();
  expect(errors).toEqual([]);
}, 90_000);

test('sim-busy: the retry notice comes before the result it led to; a bad port is refused on the card', async () => {
  const { page, errors } = await newPage();
  const box = await start(page, 'sim-busy');
  await decide(openCard(box));
  await box.locator('.msg.result').waitFor({ timeout: 20_000 });
  const text = (await box.textContent())!;
  expect(text).toContain('trying again');
  expect(text.indexOf('trying again')).toBeLessThan(text.indexOf('succeeded'));

  const port = await start(page, 'sim-port-unstoppable');
  for (let i = 0; i < 10; i++) {
    const card = openCard(port);
    await card.waitFor();
    if ((await card.getAttribute('data-step')) === 'change-rdp-port') break;
    await decide(card);
  }
  const card = openCard(port);
  expect(await card.getAttribute('data-step')).toBe('change-rdp-port');
  await card.locator('input[name="Port"]').fill('70000');
  const approve = card.locator('button[data-verb="approve"]');
  await approve.click();
  await approve.click();
  await card.locator('.reply', { hasText: 'Not approved' }).waitFor();
  expect(await card.locator('.reply').textContent()).toContain('Port must be a whole number');
  expect(await card.locator('.decided').count()).toBe(0);
  await card.locator('input[name="Port"]').fill('3391');
  expect(await card.locator('.willrun').textContent()).toContain('Port=3391');
  await decide(card);
  await page.close();
  expect(errors).toEqual([]);
}, 90_000);

test('the offline path asks twice; stopping does not', async () => {
  const { page, errors } = await newPage();
  const box = await start(page, 'sim-agent-down');
  const card = box.locator('.card[data-step="offline-attach-disk"]');
  await card.locator('.buttons').waitFor();
  const attached = card.locator('button[data-verb="answer"]', { hasText: 'Disk attached' });
  await attached.click();
  expect(await card.locator('button.confirming').textContent()).toBe(
    'Click again to confirm: Attach the OS disk to a recovery VM',
  );
  expect(await card.locator('.decided').count()).toBe(0);
  await card.locator('button.confirming').click();
  await card.locator('.decided').waitFor();
  const next = box.locator('.card[data-step="offline-enable-serial-dump"]');
  await next.locator('input[name="DriveLetter"]').waitFor();
  await next.locator('button[data-verb="abort"]').click();
  await box.locator('.summary').waitFor();
  await page.close();
  expect(errors).toEqual([]);
}, 60_000);

test("a change's result has an Undo button: pressed, the waiting card closes and the undo card proposes that step", async () => {
  const { page, errors } = await newPage();
  const box = await start(page, 'sim-tls-disabled');
  const vm = () => server.runtime.simulator!.windowsVm('rg-sim', 'sim-tls-disabled')!.state;
  const before = structuredClone({ tls: vm().tls, gpsvc: vm().gpsvcStart });
  for (;;) {
    const card = openCard(box);
    await card.waitFor();
    if ((await card.getAttribute('data-step')) === 'restart-vm') break;
    await decide(card);
  }
  // Only the change's result has the button (not the diagnosis', nor the snapshot's).
  const undo = box.locator('.msg.result button.undo');
  expect(await undo.count()).toBe(1);
  const result = box.locator('.msg.result:has(button.undo)');
  expect(await result.textContent()).toContain('Enable TLS');
  await result.screenshot({ path: join(artifacts, 'playground-undo-button.png') });
  await undo.click();
  const undoCard = box.locator('.card[data-step="undo-changes"]:has(.buttons)');
  await undoCard.waitFor();
  expect(await undoCard.locator('select[name="Step"]').inputValue()).toBe('enable-tls');
  expect(await box.locator('.card[data-step="restart-vm"] .decided').textContent()).toContain(
    'you asked to undo the change of "enable-tls"',
  );
  await undoCard.screenshot({ path: join(artifacts, 'playground-undo-card.png') });
  await decide(undoCard);
  await box.locator('.summary').waitFor();
  expect(await box.locator('.summary').textContent()).toContain('Ended without a resolution.');
  expect({ tls: vm().tls, gpsvc: vm().gpsvcStart }).toEqual(before);
  await page.close();
  expect(errors).toEqual([]);
}, 60_000);

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadInventory } from '../../src/simulator/inventory';

const root = join(__dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'rdpfix-sim-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('rdp-fix simulate serves the inventory file over ARM routes until stopped', async () => {
  const file = join(dir, 'inventory.json');
  writeFileSync(
    file,
    JSON.stringify([{ name: 'vm-web-01', resourceGroup: 'rg-prod', scenario: 'sim-all-three' }]),
  );
  const child = spawn(process.execPath, [join(root, 'bin', 'rdp-fix.js'), 'simulate', '--inventory', file], {
    cwd: root,
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start: ${out}`)), 10_000);
    child.stdout.on('data', () => {
      const m = /ARM simulator at (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
  });
  const sub = /AZURE_SUBSCRIPTION_ID=(\S+)/.exec(out)![1];
  const list = await fetch(
    `${url}/subscriptions/${sub}/providers/Microsoft.Compute/virtualMachines?api-version=2024-11-01`,
    {
      headers: { authorization: 'Bearer x' },
    },
  );
  expect(((await list.json()) as { value: { name: string; id: string }[] }).value.map((v) => v.id)).toEqual([
    `/subscriptions/${sub}/resourceGroups/rg-prod/providers/Microsoft.Compute/virtualMachines/vm-web-01`,
  ]);
  const noAuth = await fetch(
    `${url}/subscriptions/${sub}/providers/Microsoft.Compute/virtualMachines?api-version=2024-11-01`,
  );
  expect(noAuth.status).toBe(401);
  const exited = new Promise<number | null>((r) => child.on('exit', r));
  child.kill('SIGTERM');
  expect(await exited).toBe(0);
});

test('a bad inventory is refused with the place of the problem', () => {
  const file = join(dir, 'bad.json');
  writeFileSync(
    file,
    JSON.stringify([
      { name: 'vm;x', resourceGroup: 'rg' },
      { name: 'ok', resourceGroup: 'rg', scenario: 'sim-nope' },
    ]),
  );
  expect(() => loadInventory(file)).toThrow(/bad\.json: 0\.name: /);
  writeFileSync(file, JSON.stringify([{ name: 'ok', resourceGroup: 'rg', scenario: 'sim-nope' }]));
  expect(() => loadInventory(file)).toThrow(/0\.scenario: unknown scenario "sim-nope"/);
});

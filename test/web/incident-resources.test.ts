import { loadConfig } from '../../src/config';
import { silentLogger } from '../../src/core/logger';
import { SimulatorSubscription } from '../../src/runtime';
import { type RunningServer, startServer } from '../../src/server';
import { alice, scriptHashOf } from '../helpers/engine-harness';
import { LocalTestEnv } from '../helpers/local-env';

/**
 * The incident page says which Azure resources exist for the incident right now (the offline
 * repair's snapshot, copy, rescue VM, NIC, disk, group), read from Azure by the incident's tag
 * when the page is shown: the server in local mode with RDPFIX_RESCUE=true, the real SDK and
 * the simulator behind it.
 */
let server: RunningServer;
const conversation = { platform: 'cli' as const, channel: 'resources-test' };

beforeAll(async () => {
  server = await startServer(loadConfig({ ...LocalTestEnv, RDPFIX_RESCUE: 'true' }), silentLogger);
});
afterAll(async () => {
  await server?.close();
});

async function page(id: string) {
  const res = await fetch(`${server.url}/incidents/${id}`);
  expect(res.status).toBe(200);
  const html = await res.text();
  const table = /<table id="azure-resources">(.*?)<\/table>/s.exec(html)?.[1] ?? '';
  return [
    ...table.matchAll(/<tr><td>([^<]*)<\/td><td>([^<]*)<\/td><td>[^<]*<\/td><td>([^<]*)<\/td><\/tr>/g),
  ].map((m) => `${m[1]} ${m[2]}: ${m[3]}`);
}

test('the incident page lists what the offline repair has in Azure now, and nothing once it is cleaned up', async () => {
  const { engine } = server.runtime;
  const started = await engine.handle({
    type: 'start',
    vm: { subscriptionId: SimulatorSubscription, resourceGroup: 'rg-sim', name: 'sim-agent-down-tls' },
    requester: alice,
    channel: conversation,
    locale: 'en',
    offline: true,
  });
  if (!started.ok) throw new Error(started.message.en);
  const id = started.incidentId;
  await engine.idle();
  for (const stepId of ['rescue-snapshot', 'rescue-copy-disk', 'rescue-create-vm', 'rescue-attach-disk']) {
    const approved = await engine.handle({
      type: 'approve',
      incidentId: id,
      stepId,
      attempt: 1,
      user: alice,
      from: conversation,
      ...scriptHashOf(stepId),
    });
    expect(approved.ok).toBe(true);
    await engine.idle();
  }
  expect((await page(id)).sort()).toEqual(
    [
      `disk rdpfix-rescue-${id}-osdisk: attached to rdpfix-rescue-${id}`,
      `disk sim-agent-down-tls-rdpfix-repair-${id}: attached to rdpfix-rescue-${id}`,
      `networkInterface rdpfix-rescue-${id}-nic: rescue VM network interface`,
      `resourceGroup rdpfix-rescue-${id}: rescue group`,
      `snapshot sim-agent-down-tls-rdpfix-rescue-${id}: backup of the OS disk`,
      `virtualMachine rdpfix-rescue-${id}: rescue VM`,
    ].sort(),
  );
  // Abort: the clean-up is offered first; approved, it leaves the snapshot alone.
  await engine.handle({ type: 'abort', incidentId: id, user: alice, from: conversation });
  await engine.idle();
  await engine.handle({
    type: 'approve',
    incidentId: id,
    stepId: 'rescue-cleanup',
    attempt: 1,
    user: alice,
    from: conversation,
  });
  await engine.idle();
  expect(await page(id)).toEqual([`snapshot sim-agent-down-tls-rdpfix-rescue-${id}: backup of the OS disk`]);
});

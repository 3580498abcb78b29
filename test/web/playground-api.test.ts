import { loadConfig } from '../../src/config';
import { silentLogger } from '../../src/core/logger';
import { type RunningServer, startServer } from '../../src/server';
import { LocalTestEnv } from '../helpers/local-env';
import { until } from '../helpers/until';

/**
 * The playground's JSON API over HTTP, without a browser: what the page posts (a command, a
 * click) and what it shows back, the playground being requester and approver in local mode.
 */
let server: RunningServer;
beforeAll(async () => {
  server = await startServer(loadConfig({ ...LocalTestEnv }), silentLogger);
});
afterAll(() => server?.close());

const post = async (path: string, body: unknown) =>
  (await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  }).then((r) => r.json())) as { incidentId?: string; text?: string };

type Card = { kind: string; stepId: string; attempt: number; scriptSha256?: string };
const messages = async (incident: string) =>
  (
    (await fetch(`${server.url}/api/playground/messages?incident=${incident}`).then((r) => r.json())) as {
      messages: Card[];
    }
  ).messages;

test('commands: a start opens an incident; anything else shows the help; a bad name says why', async () => {
  expect((await post('/api/playground/command', { text: '/rdp-fix status' })).text).toContain(
    '/rdp-fix <vm> [--rg <group>]',
  );
  const bad = await post('/api/playground/command', { text: '/rdp-fix vm;rm' });
  expect(bad.text).toMatch(/^"vm;rm" is not a valid Azure VM name.*\nrdp-fix — fixes Azure VMs/s);
  expect((await post('/api/playground/command', { text: '/rdp-fix vm-nowhere' })).text).toBe(
    'No VM named vm-nowhere in the subscription and resource groups rdp-fix serves.',
  );
  const started = await post('/api/playground/command', { text: '/rdp-fix sim-healthy' });
  expect(started).toEqual({ incidentId: expect.any(String) });
});

test('clicks: show script, approve as the playground, a stale click refused', async () => {
  // Another VM than the test above's, whose incident is still open (one open incident per VM).
  const { incidentId } = await post('/api/playground/command', { text: '/rdp-fix sim-all-three' });
  const card = await until('the diagnose card', async () =>
    (await messages(incidentId!)).find((m) => m.kind === 'stepCard'),
  );
  const click = (verb: string) =>
    // As the page posts it: with the script hash the card carries.
    post('/api/playground/action', {
      incidentId,
      stepId: card.stepId,
      attempt: card.attempt,
      verb,
      scriptSha256: card.scriptSha256,
    });
  expect((await click('showScript')).text).toContain('# rdp-fix-step: diagnose');
  expect(await click('approve')).toEqual({});
  expect((await click('approve')).text).toBeDefined();
  await until('the diagnosis result', async () =>
    (await messages(incidentId!)).some((m) => m.kind === 'cardClosed') ? true : undefined,
  );
});

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

type Answer = {
  incidentId?: string;
  text?: string;
  incidents?: { id: string; playground: boolean }[];
  script?: { name: string; text: string };
  link?: { href: string };
};
const post = async (path: string, body: unknown) =>
  (await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  }).then((r) => r.json())) as Answer;

type Card = { kind: string; stepId: string; attempt: number; key: string; scriptSha256?: string };
const messages = async (incident: string) =>
  (
    (await fetch(`${server.url}/api/playground/messages?incident=${incident}`).then((r) => r.json())) as {
      messages: Card[];
    }
  ).messages;

test('commands: a start opens an incident; help; a bad name says why; status, history, transcript, cancel', async () => {
  expect((await post('/api/playground/command', { text: '/rdp-fix status' })).text).toBe(
    'No open incident in this channel.',
  );
  expect((await post('/api/playground/command', { text: '/rdp-fix help' })).text).toContain(
    '/rdp-fix <vm> [--rg <group>]',
  );
  const bad = await post('/api/playground/command', { text: '/rdp-fix vm;rm' });
  expect(bad.text).toMatch(/^"vm;rm" is not a valid Azure VM name.*\nrdp-fix — fixes Azure VMs/s);
  expect((await post('/api/playground/command', { text: '/rdp-fix vm-nowhere' })).text).toBe(
    'No VM named vm-nowhere in the subscription and resource groups rdp-fix serves.',
  );
  const started = await post('/api/playground/command', { text: '/rdp-fix sim-healthy' });
  expect(started).toEqual({ incidentId: expect.any(String) });
  const id = started.incidentId!;
  const status = await post('/api/playground/command', { text: '/rdp-fix status' });
  expect(status.incidents).toEqual([expect.objectContaining({ id, playground: true })]);
  const listed = (await fetch(`${server.url}/api/playground/incidents`).then((r) => r.json())) as Answer;
  expect(listed.incidents?.map((i) => i.id)).toContain(id);
  const history = await post('/api/playground/command', { text: '/rdp-fix history sim-healthy' });
  expect(history.incidents?.map((i) => i.id)).toContain(id);
  expect((await post('/api/playground/command', { text: `/rdp-fix transcript ${id}` })).link).toEqual(
    expect.objectContaining({ href: `/incidents/${id}` }),
  );
  expect(await post('/api/playground/command', { text: `/rdp-fix cancel ${id}` })).toEqual({});
  await until('the abort', async () =>
    (await messages(id)).some((m) => m.kind === 'summary') ? true : undefined,
  );
  expect((await post('/api/playground/command', { text: '/rdp-fix status' })).text).toBe(
    'No open incident in this channel.',
  );
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
  expect((await click('showScript')).script).toEqual(
    expect.objectContaining({
      name: 'diagnose.ps1',
      text: expect.stringContaining('# rdp-fix-step: diagnose'),
    }),
  );
  expect(await click('approve')).toEqual({});
  expect((await click('approve')).text).toBeDefined();
  await until('the diagnosis result', async () =>
    (await messages(incidentId!)).some((m) => m.kind === 'cardClosed') ? true : undefined,
  );
});

test('parameters: checked by the playbook types before the approval is taken', async () => {
  const { incidentId } = await post('/api/playground/command', { text: '/rdp-fix sim-tls-disabled' });
  const approve = (card: Card, params?: Record<string, unknown>) =>
    post('/api/playground/action', {
      incidentId,
      stepId: card.stepId,
      attempt: card.attempt,
      verb: 'approve',
      params,
      scriptSha256: card.scriptSha256,
    });
  const decided = new Set<string>();
  let card: Card | undefined;
  for (let i = 0; i < 10; i++) {
    card = await until('the next card', async () =>
      (await messages(incidentId!)).find((m) => m.kind === 'stepCard' && !decided.has(m.key)),
    );
    if (card.stepId === 'enable-tls') break;
    decided.add(card.key);
    expect(await approve(card)).toEqual({});
  }
  expect(card?.stepId).toBe('enable-tls');
  expect((await approve(card!, { Versions: '1.3' })).text).toBe(
    'Not approved: Versions must be one of 1.2 | all, not "1.3".',
  );
  expect((await approve(card!, { Nope: 'x' })).text).toContain('unknown parameter "Nope"');
  expect(await approve(card!, { Versions: 'all' })).toEqual({});
  const x = (await fetch(`${server.url}/api/incidents/${incidentId}`).then((r) => r.json())) as {
    entries: { kind: string; data: { stepId?: string; params?: unknown } }[];
  };
  const approved = x.entries.find((e) => e.kind === 'step.approved' && e.data.stepId === 'enable-tls');
  expect(approved?.data.params).toMatchObject({ Versions: 'all' });
});

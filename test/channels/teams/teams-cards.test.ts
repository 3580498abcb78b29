import { appendFileSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../src/config';
import { silentLogger } from '../../../src/core/logger';
import { type RunningServer, startServer } from '../../../src/server';
import { LocalTestEnv } from '../../helpers/local-env';
import { until } from '../../helpers/until';
import {
  type ConnectorCall,
  cardAction,
  channelMessage,
  FakeBotConnector,
} from '../../support/teams/fake-bot-connector';

/**
 * Step cards as the Bot Connector receives them (Adaptive Card JSON in the activities) and
 * clicks as Teams sends them (`adaptiveCard/action` invokes, the card's input values merged
 * into `action.data`): risk colour and label, the confirmation card, parameters reaching the
 * VM, a refused value, and "Show script" as a code block in the thread.
 */
const dir = mkdtempSync(join(tmpdir(), 'rdpfix-teams-cards-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let connector: FakeBotConnector;
let server: RunningServer | undefined;
let serviceUrl: string;

async function boot(extra: Record<string, string> = {}) {
  server = await startServer(
    loadConfig({ ...LocalTestEnv, RDPFIX_TEAMS_APPROVERS: 'aad-bob', ...extra }),
    silentLogger,
  );
}
beforeEach(async () => {
  connector = new FakeBotConnector();
  serviceUrl = await connector.start();
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  await connector.stop();
});

type Action = {
  type: string;
  title: string;
  verb?: string;
  style?: string;
  data?: Record<string, unknown>;
  card?: { body: unknown[]; actions: Action[] };
};
type Element = { type: string; id?: string; value?: unknown; choices?: { value: string }[]; inlines?: Run[] };
type Run = { text: string; color?: string };
interface Card {
  call: ConnectorCall;
  step: string;
  body: Element[];
  actions: Action[];
}

async function send(activity: unknown) {
  const res = await fetch(`${server!.url}/api/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(activity),
  });
  const text = await res.text();
  return text ? (JSON.parse(text) as { value?: unknown }) : {};
}

/** Every Action.Execute of a card, those inside an Action.ShowCard included. */
function executes(actions: Action[]): Action[] {
  return actions.flatMap((a) => (a.type === 'Action.ShowCard' ? executes(a.card?.actions ?? []) : [a]));
}

function openCard(): Card | undefined {
  const updated = new Set(connector.calls.filter((c) => c.method === 'PUT').map((c) => c.activityId));
  for (const call of [...connector.calls].reverse()) {
    const content = (
      call.body.attachments as { content: { body: Element[]; actions?: Action[] } }[] | undefined
    )?.[0]?.content;
    if (call.method !== 'POST' || !content?.actions || updated.has(call.id)) continue;
    const step = String(executes(content.actions)[0]?.data?.s ?? '');
    return { call, step, body: content.body, actions: content.actions };
  }
  return undefined;
}

async function walkTo(stepId: string): Promise<Card> {
  for (let i = 0; i < 12; i++) {
    const card = await until(`a card (on the way to ${stepId})`, () => openCard());
    if (card.step === stepId) return card;
    const go = executes(card.actions).find((a) => a.verb === 'approve' || a.verb === 'answer')!;
    await send(cardAction(serviceUrl, go.verb!, go.data!));
    await until('the card update', () => (openCard()?.call === card.call ? undefined : true));
  }
  throw new Error(`no ${stepId} card`);
}

/** The risk line's first run: the dot and the label, in the theme's colour. */
function riskRun(card: Card): Run {
  return card.body.flatMap((e) => e.inlines ?? []).find((r) => r.text.includes('Risk:'))!;
}
const approveOf = (card: Card) => executes(card.actions).find((a) => a.verb === 'approve')!;

test('a card of each risk: colour and human label; the restart is approved through a confirmation card', async () => {
  await boot();
  await send(channelMessage(serviceUrl, 'rdp-fix sim-tls-disabled'));
  const seen: Card[] = [];
  for (const step of ['diagnose', 'snapshot-os-disk', 'enable-tls', 'restart-vm'])
    seen.push(await walkTo(step));
  expect(seen.map(riskRun)).toEqual([
    expect.objectContaining({ text: '🟢 Risk: read-only', color: 'Good' }),
    expect.objectContaining({ text: '🟠 Risk: changes Azure resources', color: 'Warning' }),
    expect.objectContaining({ text: "🟠 Risk: changes the VM's configuration", color: 'Warning' }),
    expect.objectContaining({ text: '🔴 Risk: restarts the VM', color: 'Attention' }),
  ]);
  for (const card of seen)
    expect(JSON.stringify(card.body)).not.toMatch(/readOnly|changesAzure|changesConfig|restartsVm/);
  // Without confirmation, Approve is an Action.Execute on the card itself.
  for (const card of seen.slice(0, 3))
    expect(card.actions.find((a) => a.title === 'Approve')).toMatchObject({
      type: 'Action.Execute',
      verb: 'approve',
    });
  // The restart: Approve only opens a card that says what happens; its button decides.
  const restart = seen[3]!;
  const opener = restart.actions.find((a) => a.title === 'Approve')!;
  expect(opener).toMatchObject({ type: 'Action.ShowCard', style: 'destructive' });
  expect(JSON.stringify(opener.card?.body)).toContain(
    'Restart the VM: this step restarts the VM. Approve it?',
  );
  const yes = opener.card!.actions[0]!;
  expect(yes).toMatchObject({
    type: 'Action.Execute',
    title: 'Yes, approve',
    verb: 'approve',
    style: 'destructive',
  });
  const answer = await send(cardAction(serviceUrl, 'approve', yes.data!));
  expect(answer.value).toBe('✔');
  await until('the card closed', () =>
    connector.calls.some((c) => c.method === 'PUT' && c.activityId === restart.call.id) ? true : undefined,
  );
});

test('TLS versions chosen in the ChoiceSet reach the VM; a value the playbook refuses is not run', async () => {
  await boot();
  await send(channelMessage(serviceUrl, 'rdp-fix sim-tls-disabled'));
  const card = await walkTo('enable-tls');
  const choice = card.body.find((e) => e.id === 'param_Versions')!;
  expect(choice).toMatchObject({ type: 'Input.ChoiceSet', value: '1.2' });
  expect(choice.choices!.map((c) => c.value)).toEqual(['1.2', 'all']);
  expect(card.body.find((e) => e.id === 'param_PauseGroupPolicy')).toMatchObject({
    type: 'Input.Toggle',
    value: 'true',
  });
  const dispatched = () => server!.runtime.simulator!.scriptDispatches('sim-tls-disabled');
  const before = dispatched().length;
  // Teams merges every input of the card into action.data.
  const data = approveOf(card).data!;
  const refused = await send(
    cardAction(serviceUrl, 'approve', { ...data, param_Versions: '1.3', param_PauseGroupPolicy: 'true' }),
  );
  expect(refused.value).toBe('Not approved: Versions must be one of 1.2 \\| all, not "1.3".');
  await new Promise((r) => setTimeout(r, 200));
  expect(dispatched()).toHaveLength(before);
  const ok = await send(
    cardAction(serviceUrl, 'approve', {
      ...data,
      param_Versions: 'all',
      param_PauseGroupPolicy: 'true',
    }),
  );
  expect(ok.value).toBe('✔');
  const run = await until('the enable-tls run', () =>
    dispatched().find((d) => d.text.startsWith('# rdp-fix-step: enable-tls')),
  );
  expect(run.params).toContainEqual({ name: 'Versions', value: 'all' });
  // Once decided, the card keeps its texts and loses its fields and buttons.
  const closed = await until('the closed card', () =>
    connector.calls.find((c) => c.method === 'PUT' && c.activityId === card.call.id),
  );
  expect(JSON.stringify(closed.body)).not.toContain('Input.');
});

test('the new RDP port from Input.Number reaches the VM behind the confirmation; the NSG card shows it', async () => {
  await boot();
  await send(channelMessage(serviceUrl, 'rdp-fix sim-port-unstoppable'));
  const card = await walkTo('change-rdp-port');
  expect(card.body.find((e) => e.id === 'param_Port')).toMatchObject({ type: 'Input.Number', value: 3390 });
  expect(card.actions.find((a) => a.title === 'Approve')?.type).toBe('Action.ShowCard');
  const data = approveOf(card).data!;
  const refused = await send(cardAction(serviceUrl, 'approve', { ...data, param_Port: 80 }));
  expect(refused.value).toContain('Port must be a whole number from 1025 to 65535, not "80"');
  expect(await send(cardAction(serviceUrl, 'approve', { ...data, param_Port: 3391 }))).toEqual(
    expect.objectContaining({ value: '✔' }),
  );
  const run = await until('the port change', () =>
    server!.runtime
      .simulator!.scriptDispatches('sim-port-unstoppable')
      .find((d) => d.text.startsWith('# rdp-fix-step: change-rdp-port')),
  );
  // The approved port; the incident id is the engine's own parameter (the undo journal's folder).
  expect(run.params).toEqual([
    { name: 'Port', value: '3391' },
    { name: 'IncidentId', value: expect.stringMatching(/^[0-9a-f]{12}$/) },
  ]);
  const nsg = await until('the NSG card', () =>
    openCard()?.step === 'update-nsg-rule' ? openCard() : undefined,
  );
  expect(nsg.body.find((e) => e.id === 'param_Port')?.value).toBe(3391);
});

test('"Show script" puts the whole script in the thread as a CodeBlock', async () => {
  // enable-tls: a script that fits one Teams message (diagnose, with the evidence fragment
  // spliced in, is past it: the next test).
  await boot();
  await send(channelMessage(serviceUrl, 'rdp-fix sim-tls-disabled'));
  const card = await walkTo('enable-tls');
  const show = executes(card.actions).find((a) => a.verb === 'showScript')!;
  const answer = await send(cardAction(serviceUrl, 'showScript', show.data!));
  expect(answer.value).toBe('The script is in the thread.');
  const posted = await until('the script card', () =>
    connector.calls.find((c) => JSON.stringify(c.body).includes('"CodeBlock"')),
  );
  const content = (posted.body.attachments as { content: { body: Record<string, unknown>[] } }[])[0]!.content;
  const code = content.body.find((e) => e.type === 'CodeBlock')!;
  const [incident] = await server!.runtime.store.list();
  const script = await server!.runtime.engine.scriptOf(incident!.id, 'enable-tls');
  expect(code).toMatchObject({ codeSnippet: script!.text, language: 'PowerShell' });
  expect(posted.conversationId).toBe('19:ops@thread.tacv2;messageid=1700000000000');
});

test('a script too long for a Teams message is not cut: the thread is told where the whole script is', async () => {
  // A copy of the playbook whose diagnose script is padded past what one Teams message holds.
  const dialogs = join(dir, 'dialogs');
  cpSync(join(__dirname, '../../../dialogs'), dialogs, { recursive: true });
  appendFileSync(
    join(dialogs, 'rdp-internal-error/scripts/diagnose.ps1'),
    `\n${'# padding\n'.repeat(4_000)}`,
  );
  await boot({ RDPFIX_DIALOGS_DIR: dialogs });
  await send(channelMessage(serviceUrl, 'rdp-fix sim-healthy'));
  const card = await until('the diagnose card', () => openCard());
  const show = executes(card.actions).find((a) => a.verb === 'showScript')!;
  expect((await send(cardAction(serviceUrl, 'showScript', show.data!))).value).toBe(
    'The script is in the thread.',
  );
  const told = await until('where the script is', () =>
    connector.calls.find((c) => String(c.body.text ?? '').includes('longer than a message holds')),
  );
  expect(String(told.body.text)).toMatch(
    /^diagnose\.ps1 is \d+ characters, longer than a message holds\. The whole script is scripts\/diagnose\.ps1 in the playbook's folder on the rdp-fix server, with the scripts\/lib fragments it includes, and on the incident's web page\.$/,
  );
  expect(connector.calls.some((c) => JSON.stringify(c.body).includes('"CodeBlock"'))).toBe(false);
});

test('offline work is confirmed: "Disk attached" opens a confirmation card, "Stop here" answers at once', async () => {
  await boot();
  await send(channelMessage(serviceUrl, 'rdp-fix sim-agent-down'));
  const card = await walkTo('offline-attach-disk');
  const attached = card.actions.find((a) => a.title === 'Disk attached')!;
  expect(attached.type).toBe('Action.ShowCard');
  expect(JSON.stringify(attached.card?.body)).toContain(
    'answer \\"Disk attached\\"? It cannot be taken back.',
  );
  expect(attached.card?.actions).toEqual([
    expect.objectContaining({
      type: 'Action.Execute',
      title: 'Yes',
      verb: 'answer',
      data: expect.objectContaining({ x: 'attached' }),
    }),
  ]);
  expect(card.actions.find((a) => a.title === 'Stop here')).toMatchObject({
    type: 'Action.Execute',
    verb: 'answer',
  });
});

test("a change's result becomes a card with an Undo button; pressed, the undo card proposes that one step", async () => {
  await boot();
  await send(channelMessage(serviceUrl, 'rdp-fix sim-tls-disabled'));
  await walkTo('restart-vm');
  // The enable-tls result: the progress message updated in place (PUT) into a card with one button.
  const results = connector.calls.filter(
    (c) =>
      c.method === 'PUT' &&
      (c.body.attachments as { content: { actions?: Action[] } }[] | undefined)?.[0]?.content.actions?.some(
        (a) => a.verb === 'undo',
      ),
  );
  expect(results).toHaveLength(1);
  const content = (results[0]!.body.attachments as { content: { body: Element[]; actions: Action[] } }[])[0]!
    .content;
  expect(JSON.stringify(content.body)).toContain('Enable TLS');
  const undo = content.actions[0]!;
  expect(undo).toMatchObject({ type: 'Action.Execute', title: 'Undo this change', verb: 'undo' });
  expect(undo.data).toEqual({
    verb: 'undo',
    i: expect.stringMatching(/^[0-9a-f]{12}$/),
    s: 'enable-tls',
    a: 1,
  });
  await send(cardAction(serviceUrl, 'undo', undo.data!));
  const card = await until('the undo card', () =>
    openCard()?.step === 'undo-changes' ? openCard() : undefined,
  );
  expect(card.body.find((e) => e.id === 'param_Step')).toMatchObject({ value: 'enable-tls' });
});

import { loadConfig } from '../../../src/config';
import { silentLogger } from '../../../src/core/logger';
import { type RunningServer, startServer } from '../../../src/server';
import { LocalTestEnv } from '../../helpers/local-env';
import { until } from '../../helpers/until';
import { FakeSlack, type SlackCall } from '../../support/slack/fake-slack-api';
import {
  buttonClick,
  buttonClickWithState,
  SigningSecret,
  signed,
  slashCommand,
} from '../../support/slack/slack-requests';

/**
 * Step cards as Slack receives them (Block Kit JSON on the fake Web API) and clicks as Slack
 * sends them (signed `block_actions`, with `state.values` for the card's fields): the risk a
 * person sees, the confirmation, parameters chosen on the card reaching the VM, a value the
 * playbook refuses, and a script too long for a message sent as a file.
 */
let slack: FakeSlack;
let server: RunningServer;

beforeEach(async () => {
  slack = new FakeSlack();
  const apiUrl = await slack.start();
  server = await startServer(
    loadConfig({
      ...LocalTestEnv,
      RDPFIX_APPROVERS: 'U_BOB',
      SLACK_SIGNING_SECRET: SigningSecret,
      SLACK_BOT_TOKEN: 'xoxb-test-token',
      SLACK_API_URL: apiUrl,
    }),
    silentLogger,
  );
});
afterEach(async () => {
  await server?.close();
  await slack?.stop();
});

type Element = {
  type: string;
  action_id: string;
  value?: string;
  style?: string;
  text: { text: string };
  confirm?: { title: { text: string }; text: { text: string }; confirm: { text: string }; style?: string };
  options?: { value: string }[];
  initial_option?: { value: string };
  initial_value?: string;
};
type Block = {
  type: string;
  block_id?: string;
  elements?: Element[];
  element?: Element;
  text?: { text: string };
};
interface Card {
  call: SlackCall;
  step: string;
  blocks: Block[];
  buttons: Element[];
}

async function post(body: string) {
  const res = await fetch(`${server.url}/slack/events`, { method: 'POST', headers: signed(body), body });
  expect(res.status).toBe(200);
}

/** The newest card still carrying its buttons, with the step id its actions block names. */
function openCard(): Card | undefined {
  const closed = new Set(slack.of('chat.update').map((c) => c.args.ts));
  for (const call of slack.of('chat.postMessage', (a) => Array.isArray(a.blocks)).reverse()) {
    const blocks = call.args.blocks as Block[];
    const actions = blocks.find((b) => b.type === 'actions');
    if (!actions?.elements || closed.has(call.answer?.ts)) continue;
    const step = /^rdpfix_(.+)_\d+$/.exec(actions.block_id ?? '')?.[1] ?? '';
    return { call, step, blocks, buttons: actions.elements };
  }
  return undefined;
}

/** Approves (or answers) every card until the card of `stepId` is the open one. */
async function walkTo(stepId: string): Promise<Card> {
  for (let i = 0; i < 12; i++) {
    const card = await until(`a card (on the way to ${stepId})`, () => openCard());
    if (card.step === stepId) return card;
    const button =
      card.buttons.find((b) => b.action_id === 'rdpfix_approve') ??
      card.buttons.find((b) => b.action_id.startsWith('rdpfix_answer'))!;
    await post(buttonClick(button.action_id, button.value!));
    await until('the card to close', () => (openCard()?.call === card.call ? undefined : true));
  }
  throw new Error(`no ${stepId} card`);
}

/** What Slack sends in `state.values` for the card's fields: the initial values, some changed. */
function stateOf(card: Card, chosen: Record<string, string>) {
  const state: Record<string, Record<string, Record<string, unknown>>> = {};
  for (const b of card.blocks.filter((x) => x.type === 'input')) {
    const e = b.element!;
    const name = e.action_id.replace('rdpfix_param_', '');
    const value = chosen[name] ?? e.initial_option?.value ?? e.initial_value ?? null;
    state[b.block_id!] = {
      [e.action_id]:
        e.type === 'static_select'
          ? { type: 'static_select', selected_option: { text: { type: 'plain_text', text: value }, value } }
          : { type: 'plain_text_input', value },
    };
  }
  return state;
}

const text = (card: Card) => JSON.stringify(card.blocks);
const approve = (card: Card) => card.buttons.find((b) => b.action_id === 'rdpfix_approve')!;

test('a card of each risk: coloured dot and human label, danger and a human confirmation on the restart', async () => {
  await post(slashCommand('sim-tls-disabled'));
  const seen: Record<string, Card> = {};
  for (const step of ['diagnose', 'snapshot-os-disk', 'enable-tls', 'restart-vm'])
    seen[step] = await walkTo(step);
  const {
    diagnose,
    'snapshot-os-disk': snapshot,
    'enable-tls': tls,
    'restart-vm': restart,
  } = seen as Record<string, Card>;
  expect(text(diagnose!)).toContain('🟢 *Risk:* read-only');
  expect(text(snapshot!)).toContain('🟠 *Risk:* changes Azure resources');
  expect(text(tls!)).toContain("🟠 *Risk:* changes the VM's configuration");
  expect(text(restart!)).toContain('🔴 *Risk:* restarts the VM');
  for (const card of Object.values(seen))
    expect(text(card)).not.toMatch(/readOnly|changesAzure|changesConfig|restartsVm/);
  // Read-only and ordinary changes: a primary Approve, no dialog.
  for (const card of [diagnose!, snapshot!, tls!]) {
    expect(approve(card).style).toBe('primary');
    expect(approve(card).confirm).toBeUndefined();
  }
  // The restart: a red Approve behind Slack's confirmation dialog, in words.
  expect(approve(restart!).style).toBe('danger');
  expect(approve(restart!).confirm).toEqual({
    title: { type: 'plain_text', text: 'Are you sure?', emoji: true },
    text: { type: 'plain_text', text: 'Restart the VM: this step restarts the VM. Approve it?', emoji: true },
    confirm: { type: 'plain_text', text: 'Yes, approve', emoji: true },
    deny: { type: 'plain_text', text: 'Cancel', emoji: true },
    style: 'danger',
  });
});

test('TLS versions chosen in the select reach the VM; a value the playbook refuses is not run', async () => {
  await post(slashCommand('sim-tls-disabled'));
  const card = await walkTo('enable-tls');
  // The card shows the value that will run, and a select to change it.
  const select = card.blocks.find(
    (b) => b.type === 'input' && b.element?.action_id === 'rdpfix_param_Versions',
  )!.element!;
  expect(select.type).toBe('static_select');
  expect(select.options!.map((o) => o.value)).toEqual(['1.2', 'all']);
  expect(select.initial_option!.value).toBe('1.2');
  const dispatched = () => server.runtime.simulator!.scriptDispatches('sim-tls-disabled');
  const before = dispatched().length;

  // A value that is not one of the playbook's: refused to the clicker, nothing runs.
  await post(
    buttonClickWithState('rdpfix_approve', approve(card).value!, stateOf(card, { Versions: '1.3' })),
  );
  const refusal = await until(
    'the refusal',
    () => slack.of('chat.postEphemeral', (a) => String(a.text).includes('Not approved'))[0],
  );
  expect(refusal.args.user).toBe('U_BOB');
  expect(refusal.args.text).toContain('Versions must be one of 1.2 | all, not "1.3"');
  await new Promise((r) => setTimeout(r, 200));
  expect(dispatched()).toHaveLength(before);
  expect(openCard()?.step).toBe('enable-tls');

  // The select's choice, sent as Slack sends it with the Approve click, is what the VM runs with.
  await post(
    buttonClickWithState('rdpfix_approve', approve(card).value!, stateOf(card, { Versions: 'all' })),
  );
  const run = await until('the enable-tls run', () =>
    dispatched().find((d) => d.text.startsWith('# rdp-fix-step: enable-tls')),
  );
  expect(run.params).toContainEqual({ name: 'Versions', value: 'all' });
  expect(run.params).toContainEqual({ name: 'PauseGroupPolicy', value: 'true' });
});

test('the new RDP port typed on the card reaches the VM, the NSG card shows it, a port out of range is refused', async () => {
  await post(slashCommand('sim-port-unstoppable'));
  const card = await walkTo('change-rdp-port');
  const field = card.blocks.find((b) => b.type === 'input' && b.element?.action_id === 'rdpfix_param_Port')!;
  expect(field.element).toMatchObject({ type: 'plain_text_input', initial_value: '3390' });
  // A port change is confirmed too.
  expect(approve(card).style).toBe('danger');
  expect(approve(card).confirm?.text.text).toBe(
    "Move RDP to another port: this step changes the VM's configuration. Approve it?",
  );
  await post(buttonClickWithState('rdpfix_approve', approve(card).value!, stateOf(card, { Port: '80' })));
  const refusal = await until(
    'the refusal',
    () => slack.of('chat.postEphemeral', (a) => String(a.text).includes('Not approved'))[0],
  );
  expect(refusal.args.text).toContain('Port must be a whole number from 1025 to 65535, not "80"');
  await post(buttonClickWithState('rdpfix_approve', approve(card).value!, stateOf(card, { Port: '3391' })));
  const run = await until('the port change', () =>
    server.runtime
      .simulator!.scriptDispatches('sim-port-unstoppable')
      .find((d) => d.text.startsWith('# rdp-fix-step: change-rdp-port')),
  );
  // The approved port; the incident id is the engine's own parameter (the undo journal's folder).
  expect(run.params).toEqual([
    { name: 'Port', value: '3391' },
    { name: 'IncidentId', value: expect.stringMatching(/^[0-9a-f]{12}$/) },
  ]);
  // The next step's card shows the value it will run with: the port chosen above.
  const nsg = await until('the NSG card', () =>
    openCard()?.step === 'update-nsg-rule' ? openCard() : undefined,
  );
  expect(nsg.blocks.find((b) => b.type === 'input')?.element?.initial_value).toBe('3391');
});

test('a script longer than a message is uploaded whole as a file in the thread, saying so', async () => {
  await post(slashCommand('sim-healthy'));
  const card = await until('the diagnose card', () => openCard());
  const show = card.buttons.find((b) => b.action_id === 'rdpfix_script')!;
  await post(buttonClick(show.action_id, show.value!));
  const done = await until('the upload', () => slack.of('files.completeUploadExternal')[0]);
  const asked = slack.of('files.getUploadURLExternal')[0]!;
  expect(asked.args.filename).toBe('diagnose.ps1');
  const script = await server.runtime.engine.scriptOf((await server.runtime.store.list())[0]!.id, 'diagnose');
  expect(script!.text.length).toBeGreaterThan(2_800);
  expect(Number(asked.args.length)).toBe(Buffer.byteLength(script!.text));
  // The upload is multipart form data: the script whole inside it.
  expect(slack.uploads.join('')).toContain(script!.text);
  expect(String(done.args.initial_comment)).toMatch(
    /^diagnose\.ps1 is \d+ characters, longer than a message holds: here it is whole, as a file\.$/,
  );
  expect(done.args.thread_ts).toBe(card.call.args.thread_ts);
  // No cut code block was sent instead.
  expect(slack.of('chat.postEphemeral', (a) => String(a.text).includes('```'))).toHaveLength(0);
});

test('a script that fits in a message is shown whole as a code block to the person who asked', async () => {
  await post(slashCommand('sim-cert-expired'));
  const card = await walkTo('renew-rdp-certificate');
  const show = card.buttons.find((b) => b.action_id === 'rdpfix_script')!;
  await post(buttonClick(show.action_id, show.value!));
  const shown = await until(
    'the code block',
    () => slack.of('chat.postEphemeral', (a) => String(a.text).includes('renew-rdp-certificate.ps1'))[0],
  );
  const [incident] = await server.runtime.store.list();
  const script = await server.runtime.engine.scriptOf(incident!.id, 'renew-rdp-certificate');
  const escaped = script!.text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  expect(String(shown.args.text)).toContain(`\`\`\`${escaped}\`\`\``);
  expect(shown.args.user).toBe('U_BOB');
  expect(slack.of('files.getUploadURLExternal')).toHaveLength(0);
});

test('offline work is confirmed: "Disk attached" asks first, "Stop here" does not', async () => {
  // The agent is down: the incident goes to the offline path's first card (manual).
  await post(slashCommand('sim-agent-down'));
  const card = await walkTo('offline-attach-disk');
  const answer = (id: string) => card.buttons.find((b) => JSON.parse(b.value ?? '{}').x === id)!;
  expect(answer('attached').confirm).toMatchObject({
    title: { text: 'Are you sure?' },
    text: { text: 'Attach the OS disk to a recovery VM: answer "Disk attached"? It cannot be taken back.' },
    confirm: { text: 'Yes' },
  });
  expect(answer('stop').confirm).toBeUndefined();
});

test("a change's result carries an Undo button; pressed, the waiting card closes and the undo card proposes that one step", async () => {
  await post(slashCommand('sim-tls-disabled'));
  const restart = await walkTo('restart-vm');
  // The enable-tls result: the progress line updated in place, with the button bound to that attempt.
  const result = slack
    .of('chat.update')
    .map((c) => c.args.blocks as Block[])
    .find((blocks) => blocks.some((b) => b.elements?.some((e) => e.action_id === 'rdpfix_undo')))!;
  expect(result).toBeDefined();
  const undoButton = result.find((b) => b.type === 'actions')!.elements![0]!;
  expect(undoButton.text.text).toBe('Undo this change');
  expect(JSON.parse(undoButton.value!)).toEqual({
    i: expect.stringMatching(/^[0-9a-f]{12}$/),
    s: 'enable-tls',
    a: 1,
  });
  // Read-only steps' results carry none.
  const undoable = slack
    .of('chat.update')
    .filter((c) =>
      (c.args.blocks as Block[]).some((b) => b.elements?.some((e) => e.action_id === 'rdpfix_undo')),
    );
  expect(undoable).toHaveLength(1);

  // A forged value (another step) is still only an undo request, checked like the chat command.
  const forged = JSON.stringify({ ...JSON.parse(undoButton.value!), s: 'change-rdp-port' });
  await post(buttonClick('rdpfix_undo', forged));
  const refusal = await until(
    'the refusal',
    () => slack.of('chat.postEphemeral', (a) => String(a.text).includes('change-rdp-port'))[0],
  );
  expect(refusal.args.text).toContain('"change-rdp-port" has not changed the VM in this incident');

  await post(buttonClick('rdpfix_undo', undoButton.value!));
  const card = await until('the undo card', () =>
    openCard()?.step === 'undo-changes' ? openCard() : undefined,
  );
  const step = card.blocks.find((b) => b.type === 'input' && b.element?.action_id === 'rdpfix_param_Step')!;
  expect(step.element?.initial_option?.value).toBe('enable-tls');
  // The restart card closed, saying who asked for which undo.
  const closed = slack.of('chat.update', (a) => a.ts === restart.call.answer?.ts).at(-1)!;
  expect(JSON.stringify(closed.args.blocks)).toContain('bob asked to undo the change of \\"enable-tls\\"');
});

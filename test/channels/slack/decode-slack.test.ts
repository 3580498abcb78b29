import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type BlockActionFields,
  type ButtonFields,
  decodeBlockAction,
  decodeSlashCommand,
  type SlashCommandFields,
} from '../../../src/channels/slack/decode-slack';
import { renderCard } from '../../../src/channels/slack/render-blocks';
import { helpText, sayReply } from '../../../src/channels/slack/say-reply';
import { ChatTexts } from '../../../src/conversation/chat-texts';
import type { Reply } from '../../../src/conversation/replies';
import { ErrorCodes } from '../../../src/core/errors';

/** Slack's payloads (test/fixtures/slack, see its README) decoded into the conversation's inputs. */
const fixtures = join(__dirname, '..', '..', 'fixtures', 'slack');
const form = (file: string) => readFileSync(join(fixtures, file), 'utf8').trim();
const payload = (file: string) => JSON.parse(readFileSync(join(fixtures, file), 'utf8'));

/** A click as Bolt hands it over: the payload, and its first action. */
function click(body: BlockActionFields & { actions: ButtonFields[] }) {
  return decodeBlockAction(body, body.actions[0]!);
}

test('a slash command form body: the parsed command, who typed it, in which channel', () => {
  const fields = Object.fromEntries(new URLSearchParams(form('slash-command.form.txt')));
  expect(decodeSlashCommand(fields as unknown as SlashCommandFields)).toEqual({
    command: { kind: 'start', vmName: 'sim-all-three', resourceGroup: 'rg-sim', walkAll: true },
    user: { id: 'U2147483697', name: 'Steve' },
    where: { platform: 'slack', channel: 'C2147483705' },
  });
});

test('a slash command with hostile text is decoded as invalid, never as a start', () => {
  const fields = Object.fromEntries(new URLSearchParams(form('slash-command.form.txt')));
  for (const text of ['vm;rm -rf /', '<@U_BOB>', 'x'.repeat(10_000), 'sim-01 --rg "rg;Remove-Item"']) {
    const { command } = decodeSlashCommand({ ...(fields as unknown as SlashCommandFields), text });
    expect(command.kind).toBe('invalid');
  }
});

test('a block_actions click on Approve: the exact step attempt, and who pressed it where', () => {
  expect(click(payload('block-actions-approve.json'))).toEqual({
    user: { id: 'U01AZ88AQQ4', name: 'phoebe.ng' },
    channel: 'C01ACC2E8S3',
    click: { verb: 'approve', incidentId: 'k2m9x7q4w1', stepId: 'diagnose', attempt: 1 },
  });
});

test('the other buttons of the card: show script, abort, an answer; a foreign action is not ours', () => {
  const body = payload('block-actions-approve.json');
  const press = (action_id: string, value = body.actions[0].value) =>
    click({ ...body, actions: [{ ...body.actions[0], action_id, value }] })?.click;
  expect(press('rdpfix_script')).toMatchObject({ verb: 'showScript', stepId: 'diagnose' });
  expect(press('rdpfix_abort')).toMatchObject({ verb: 'abort' });
  expect(press('rdpfix_answer_1', '{"i":"k2m9x7q4w1","s":"ask","a":2,"x":"gpo"}')).toEqual({
    verb: 'answer',
    incidentId: 'k2m9x7q4w1',
    stepId: 'ask',
    attempt: 2,
    answer: 'gpo',
  });
  // An answer button without an answer, an unknown id: nothing to do.
  expect(press('rdpfix_answer_0')).toBeUndefined();
  expect(press('rdpfix_other')).toBeUndefined();
  expect(click({ ...body, actions: [{ ...body.actions[0], type: 'static_select' }] })).toBeUndefined();
  // The channel comes from the container when the payload has no channel (a message in a DM).
  const { channel: _c, ...noChannel } = body;
  expect(click(noChannel)?.channel).toBe('C01ACC2E8S3');
});

test('hostile button values: forged, oversized, not JSON; no parameter ever comes from a button', () => {
  expect(click(payload('block-actions-forged.json'))?.click).toEqual({ verb: 'forged' });
  const body = payload('block-actions-approve.json');
  const withValue = (value: string) => click({ ...body, actions: [{ ...body.actions[0], value }] })?.click;
  expect(withValue(JSON.stringify({ i: 'x'.repeat(100_000), s: 'diagnose', a: 1 }))).toEqual({
    verb: 'forged',
  });
  expect(withValue(JSON.stringify({ i: 'k2m9x7q4w1', s: 'diagnose', a: 1e9 }))).toEqual({ verb: 'forged' });
  expect(withValue('{"i":')).toEqual({ verb: 'forged' });
  expect(withValue('')).toEqual({ verb: 'forged' });
  const extra = withValue(JSON.stringify({ i: 'k2m9x7q4w1', s: 'diagnose', a: 1, p: { Port: '1; x' } }));
  expect(extra).toEqual({ verb: 'approve', incidentId: 'k2m9x7q4w1', stepId: 'diagnose', attempt: 1 });
  // The script hash the card carries comes back; anything but 64 hex characters is not ours.
  const h = 'ab'.repeat(32);
  expect(withValue(JSON.stringify({ i: 'k2m9x7q4w1', s: 'diagnose', a: 1, h }))).toMatchObject({
    scriptSha256: h,
  });
  expect(withValue(JSON.stringify({ i: 'k2m9x7q4w1', s: 'diagnose', a: 1, h: `${h}<` }))).toEqual({
    verb: 'forged',
  });
});

test("a card's buttons carry the script hash of a runCommand step, and its decode gives it back", () => {
  const body = payload('block-actions-approve.json');
  const h = 'cd'.repeat(32);
  const blocks = renderCard(
    {
      kind: 'stepCard',
      key: 'k:diagnose:1',
      stepId: 'diagnose',
      attempt: 1,
      stepKind: 'runCommand',
      section: 's',
      title: { en: 't', it: 't' },
      explain: { en: 'e', it: 'e' },
      confirm: false,
      params: [],
      reasons: [],
      actions: ['approve', 'skip'],
      answers: [],
      scriptSha256: h,
    },
    'k2m9x7q4w1',
    'en',
  );
  const buttons = (blocks.at(-1) as { elements: { action_id: string; value: string }[] }).elements;
  for (const button of buttons) {
    const decoded = click({ ...body, actions: [{ ...body.actions[0], ...button, type: 'button' }] });
    expect(decoded?.click).toMatchObject({ stepId: 'diagnose', attempt: 1, scriptSha256: h });
  }
});

/** A recording stand-in for the Slack Web API calls a reply makes. */
function recorder() {
  const calls: { method: string; args: Record<string, unknown> }[] = [];
  return {
    calls,
    to: {
      client: {
        filesUploadV2: async (args: Record<string, unknown>) =>
          void calls.push({ method: 'filesUploadV2', args }),
      } as never,
      channel: 'C_OPS',
      user: 'U_ALICE',
      locale: 'en' as const,
      publicUrl: 'https://rdp-fix.example.com',
      ephemeral: async (channel: string, user: string, text: string, thread?: string) =>
        void calls.push({ method: 'postEphemeral', args: { channel, user, text, thread } }),
    },
  };
}

test('replies rendered for Slack: privately, escaped, the help after a VM not found, refusals not said twice', async () => {
  const said = async (reply: Reply) => {
    const r = recorder();
    await sayReply(reply, r.to);
    return r.calls;
  };
  const refusal = (code: string, delivered: boolean, withHelp = false): Reply => ({
    kind: 'refusal',
    code,
    text: { en: 'No VM named <vm> & co', it: 'x' },
    delivered,
    withHelp,
  });
  expect(await said(refusal(ErrorCodes.NotAuthorised, true))).toEqual([]);
  expect(await said(refusal(ErrorCodes.VmNotFound, false, true))).toEqual([
    {
      method: 'postEphemeral',
      args: {
        channel: 'C_OPS',
        user: 'U_ALICE',
        text: `No VM named &lt;vm&gt; &amp; co\n${ChatTexts.help.en}`,
        thread: undefined,
      },
    },
  ]);
  expect(await said({ kind: 'done' })).toEqual([]);
  const script = await said({
    kind: 'script',
    name: 'diagnose.ps1',
    sha256: 'a'.repeat(64),
    text: 'Get-Item <x>',
    thread: '1.2',
  });
  expect(script[0]?.args).toMatchObject({
    text: '*diagnose.ps1* (sha256 aaaaaaaaaaaa)\n```Get-Item &lt;x&gt;```',
    thread: '1.2',
  });
  const file = await said({
    kind: 'file',
    incidentId: 'k2m9x7q4w1',
    filename: 'rdp-fix-k2m9x7q4w1.md',
    title: 'rdp-fix incident k2m9x7q4w1',
    markdown: '# Incident k2m9x7q4w1',
    sameThread: '1.2',
  });
  expect(file).toEqual([
    {
      method: 'filesUploadV2',
      args: {
        filename: 'rdp-fix-k2m9x7q4w1.md',
        title: 'rdp-fix incident k2m9x7q4w1',
        content: '# Incident k2m9x7q4w1',
        initial_comment: 'https://rdp-fix.example.com/incidents/k2m9x7q4w1',
        channel_id: 'C_OPS',
        thread_ts: '1.2',
      },
    },
  ]);
  expect(helpText('"<@U_BOB>" is not a valid Azure VM name', 'it')).toBe(
    `"&lt;@U_BOB&gt;" is not a valid Azure VM name\n${ChatTexts.help.it}`,
  );
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Activity } from '@microsoft/agents-activity';
import { decodeTeamsActivity } from '../../../src/channels/teams/decode-teams';
import { escapeTeamsMarkdown } from '../../../src/channels/teams/escape-teams';
import { replyText } from '../../../src/channels/teams/reply-text';
import { verifyTeamsIdentity } from '../../../src/channels/teams/teams-identity';
import { ChatTexts, plain } from '../../../src/conversation/chat-texts';

/** Teams Activities (test/fixtures/teams, see its README) decoded into the conversation's inputs. */
const fixtures = join(__dirname, '..', '..', 'fixtures', 'teams');
const activity = (file: string, change: (a: Record<string, unknown>) => void = () => undefined) => {
  const json = JSON.parse(readFileSync(join(fixtures, file), 'utf8'));
  change(json);
  return Activity.fromObject(json);
};
/** As the channel does: the sender verified first (no tenant configured here), then decoded. */
const decode = (a: Activity, locale: 'en' | 'it') => {
  const identity = verifyTeamsIdentity(a, undefined);
  if (!identity.ok) throw new Error(identity.refusal);
  return decodeTeamsActivity(a, identity.user, locale);
};

test('a channel message with an @mention: the command, who, in Italian, in the channel with its reference', () => {
  const input = decode(activity('channel-message-mention.json'), 'en');
  expect(input).toMatchObject({
    kind: 'chat',
    who: { user: { id: '7faf80cb-0f6f-4d05-ab9e-ea1e1b2e2d36', name: 'Megan Bowen' }, locale: 'it' },
    command: { kind: 'start', vmName: 'sim-healthy', resourceGroup: 'rg-sim', walkAll: false },
    where: { platform: 'teams', channel: '19:c6d70e392a8e4e3c8c8a1a9e3b6c8e3d@thread.skype' },
  });
  // The reference lets later replies go to this reply chain proactively.
  const where = input.kind === 'chat' ? input.where : undefined;
  expect(where?.reference).toMatchObject({
    serviceUrl: 'https://smba.trafficmanager.net/amer/',
    conversation: { id: '19:c6d70e392a8e4e3c8c8a1a9e3b6c8e3d@thread.skype;messageid=1485983194839' },
  });
});

test('other commands are listed by channel and carry no reference; a non-message is ignored', () => {
  const status = decode(
    activity('channel-message-mention.json', (a) => {
      a.text = '<at>rdp-fix</at>&nbsp;rdp-fix status';
    }),
    'en',
  );
  expect(status).toMatchObject({ kind: 'chat', command: { kind: 'status' } });
  expect(status.kind === 'chat' && status.where.reference).toBeUndefined();
  const typing = decode(
    activity('channel-message-mention.json', (a) => {
      a.type = 'typing';
    }),
    'en',
  );
  expect(typing.kind).toBe('ignore');
});

test('an adaptiveCard/action invoke: the click of the card it came from, by the clicker', () => {
  expect(decode(activity('adaptive-card-action-invoke.json'), 'it')).toEqual({
    kind: 'click',
    via: 'invoke',
    who: { user: { id: '87d349ed-44d7-43e1-9a83-5f2406dee5bd', name: 'Adele Vance' }, locale: 'en' },
    click: {
      verb: 'answer',
      incidentId: 'k2m9x7q4w1',
      stepId: 'ask-what-changed',
      attempt: 2,
      answer: 'gpo',
    },
    // The conversation it was pressed in, without `;messageid=`: decisions count only there.
    where: { platform: 'teams', channel: '19:c6d70e392a8e4e3c8c8a1a9e3b6c8e3d@thread.skype' },
  });
});

test('the Action.Submit fallback (a message whose value is the data) and a refresh', () => {
  const submit = decode(
    activity('channel-message-mention.json', (a) => {
      a.text = undefined;
      a.value = { verb: 'skip', i: 'k2m9x7q4w1', s: 'enable-tls', a: 1, msteams: { type: 'messageBack' } };
    }),
    'en',
  );
  expect(submit).toMatchObject({
    kind: 'click',
    via: 'message',
    click: { verb: 'skip', incidentId: 'k2m9x7q4w1', stepId: 'enable-tls', attempt: 1 },
  });
  const refresh = decode(
    activity('adaptive-card-action-invoke.json', (a) => {
      (a.value as { action: { verb: string } }).action.verb = 'refresh';
    }),
    'en',
  );
  expect(refresh).toMatchObject({ kind: 'refresh', via: 'invoke', cardKey: 'k2m9x7q4w1:ask-what-changed:2' });
});

test("the card data's script hash comes back with the click; a malformed one is forged", () => {
  const h = 'ef'.repeat(32);
  const withHash = (hash: string) =>
    decode(
      activity('adaptive-card-action-invoke.json', (a) => {
        const action = (a.value as { action: { verb: string; data: Record<string, unknown> } }).action;
        action.verb = 'approve';
        action.data = { ...action.data, x: undefined, h: hash };
      }),
      'en',
    );
  expect(withHash(h)).toMatchObject({ kind: 'click', click: { verb: 'approve', scriptSha256: h } });
  expect(withHash('not-a-hash')).toMatchObject({ kind: 'click', click: { verb: 'forged' } });
});

test('a hostile invoke (unknown verb, oversized id, a parameter) is the click forged', () => {
  expect(decode(activity('adaptive-card-action-forged.json'), 'en')).toMatchObject({
    kind: 'click',
    click: { verb: 'forged' },
  });
  const oversized = decode(
    activity('adaptive-card-action-forged.json', (a) => {
      (a.value as { action: { verb: string } }).action.verb = 'approve';
    }),
    'en',
  );
  expect(oversized).toMatchObject({ kind: 'click', click: { verb: 'forged' } });
  const noAction = decode(
    activity('adaptive-card-action-invoke.json', (a) => {
      a.value = { trigger: 'manual' };
    }),
    'en',
  );
  expect(noAction).toMatchObject({ kind: 'click', click: { verb: 'forged' } });
});

test('replies as Teams text: a tick for a click taken, the help without Slack marks, transcripts cut at 25,000', () => {
  expect(replyText({ kind: 'done' }, 'en')).toBe('✔');
  expect(replyText({ kind: 'opened', incidentId: 'k2m9x7q4w1' }, 'en')).toBeUndefined();
  // Teams reads Markdown and tags: the help's `<vm>` and `[--rg …]` are escaped to stay text.
  expect(replyText({ kind: 'help', problem: 'unknown option "--x"' }, 'en')).toBe(
    `unknown option "--x"\n\n${escapeTeamsMarkdown(plain(ChatTexts.help.en))}`,
  );
  const long = 'x'.repeat(30_000);
  const file = replyText(
    { kind: 'file', incidentId: 'k', filename: 'f.md', title: 't', markdown: long },
    'en',
  );
  expect(file).toBe(`${'x'.repeat(25_000)}\n\n…`);
  expect(replyText({ kind: 'incidentList', records: [], empty: ChatTexts.noneOpen }, 'it')).toBe(
    ChatTexts.noneOpen.it,
  );
});

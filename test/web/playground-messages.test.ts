import { PlaygroundMessages } from '../../src/channels/web/playground-messages';
import type { IncidentRecord } from '../../src/conversation/ports';
import type { TranscriptEntry } from '../../src/core/transcript';
import type { Delivery, OutMessage } from '../../src/engine/messages';

/**
 * The playground's message lists after a restart: an incident this process never saw is read
 * from its transcript first, and the outbox's late delivery of a message already read is not
 * shown twice; direct messages (progress, notices) are never in the transcript and are kept.
 */
const opened: OutMessage = { kind: 'opened', key: 'k', text: { en: 'Incident a1b2c3 opened', it: 'x' } };
const notice: OutMessage = { kind: 'notice', text: { en: 'trying again', it: 'x' } };
const closed: OutMessage = {
  kind: 'cardClosed',
  key: 'c',
  stepId: 's',
  attempt: 1,
  text: { en: 'ok', it: 'ok' },
};

function reader(platform: string, story: OutMessage[]) {
  const record = { id: 'a1b2c3', channel: { platform, channel: 'playground' } } as unknown as IncidentRecord;
  const entries = story.map(
    (message, i) => ({ seq: i + 1, kind: 'message.posted', data: { message } }) as unknown as TranscriptEntry,
  );
  return {
    get: async (id: string) => (id === record.id ? record : undefined),
    list: async () => [record],
    transcript: async () => entries,
  };
}
const delivery = (message: OutMessage, outboxId?: number) =>
  ({ incidentId: 'a1b2c3', message, ...(outboxId ? { outboxId } : {}) }) as Delivery;

test('an incident from before a restart: its story first, a re-delivered message once, direct ones kept', async () => {
  const messages = new PlaygroundMessages(reader('web', [opened]));
  await messages.add(delivery(opened, 7)); // the outbox sends again what the transcript holds
  await messages.add(delivery(notice)); // direct: never in the transcript
  await messages.add(delivery(opened, 8)); // said a second time for real: shown
  await messages.add(delivery(closed, 9));
  expect((await messages.read('a1b2c3', 0))?.messages).toEqual([opened, notice, opened, closed]);
  expect(await messages.read('a1b2c3', 3)).toEqual({ messages: [closed], next: 4 });
});

test('only playground incidents are read', async () => {
  const messages = new PlaygroundMessages(reader('slack', [opened]));
  expect(await messages.read('a1b2c3', 0)).toBeUndefined();
  expect(await messages.read('nope00', 0)).toBeUndefined();
});

import { MessageRefs } from '../../src/channels/message-refs';
import { UpdatableMessages } from '../../src/channels/updatable-messages';

function memoryRefs(reads: string[] = []) {
  const kept = new Map<string, string>();
  return new MessageRefs<string>(
    {
      getRef: async (key) => {
        reads.push(key);
        return kept.get(key);
      },
      setRef: async (key, value) => void kept.set(key, value),
    },
    'slack:progress',
  );
}

/** A platform that records posts and updates; its first `failures` posts fail as Slack's 500 would. */
function platform(failures = 0) {
  const posts: string[] = [];
  const updates: string[] = [];
  let failing = failures;
  const post = (text: string) => async () => {
    posts.push(text);
    if (failing-- > 0) throw new Error('slack said 500');
    return `ts-${posts.length}`;
  };
  const update = (text: string) => async (id: string) => void updates.push(`${id} ${text}`);
  return { posts, updates, post, update };
}

test('a first post that failed is not kept: the next show of the line posts it, and its result updates it', async () => {
  const lines = new UpdatableMessages();
  const refs = memoryRefs();
  const { posts, updates, post, update } = platform(1);
  // A "still running" line (DirectMessages swallows its failure).
  await expect(lines.show(refs, 'k', false, post('running 10 s'), update('running 10 s'))).rejects.toThrow(
    'slack said 500',
  );
  await lines.show(refs, 'k', false, post('running 20 s'), update('running 20 s'));
  // The step's result (the outbox's progress message, done).
  await lines.show(refs, 'k', true, post('done'), update('done'));
  expect(posts).toEqual(['running 10 s', 'running 20 s']);
  expect(updates).toEqual(['ts-2 done']);
  expect(await refs.get('k')).toBe('ts-2');
});

test('a line nobody posted yet (unposted) is posted without looking it up; one that may exist is looked up and updated', async () => {
  const reads: string[] = [];
  const refs = memoryRefs(reads);
  const { posts, updates, post, update } = platform();
  // The replica that claimed the attempt: no read, one post, the id kept for the others.
  await new UpdatableMessages().show(refs, 'k', false, post('running 0 s'), update('running 0 s'), true);
  expect(reads).toEqual([]);
  expect(posts).toEqual(['running 0 s']);
  // Another replica (or this one after a restart) shows the same line: it looks it up and updates it.
  await new UpdatableMessages().show(refs, 'k', true, post('done'), update('done'));
  expect(reads).toEqual(['slack:progress:k']);
  expect(posts).toEqual(['running 0 s']);
  expect(updates).toEqual(['ts-1 done']);
});

test('an unposted first post that failed is not trusted later: the next show looks the line up, then posts it', async () => {
  const reads: string[] = [];
  const refs = memoryRefs(reads);
  const lines = new UpdatableMessages();
  const { posts, post, update } = platform(1);
  await expect(
    lines.show(refs, 'k', false, post('running 0 s'), update('running 0 s'), true),
  ).rejects.toThrow('slack said 500');
  expect(reads).toEqual([]);
  await lines.show(refs, 'k', false, post('running 10 s'), update('running 10 s'));
  expect(reads).toEqual(['slack:progress:k']);
  expect(posts).toEqual(['running 0 s', 'running 10 s']);
  expect(await refs.get('k')).toBe('ts-2');
});

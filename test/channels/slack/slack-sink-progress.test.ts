import { LogLevel, WebClient } from '@slack/web-api';
import type { MessageRefStore } from '../../../src/channels/message-refs';
import { createSlackSink } from '../../../src/channels/slack/slack-sink';
import type { Delivery, OutMessage } from '../../../src/engine/messages';
import { FakeSlack } from '../../support/slack/fake-slack-api';

/**
 * A step's "running" line through the Slack sink and the real Web API client, against the
 * fake Web API: the first show of an attempt just claimed (`unposted`) posts without asking
 * the store for the line's ts; a show that may follow someone else's post asks, and updates
 * the line it finds instead of posting another.
 */
let slack: FakeSlack;
let apiUrl: string;

beforeEach(async () => {
  slack = new FakeSlack();
  apiUrl = await slack.start();
});
afterEach(async () => {
  await slack.stop();
});

/** The refs store replicas share, counting its reads. */
function sharedRefs() {
  const kept = new Map<string, string>();
  const reads: string[] = [];
  const store: MessageRefStore = {
    getRef: async (key) => {
      reads.push(key);
      return kept.get(key);
    },
    setRef: async (key, value) => void kept.set(key, value),
  };
  return { store, reads };
}

/** One replica's Slack sink. */
function replica(refs: MessageRefStore) {
  return createSlackSink({
    client: new WebClient('xoxb-test', { slackApiUrl: apiUrl, logLevel: LogLevel.ERROR }),
    refs,
    rememberThread: async () => {},
    userLocale: async () => 'en',
    ephemeral: async () => undefined,
    publicUrl: undefined,
  });
}

function progress(done: boolean, extra: Partial<OutMessage & { kind: 'progress' }> = {}): Delivery {
  return {
    incidentId: 'inc-1',
    channel: { platform: 'slack', channel: 'C_OPS', thread: '1.000100' },
    locale: 'en',
    vm: { subscriptionId: 'sub', resourceGroup: 'rg', name: 'vm1' },
    message: {
      kind: 'progress',
      key: 'inc-1:diagnose:1:progress',
      stepId: 'diagnose',
      text: { en: done ? 'Diagnose succeeded' : 'Running Diagnose… 0 s', it: '…' },
      elapsedMs: 0,
      done,
      ...extra,
    },
  };
}

test('an unposted line is posted without a store read; the result on another replica reads it and updates it', async () => {
  const refs = sharedRefs();
  await replica(refs.store)(progress(false, { unposted: true }));
  expect(refs.reads).toEqual([]);
  const [posted] = slack.of('chat.postMessage');
  expect(posted?.args).toMatchObject({ channel: 'C_OPS', thread_ts: '1.000100' });

  await replica(refs.store)(progress(true));
  expect(refs.reads).toEqual(['slack:progress:inc-1:diagnose:1:progress']);
  expect(slack.of('chat.postMessage')).toHaveLength(1);
  expect(slack.of('chat.update').map((c) => c.args.ts)).toEqual([posted?.answer?.ts]);
});

test('a line that may exist (a resumed attempt) is looked up first and updated, not posted twice', async () => {
  const refs = sharedRefs();
  await replica(refs.store)(progress(false));
  await replica(refs.store)(progress(false));
  expect(refs.reads).toHaveLength(2);
  expect(slack.of('chat.postMessage')).toHaveLength(1);
  expect(slack.of('chat.update')).toHaveLength(1);
});

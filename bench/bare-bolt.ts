import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, ExpressReceiver, LogLevel } from '@slack/bolt';
import { SigningSecret } from '../test/support/slack/slack-requests';

/**
 * A Bolt app that only acks: the floor any Slack app on this machine pays. Forked by
 * slack-bench.ts, so that it runs in a process of its own as rdp-fix's server does.
 */
async function main(): Promise<void> {
  const receiver = new ExpressReceiver({
    signingSecret: SigningSecret,
    endpoints: '/slack/events',
    logLevel: LogLevel.ERROR,
  });
  // botId/botUserId given: Bolt then never calls auth.test (which would go to slack.com).
  const app = new App({
    token: 'xoxb-bare',
    botId: 'B_BARE',
    botUserId: 'U_BARE',
    receiver,
    tokenVerificationEnabled: false,
    logLevel: LogLevel.ERROR,
  });
  app.command('/rdp-fix', async ({ ack }) => ack());
  app.action(/.*/, async ({ ack }) => ack());
  const server: Server = createServer(receiver.app as unknown as Parameters<typeof createServer>[1]);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  process.send?.({ ready: { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` } });
  process.once('disconnect', () => server.close(() => process.exit(0)));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

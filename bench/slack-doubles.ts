import { ArmSimulator } from '../src/simulator/arm-simulator';
import { FakeSlack } from '../test/support/slack/fake-slack-api';

/**
 * Azure and Slack for the Slack benchmark, in a process of their own (forked by
 * slack-bench.ts): in production both are remote, so their CPU must not share the event loop
 * of the server being measured, nor that of the client timing its acks. Every Slack Web API
 * call is sent to the parent as it is answered, so that its SlackDriver sees the cards.
 *
 * argv: subscription id, then the VM names (each name starts with its scenario).
 */
async function main(): Promise<void> {
  const [subscriptionId, ...names] = process.argv.slice(2);
  if (!subscriptionId || !process.send) throw new Error('run by slack-bench.ts (fork) only');
  // Azure's waits scaled down as in the replicas benchmark: the figures are about this app, not Azure.
  const arm = new ArmSimulator({ subscriptionId, latencyScale: 0.005, vms: [] });
  for (const name of names) arm.addVm({ name, resourceGroup: 'rg-bench' });
  const slack = new FakeSlack();
  slack.onAnswer = (call) => process.send?.({ call });
  const armUrl = await arm.listen();
  const slackUrl = await slack.start();
  process.send({ ready: { armUrl, slackUrl } });
  // The parent ends the run by disconnecting (or by dying): nothing outlives it.
  process.once('disconnect', () => {
    void Promise.all([arm.close(), slack.stop()]).finally(() => process.exit(0));
  });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

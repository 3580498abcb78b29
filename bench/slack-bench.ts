import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, ExpressReceiver, LogLevel } from '@slack/bolt';
import { loadConfig } from '../src/config';
import { silentLogger } from '../src/core/logger';
import { startServer } from '../src/server';
import { FakeSlack } from '../test/support/slack/fake-slack-api';
import { buttonClick, SigningSecret, signed, slashCommand } from '../test/support/slack/slack-requests';
import { type BenchRow, percentile } from './stats';

const InFlight = 100;
/**
 * Requests before the measured ones, on both apps: the first requests a process serves run
 * its code paths cold (compiled on first use, in the app the engine's, the Slack client's and
 * the Azure SDK's on the way to the first card), and those of the bare app ran warm after the
 * app's. Without them the slowest acks were the first few, whichever app.
 */
const WarmUp = 5;

async function timedPost(url: string, body: string): Promise<number> {
  const started = performance.now();
  const res = await fetch(url, { method: 'POST', headers: signed(body), body });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
  return performance.now() - started;
}

/** A Bolt app that only acks: the floor any Slack app on this machine pays. */
async function bareBolt(): Promise<{ url: string; close: () => Promise<void> }> {
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
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/**
 * Ack latency of slash commands and button clicks with 100 incidents in flight, next to a
 * bare Bolt app that only acks, in the same run on the same machine.
 */
export async function benchSlackAcks(): Promise<BenchRow[]> {
  const slack = new FakeSlack();
  const apiUrl = await slack.start();
  // One simulated VM per incident, so that the incidents do not queue behind each other's Run Commands.
  const dir = mkdtempSync(join(tmpdir(), 'rdpfix-slack-bench-'));
  const inventory = join(dir, 'inventory.json');
  writeFileSync(
    inventory,
    JSON.stringify(
      Array.from({ length: InFlight + WarmUp }, (_, i) => ({
        name: `vm-${i}`,
        resourceGroup: 'rg-bench',
        scenario: 'sim-all-three',
      })),
    ),
  );
  const server = await startServer(
    loadConfig({
      PORT: '0',
      DATABASE_URL: 'memory:',
      RDPFIX_SIM_LATENCY_SCALE: '0',
      // Local mode's polling; Azure asks for seconds. The simulator shares this process.
      RDPFIX_POLL_INTERVAL_MS: '200',
      RDPFIX_APPROVERS: 'U_BOB',
      SLACK_SIGNING_SECRET: SigningSecret,
      SLACK_BOT_TOKEN: 'xoxb-bench',
      SLACK_API_URL: apiUrl,
      RDPFIX_SIM_INVENTORY: inventory,
    }),
    silentLogger,
  );
  const url = `${server.url}/slack/events`;
  // Every message carries blocks (verbatim text): a card is one with buttons.
  const isCard = (a: Record<string, unknown>) =>
    Array.isArray(a.blocks) && (a.blocks as { type: string }[]).some((b) => b.type === 'actions');
  const cardsPosted = async (n: number) => {
    const end = Date.now() + 60_000;
    while (slack.of('chat.postMessage', isCard).length < n && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  // Warm-up incidents (not measured, their cards not clicked): the last VMs of the inventory.
  for (let i = InFlight; i < InFlight + WarmUp; i++) await timedPost(url, slashCommand(`vm-${i}`));
  await cardsPosted(WarmUp);
  await server.runtime.engine.idle();
  const commandMs: number[] = [];
  for (let i = 0; i < InFlight; i++) commandMs.push(await timedPost(url, slashCommand(`vm-${i}`)));
  // Wait until every incident shows its first card, then click approve on each.
  await cardsPosted(InFlight + WarmUp);
  const cards = slack.of('chat.postMessage', isCard).slice(WarmUp);
  const clickMs: number[] = [];
  const settledClickMs: number[] = [];
  for (const [n, card] of cards.entries()) {
    const blocks = card.args.blocks as { type: string; elements?: { action_id: string; value: string }[] }[];
    const approve = blocks
      .find((b) => b.type === 'actions')
      ?.elements?.find((e) => e.action_id === 'rdpfix_approve');
    if (!approve) continue;
    // Half the clicks back to back (the previous click's work still running), half once it settled.
    if (n % 2 === 0) clickMs.push(await timedPost(url, buttonClick(approve.action_id, approve.value)));
    else {
      await server.runtime.engine.idle();
      settledClickMs.push(await timedPost(url, buttonClick(approve.action_id, approve.value)));
    }
  }
  await server.runtime.engine.idle();
  await server.close();
  await slack.stop();
  rmSync(dir, { recursive: true, force: true });

  const bare = await bareBolt();
  const bareCommandMs: number[] = [];
  const bareClickMs: number[] = [];
  for (let i = 0; i < WarmUp; i++) {
    await timedPost(bare.url, slashCommand(`vm-${i}`));
    await timedPost(bare.url, buttonClick('rdpfix_approve', '{"i":"x","s":"diagnose","a":1}'));
  }
  for (let i = 0; i < InFlight; i++) bareCommandMs.push(await timedPost(bare.url, slashCommand(`vm-${i}`)));
  for (let i = 0; i < InFlight; i++)
    bareClickMs.push(
      await timedPost(bare.url, buttonClick('rdpfix_approve', '{"i":"x","s":"diagnose","a":1}')),
    );
  await bare.close();

  const row = (name: string, ms: number[], bareMs: number[]): BenchRow => {
    const p99 = percentile(ms, 99);
    const ratio = Math.round((p99 / percentile(bareMs, 99)) * 100) / 100;
    return {
      name,
      figures: {
        p50_ms: percentile(ms, 50),
        p99_ms: p99,
        bare_bolt_p50_ms: percentile(bareMs, 50),
        bare_bolt_p99_ms: percentile(bareMs, 99),
        p99_ratio: ratio,
      },
      target: 'p99 < 100 ms and ≤ 1.5× bare Bolt',
      ok: p99 < 100 && ratio <= 1.5,
    };
  };
  return [
    row(
      `Slack slash command ack, back to back (${commandMs.length} after ${WarmUp} warm-up, up to ${InFlight + WarmUp} incidents open)`,
      commandMs,
      bareCommandMs,
    ),
    row(
      `Slack button click ack, back to back (${clickMs.length}, ${InFlight + WarmUp} incidents open)`,
      clickMs,
      bareClickMs,
    ),
    row(
      `Slack button click ack, previous work settled (${settledClickMs.length}, ${InFlight + WarmUp} incidents open)`,
      settledClickMs,
      bareClickMs,
    ),
  ];
}

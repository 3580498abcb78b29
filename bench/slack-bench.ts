import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { until as waitUntil } from '../test/helpers/until';
import { ReplicaProcess } from '../test/support/replica-process';
import type { SlackCall } from '../test/support/slack/fake-slack-api';
import { post, SlackDriver } from '../test/support/slack/slack-driver';
import { buttonClick, SigningSecret, slashCommand } from '../test/support/slack/slack-requests';
import { type BenchRow, percentile } from './stats';

const Subscription = '00000000-0000-4000-8000-0000000000b5';
/**
 * Incidents opened by measured slash commands (half back to back, half settled): 100 a row.
 * A p99 of 50 samples was nearly the maximum, so one slow ack decided the row, in either app
 * (the bare app's p99 moved between 6.8 and 15.8 ms across runs). `BENCH_SLACK_INCIDENTS`
 * changes it.
 */
const InFlight = Number(process.env.BENCH_SLACK_INCIDENTS ?? 200);
/**
 * Requests before the measured ones, on both apps: the first requests a process serves run
 * its code paths cold (compiled on first use, in the app the engine's, the Slack client's and
 * the Azure SDK's on the way to the first card). Without them the slowest acks were the first
 * few, whichever app.
 */
const WarmUp = 5;
/** After a thread shows its card, the time left for the work behind it (outbox, refs) to end. */
const SettleMs = 50;

/**
 * Forks a bench process and waits (bounded) for its `ready` message. The child is added to
 * `children` at once, so that the caller stops it whatever happens next (a child left running
 * keeps this process, and `npm run bench`, waiting forever on its IPC channel).
 */
async function forkReady<T>(
  children: ChildProcess[],
  script: string,
  args: string[],
  onMessage?: (m: unknown) => void,
) {
  const child = fork(join(__dirname, script), args, { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  children.push(child);
  const ready = await new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} not ready in 30 s`)), 30_000);
    child.on('message', (m: { ready?: T }) => {
      if (m.ready) {
        clearTimeout(timer);
        resolve(m.ready);
      } else onMessage?.(m);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited (${code ?? signal})`));
    });
  });
  return { child, ready };
}

/** Ends a bench process: by closing its IPC channel (it then exits by itself), else by a signal. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  if (child.connected) child.disconnect();
  else child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** A request's ack time; an answer other than 200 stops the benchmark (a fast error is no ack). */
function acked(sent: { status: number; ms: number }): number {
  if (sent.status !== 200) throw new Error(`HTTP ${sent.status} from the server`);
  return sent.ms;
}

/** Waits (bounded, 60 s) until a condition holds. */
const until = (what: string, holds: () => boolean) => waitUntil(what, () => holds() || undefined, 60_000);

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Ack latency of slash commands and button clicks with 200 incidents in flight, next to a
 * bare Bolt app that only acks, in the same run on the same machine. As in production, three
 * processes: the server (`node dist/src/main.js`, SQLite, Azure mode), Azure and Slack
 * (slack-doubles.ts: the ARM simulator and the fake Web API), and this one, which plays Slack
 * sending requests and times each until its response arrived. Until 2026-12 all three shared
 * one event loop, so each ack also waited for the simulator's and the fake Slack's work and,
 * worse, the client read its response only after the server's post-ack work had run.
 */
export async function benchSlackAcks(): Promise<BenchRow[]> {
  const names = Array.from({ length: InFlight + WarmUp }, (_, i) => `sim-all-three-s${i}`);
  const calls: SlackCall[] = [];
  const children: ChildProcess[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'rdpfix-slack-bench-'));
  let server: ReplicaProcess | undefined;
  try {
    const doubles = await forkReady<{ armUrl: string; slackUrl: string }>(
      children,
      'slack-doubles.js',
      [Subscription, ...names],
      (m) => {
        const call = (m as { call?: SlackCall }).call;
        if (call) calls.push(call);
      },
    );
    const driver = new SlackDriver({ calls });
    server = await ReplicaProcess.start('slack-bench', {
      DATABASE_URL: `sqlite:${join(dir, 'bench.db')}`,
      AZURE_SUBSCRIPTION_ID: Subscription,
      AZURE_ARM_ENDPOINT: doubles.ready.armUrl,
      RDPFIX_POLL_INTERVAL_MS: '200',
      RDPFIX_APPROVERS: 'U_BOB',
      // One requester opens all 105: above Azure mode's per-user limit (5).
      RDPFIX_MAX_OPEN_PER_USER: '1000',
      SLACK_SIGNING_SECRET: SigningSecret,
      SLACK_BOT_TOKEN: 'xoxb-bench',
      SLACK_API_URL: doubles.ready.slackUrl,
      // BENCH_CPU_PROF_DIR=<dir>: the server writes a V8 CPU profile there when it stops.
      ...(process.env.BENCH_CPU_PROF_DIR
        ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${process.env.BENCH_CPU_PROF_DIR}` }
        : {}),
    });
    const base = server.url;
    const card = (vm: string) => driver.openCard(vm);
    // Warm-up incidents (not measured, their cards not clicked): the last VMs.
    for (const vm of names.slice(InFlight)) acked(await driver.start(base, vm));
    await until('the warm-up cards', () => names.slice(InFlight).every((vm) => card(vm)));
    await pause(SettleMs);
    // Half the slash commands back to back (the previous one's work still running), half once it settled.
    const commandMs: number[] = [];
    const settledCommandMs: number[] = [];
    for (const [n, vm] of names.slice(0, InFlight).entries()) {
      if (n % 2 === 0) commandMs.push(acked(await driver.start(base, vm)));
      else {
        await until(`the card of ${names[n - 1]}`, () => card(names[n - 1]!) !== undefined);
        await pause(SettleMs);
        settledCommandMs.push(acked(await driver.start(base, vm)));
      }
    }
    await until('every first card', () => names.every((vm) => card(vm)));
    await pause(SettleMs);
    // The same for the clicks approving each diagnosis.
    const clickMs: number[] = [];
    const settledClickMs: number[] = [];
    for (const [n, vm] of names.slice(0, InFlight).entries()) {
      if (n % 2 === 0) {
        const click = await driver.clickOpenCard(base, vm);
        if (click) clickMs.push(acked(click));
      } else {
        // The previous click's work ends with its next card (after a Run Command).
        const previous = names[n - 1]!;
        await until(`the next card of ${previous}`, () => (driver.thread(previous)?.cards.length ?? 0) >= 2);
        await pause(SettleMs);
        const click = await driver.clickOpenCard(base, vm);
        if (click) settledClickMs.push(acked(click));
      }
    }
    await until('the diagnoses to end', () =>
      names.slice(0, InFlight).every((vm) => (driver.thread(vm)?.cards.length ?? 0) >= 2),
    );
    // The bare app is measured alone: the server and the doubles are stopped first, so that
    // neither app's figure includes the other's background work.
    await server.stop();
    server = undefined;
    await stopChild(doubles.child);

    const bare = await forkReady<{ url: string }>(children, 'bare-bolt.js', []);
    const bareCommandMs: number[] = [];
    const bareClickMs: number[] = [];
    const click = buttonClick('rdpfix_approve', '{"i":"x","s":"diagnose","a":1}');
    for (let i = 0; i < WarmUp; i++) {
      acked(await post(bare.ready.url, slashCommand(names[i]!)));
      acked(await post(bare.ready.url, click));
    }
    for (const vm of names.slice(0, InFlight))
      bareCommandMs.push(acked(await post(bare.ready.url, slashCommand(vm))));
    for (let i = 0; i < InFlight; i++) bareClickMs.push(acked(await post(bare.ready.url, click)));

    const row = (name: string, ms: number[], bareMs: number[], targeted: boolean): BenchRow => {
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
        ...(targeted ? { target: 'p99 ≤ 2× bare Bolt', ok: ratio <= 2 } : {}),
      };
    };
    const open = `${InFlight + WarmUp} incidents open`;
    return [
      row(
        `Slack slash command ack, back to back (${commandMs.length}, up to ${open})`,
        commandMs,
        bareCommandMs,
        true,
      ),
      row(
        `Slack slash command ack, previous work settled (${settledCommandMs.length}, up to ${open})`,
        settledCommandMs,
        bareCommandMs,
        true,
      ),
      row(`Slack button click ack, back to back (${clickMs.length}, ${open})`, clickMs, bareClickMs, false),
      row(
        `Slack button click ack, previous work settled (${settledClickMs.length}, ${open})`,
        settledClickMs,
        bareClickMs,
        false,
      ),
    ];
  } finally {
    await server?.stop();
    for (const child of children) await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
  }
}

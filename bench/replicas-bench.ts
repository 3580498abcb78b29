import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { ArmSimulator } from '../src/simulator/arm-simulator';
import type { IncidentStore } from '../src/store/incident-store';
import { PostgresIncidentStore } from '../src/store/postgres-store';
import { SqliteIncidentStore } from '../src/store/sqlite-store';
import { ReplicaProcess } from '../test/support/replica-process';
import { FakeSlack } from '../test/support/slack/fake-slack-api';
import { SlackDriver } from '../test/support/slack/slack-driver';
import { SigningSecret } from '../test/support/slack/slack-requests';
import { type BenchRow, percentile } from './stats';

const Subscription = '00000000-0000-4000-8000-0000000000be';
const PgUrl = process.env.RDPFIX_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
/** Incidents driven at once (people working several threads). */
const Concurrency = 50;

interface Setup {
  name: string;
  replicas: number;
  databaseUrl: string;
  open(): Promise<IncidentStore>;
  cleanup(): Promise<void>;
}

/**
 * Incidents driven end to end through the Slack endpoint (slash command, then each card's
 * button) against the ARM simulator with scaled-down latency, the same load on one replica
 * with SQLite and on two replicas with PostgreSQL. The driver, the simulator and the fake
 * Slack run in this process; the replicas are `node dist/src/main.js` processes.
 */
export async function benchReplicas(
  incidents = Number(process.env.BENCH_INCIDENTS ?? 500),
): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'rdpfix-replicas-bench-'));
  const schema = `rdpfix_bench_${process.pid}`;
  const setups: Setup[] = [
    {
      name: '1 replica, SQLite',
      replicas: 1,
      databaseUrl: `sqlite:${join(dir, 'bench.db')}`,
      open: async () => new SqliteIncidentStore(join(dir, 'bench.db')),
      cleanup: async () => undefined,
    },
    {
      name: '2 replicas, PostgreSQL',
      replicas: 2,
      databaseUrl: `${PgUrl}?schema=${schema}`,
      open: async () => new PostgresIncidentStore(PgUrl, schema),
      cleanup: async () => {
        const client = new Client({ connectionString: PgUrl });
        await client.connect();
        await client.query(`drop schema if exists ${schema} cascade`);
        await client.end();
      },
    },
  ];
  const rows: BenchRow[] = [];
  // BENCH_REPLICA_SETUPS=postgres runs only the setups whose name contains a listed word (a
  // before/after comparison of the PostgreSQL store needs only that half).
  const only = (process.env.BENCH_REPLICA_SETUPS ?? '').toLowerCase().split(',').filter(Boolean);
  const chosen = setups.filter(
    (s) => only.length === 0 || only.some((w) => s.name.toLowerCase().includes(w)),
  );
  try {
    for (const setup of chosen) rows.push(await runSetup(setup, incidents));
    const [one, two] = rows;
    if (one && two && chosen.length === 2) {
      // Issue 20: a second replica must add capacity, not take it away.
      const ratio = (two.figures.incidents_per_minute ?? 0) / (one.figures.incidents_per_minute ?? 1);
      rows.push({
        name: `incidents per minute, ${chosen[1]!.name} ÷ ${chosen[0]!.name}`,
        figures: { incidents_per_minute_ratio: Math.round(ratio * 100) / 100 },
        target: '≥ 1.0 on 2 cores',
        ok: ratio >= 1,
      });
    }
  } finally {
    for (const setup of setups) await setup.cleanup().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

async function runSetup(setup: Setup, incidents: number): Promise<BenchRow> {
  const arm = new ArmSimulator({ subscriptionId: Subscription, latencyScale: 0.005 });
  const names = Array.from({ length: incidents }, (_, i) => `sim-port-stoppable-b${i}`);
  for (const name of names) arm.addVm({ name, resourceGroup: 'rg-bench' });
  const armUrl = await arm.listen();
  const slack = new FakeSlack();
  const slackUrl = await slack.start();
  const driver = new SlackDriver(slack);
  const env = {
    DATABASE_URL: setup.databaseUrl,
    AZURE_SUBSCRIPTION_ID: Subscription,
    AZURE_ARM_ENDPOINT: armUrl,
    RDPFIX_POLL_INTERVAL_MS: '100',
    RDPFIX_APPROVERS: 'U_BOB',
    // One requester opens all 500 (50 at a time): above the per-user limit of Azure mode (5),
    // which would refuse 45 of every 50 starts and leave the driver waiting for their threads.
    RDPFIX_MAX_OPEN_PER_USER: '1000',
    SLACK_SIGNING_SECRET: SigningSecret,
    SLACK_BOT_TOKEN: 'xoxb-bench',
    SLACK_API_URL: slackUrl,
  };
  const replicas: ReplicaProcess[] = [];
  try {
    for (let i = 0; i < setup.replicas; i++) replicas.push(await ReplicaProcess.start(`bench-${i}`, env));
    return await driveSetup(setup, names, replicas, driver);
  } finally {
    // Also when the run failed: a replica, the simulator or the fake Slack left running keeps
    // this process alive, and the suite then hangs instead of reporting its error.
    for (const r of replicas) await r.stop().catch(() => r.kill());
    await arm.close();
    await slack.stop();
  }
}

async function driveSetup(
  setup: Setup,
  names: string[],
  replicas: ReplicaProcess[],
  driver: SlackDriver,
): Promise<BenchRow> {
  const incidents = names.length;
  const ackMs: number[] = [];
  let turn = 0;
  const next = () => replicas[turn++ % replicas.length]!.url;
  const drive = async (vm: string) => {
    const started = await driver.start(next(), vm);
    ackMs.push(started.ms);
    const clicked = new Set<string>();
    const deadline = Date.now() + 300_000;
    while (Date.now() < deadline) {
      const thread = driver.thread(vm);
      if (thread?.summary) return;
      const card = driver.openCard(vm);
      if (card && !clicked.has(card.ts)) {
        clicked.add(card.ts);
        const click = await driver.clickOpenCard(next(), vm);
        if (click) ackMs.push(click.ms);
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const seen = driver.thread(vm);
    throw new Error(
      `incident for ${vm} did not end within 5 minutes; its thread: ${JSON.stringify(
        seen && { cards: seen.cards, texts: seen.texts.length, summary: seen.summary },
      )}`,
    );
  };

  // CPU the system under test spent (the replicas, and PostgreSQL's backends serving them),
  // per incident: steadier than the rate, which moves with whatever else the 2 cores run.
  const cpuBefore = replicas.map((r) => cpuSeconds(r.pid));
  const backendCpuBefore = new Map((await backendPids(setup)).map((pid) => [pid, cpuSeconds(pid)]));
  const began = performance.now();
  let index = 0;
  const peakRss = replicas.map(() => 0);
  const sampler = setInterval(() => {
    for (const [i, r] of replicas.entries()) peakRss[i] = Math.max(peakRss[i]!, rssMb(r.pid));
  }, 200);
  // After one failure the others take no new incident: the run reports that failure.
  let failed = false;
  await Promise.all(
    Array.from({ length: Concurrency }, async () => {
      while (!failed && index < names.length)
        await drive(names[index++]!).catch((err: unknown) => {
          failed = true;
          throw err;
        });
    }),
  );
  const minutes = (performance.now() - began) / 60_000;
  clearInterval(sampler);
  for (const [i, r] of replicas.entries()) peakRss[i] = Math.max(peakRss[i]!, peakRssMb(r.pid));

  const replicaCpu = replicas.reduce((a, r, i) => a + cpuSeconds(r.pid) - cpuBefore[i]!, 0);
  // Backends opened during the run are counted from zero (the pool keeps its connections under load).
  let backendCpu = 0;
  for (const pid of await backendPids(setup))
    backendCpu += cpuSeconds(pid) - (backendCpuBefore.get(pid) ?? 0);
  const saves = await Promise.all(replicas.map((r) => saveTimes(r.url)));
  const saveSum = saves.reduce((a, s) => a + s.sum, 0);
  const saveCount = saves.reduce((a, s) => a + s.count, 0);
  // PostgreSQL only: every statement the replicas sent (background rounds included), per incident.
  const statements = saves.reduce((a, s) => a + s.statements, 0);
  for (const r of replicas) await r.stop();

  // Lost: an incident without its summary or a message never delivered. Duplicated: a
  // thread with more cards or summaries than its transcript has.
  const store = await setup.open();
  let lost = (await store.outboxDepth()) + names.filter((n) => !driver.thread(n)?.summary).length;
  let duplicated = 0;
  for (const name of names) {
    const thread = driver.thread(name);
    const [incident] = await store.list({ vmName: name });
    if (!thread || !incident) continue;
    const cards = (await store.transcript(incident.id)).filter(
      (e) => e.kind === 'message.posted' && (e.data.message as { kind?: string }).kind === 'stepCard',
    ).length;
    duplicated += Math.max(0, thread.cards.length - cards) + Math.max(0, thread.summaries - 1);
    lost += Math.max(0, cards - thread.cards.length);
  }
  await store.close();
  return {
    name: `${incidents} incidents end to end through Slack, ${setup.name} (${Concurrency} at a time)`,
    figures: {
      incidents_per_minute: Math.round(incidents / minutes),
      ack_p50_ms: percentile(ackMs, 50),
      ack_p99_ms: percentile(ackMs, 99),
      db_ms_per_transition: Math.round((saveSum / Math.max(1, saveCount)) * 1_000_000) / 1000,
      transitions: saveCount,
      replica_cpu_ms_per_incident: Math.round((replicaCpu * 1000) / incidents),
      ...(backendCpu > 0
        ? { postgres_cpu_ms_per_incident: Math.round((backendCpu * 1000) / incidents) }
        : {}),
      ...(statements > 0 ? { statements_per_incident: Math.round((statements / incidents) * 10) / 10 } : {}),
      ...Object.fromEntries(peakRss.map((mb, i) => [`peak_rss_mb_replica_${i + 1}`, mb])),
      messages_lost: lost,
      messages_duplicated: duplicated,
    },
    // The targets: acks well inside Slack's 3 s on one replica, and a store that does not
    // make the PostgreSQL replicas wait (store time per transition).
    ...(setup.replicas === 1
      ? {
          target: '0 messages lost or duplicated, ack p99 < 250 ms',
          ok: lost === 0 && duplicated === 0 && percentile(ackMs, 99) < 250,
        }
      : {
          target: '0 messages lost or duplicated, ≤ 10 ms store time per transition',
          ok: lost === 0 && duplicated === 0 && saveSum / Math.max(1, saveCount) <= 0.01,
        }),
  };
}

/** The sum and count of the transition-save histogram a replica exposes at /metrics, and its statement count. */
async function saveTimes(url: string): Promise<{ sum: number; count: number; statements: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const value = (name: string) => Number(new RegExp(`^${name} ([0-9.e+-]+)$`, 'm').exec(text)?.[1] ?? 0);
  return {
    sum: value('rdpfix_transition_save_seconds_sum'),
    count: value('rdpfix_transition_save_seconds_count'),
    statements: value('rdpfix_store_statements_total'),
  };
}

/** PostgreSQL's backends serving this setup's replicas (their pool names them, connection.ts); none on SQLite. */
async function backendPids(setup: Setup): Promise<number[]> {
  if (!setup.databaseUrl.startsWith('postgres')) return [];
  const schema = new URL(setup.databaseUrl).searchParams.get('schema') ?? 'public';
  const client = new Client({ connectionString: PgUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>(
      'select pid from pg_stat_activity where application_name = $1',
      [`rdp-fix:${schema}`],
    );
    return rows.map((r) => r.pid);
  } finally {
    await client.end();
  }
}

/** User + system CPU seconds of a process (proc(5): utime and stime, fields 14 and 15, in clock ticks). */
function cpuSeconds(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces: count from the closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / ClockTicks;
  } catch {
    return 0;
  }
}

/** sysconf(_SC_CLK_TCK) is 100 on Linux (x86-64 and arm64 kernels, USER_HZ). */
const ClockTicks = 100;

/** Resident memory now and its peak (VmHWM), from /proc, in MB. */
function rssMb(pid: number | undefined): number {
  return procStatus(pid, 'VmRSS');
}

function peakRssMb(pid: number | undefined): number {
  return procStatus(pid, 'VmHWM');
}

function procStatus(pid: number | undefined, field: string): number {
  if (!pid) return 0;
  try {
    const kb = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(
      readFileSync(`/proc/${pid}/status`, 'utf8'),
    )?.[1];
    return kb ? Math.round(Number(kb) / 102.4) / 10 : 0;
  } catch {
    return 0;
  }
}

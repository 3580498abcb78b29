import { spawnSync } from 'node:child_process';
import { type BenchRow, printTable } from './stats';

/**
 * `npm run bench`: one table of every benchmark. Each suite runs in a fresh Node process so
 * that one suite's garbage does not show up in the next one's memory figures. Figures are
 * measured here, in this run; nothing is asserted (shared machines are noisy).
 */
// Each suite loads only its own modules: the memory figures must not include Slack or Azure code.
const suites: Record<string, () => Promise<BenchRow[]>> = {
  transitions: async () =>
    (await import('./core-bench')).benchTransitions(Number(process.env.BENCH_TRANSITIONS ?? 10_000)),
  memory: async () =>
    (await import('./core-bench')).benchOpenIncidents(Number(process.env.BENCH_OPEN_INCIDENTS ?? 1_000)),
  scenarios: async () => (await import('./scenario-bench')).benchScenarios(),
  offline: async () => (await import('./offline-bench')).benchOffline(),
  slack: async () => (await import('./slack-bench')).benchSlackAcks(),
  replicas: async () => (await import('./replicas-bench')).benchReplicas(),
  hops: async () => (await import('./hops-bench')).benchHops(),
};

/**
 * Suites and the V8 flags they run with: Node's defaults (not even `--expose-gc`: the memory
 * figure is the process as `npm start` runs it) and, for comparison, the memory suite with a
 * small young generation.
 */
const plan: { suite: string; flags: string[] }[] = [
  { suite: 'transitions', flags: [] },
  { suite: 'memory', flags: [] },
  { suite: 'memory', flags: ['--max-semi-space-size=2'] },
  { suite: 'scenarios', flags: [] },
  { suite: 'offline', flags: [] },
  { suite: 'slack', flags: [] },
  { suite: 'replicas', flags: [] },
  { suite: 'hops', flags: [] },
];

async function child(suite: string): Promise<void> {
  const run = suites[suite];
  if (!run) throw new Error(`unknown suite ${suite}`);
  process.stdout.write(JSON.stringify(await run()));
}

function parent(only: string | undefined): void {
  const rows: BenchRow[] = [];
  for (const { suite, flags } of plan) {
    if (only && only !== suite) continue;
    process.stderr.write(`running ${suite} ${flags.join(' ')}…\n`);
    const result = spawnSync(process.execPath, [...flags, __filename, '--child', suite], {
      encoding: 'utf8',
      maxBuffer: 16 * 1024 * 1024,
    });
    if (result.status !== 0) throw new Error(`${suite} failed:\n${result.stderr}`);
    process.stderr.write(result.stderr);
    const suffix = flags.length ? ` [node ${flags.join(' ')}]` : '';
    rows.push(...(JSON.parse(result.stdout) as BenchRow[]).map((r) => ({ ...r, name: r.name + suffix })));
  }
  console.log(`rdp-fix benchmarks — node ${process.version}, ${new Date().toISOString()}`);
  printTable(rows);
}

const [flag, suite] = process.argv.slice(2);
if (flag === '--child' && suite) {
  child(suite).catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
} else {
  try {
    parent(flag);
  } catch (err) {
    console.error(err);
    process.exitCode = 1;
  }
}

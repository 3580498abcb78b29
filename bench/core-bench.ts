import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getHeapSpaceStatistics } from 'node:v8';
import type { User } from '../src/core/types';
import { contextOf, IncidentEngine } from '../src/engine/incident-engine';
import { stepOfState } from '../src/playbook/compile-playbook';
import { loadPlaybook } from '../src/playbook/load-playbook';
import { settleMemoryWhenQuiet } from '../src/settle-memory';
import type { IncidentStore } from '../src/store/incident-store';
import { openStore } from '../src/store/open-store';
import { SqliteIncidentStore } from '../src/store/sqlite-store';
import { card, policyWith, testConversation } from '../test/helpers/engine-harness';
import { SimulatedVmOperations } from '../test/support/simulated-vm-operations';
import { type BenchRow, percentile } from './stats';

const requester: User = { id: 'U_REQ', name: 'requester' };
const approver: User = { id: 'U_APP', name: 'approver' };

const playbook = loadPlaybook(join(__dirname, '..', '..', 'dialogs', 'rdp-internal-error'));

function makeEngine(store: IncidentStore) {
  return new IncidentEngine({
    store,
    playbooks: [playbook],
    vm: new SimulatedVmOperations(),
    policy: policyWith([approver.id], false, { ttlMs: 3_600_000 }),
    sink: () => {},
    progressIntervalMs: 0,
  });
}

async function start(engine: IncidentEngine, vm: string): Promise<string> {
  const r = await engine.handle({
    type: 'start',
    vm: { subscriptionId: 'bench', resourceGroup: 'rg-bench', name: vm },
    requester,
    // The conversation the decisions below come from (`card()`'s origin): a decision from any
    // other is refused (issue 17).
    channel: testConversation,
    locale: 'en',
  });
  if (!r.ok) throw new Error(r.message.en);
  return r.incidentId;
}

/**
 * Transition + persist cost on SQLite: each person's command is timed from the call to the
 * saved transition (load, check, run the machine, save snapshot + hash-chained entries).
 * Dispatch results arriving from the simulated VM are transitions too and are timed the same
 * way through the store's save.
 */
export async function benchTransitions(target = 10_000): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'rdpfix-bench-'));
  const store = new SqliteIncidentStore(join(dir, 'bench.db'));
  const saveTimes: number[] = [];
  const save = store.save.bind(store);
  store.save = async (...args) => {
    const t = performance.now();
    try {
      return await save(...args);
    } finally {
      saveTimes.push(performance.now() - t);
    }
  };
  const engine = makeEngine(store);
  const commandTimes: number[] = [];
  let incidents = 0;
  while (saveTimes.length < target) {
    const id = await start(engine, `sim-all-three-${incidents}`);
    incidents += 1;
    await engine.idle();
    for (let i = 0; i < 40; i++) {
      const record = (await store.get(id))!;
      const at = stepOfState((record.snapshot as { value: unknown }).value);
      if (record.status === 'closed' || at?.phase !== 'awaiting') break;
      const step = at.stepId;
      const attempt = contextOf(record.snapshot).current!.attempt;
      const t = performance.now();
      const def = playbook.stepById.get(step)!;
      const r =
        'answers' in def
          ? await engine.handle({
              type: 'answer',
              incidentId: id,
              stepId: step,
              attempt,
              answer: def.answers[0]!.id,
              user: approver,
              ...card(step),
            })
          : await engine.handle({
              type: 'approve',
              incidentId: id,
              stepId: step,
              attempt,
              user: approver,
              ...card(step),
            });
      commandTimes.push(performance.now() - t);
      if (!r.ok) throw new Error(r.message.en);
      await engine.idle();
    }
  }
  engine.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  return [
    {
      name: `person command → saved transition (SQLite, ${commandTimes.length} commands, ${incidents} incidents)`,
      figures: {
        p50_ms: percentile(commandTimes, 50),
        p99_ms: percentile(commandTimes, 99),
        max_ms: percentile(commandTimes, 100),
      },
      target: 'p99 < 5 ms',
      ok: percentile(commandTimes, 99) < 5,
    },
    {
      name: `store.save of every transition (snapshot + transcript, ${saveTimes.length} saves)`,
      figures: { p50_ms: percentile(saveTimes, 50), p99_ms: percentile(saveTimes, 99) },
    },
  ];
}

/** The RSS split into file-backed and anonymous pages (Linux: /proc/self/smaps_rollup; proc(5)). */
function residentByKind(): { file: number; anonymous: number } {
  const rollup = readFileSync('/proc/self/smaps_rollup', 'utf8');
  const kb = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(rollup)?.[1] ?? NaN) * 1024;
  return { file: kb('Rss') - kb('Anonymous'), anonymous: kb('Anonymous') };
}

/** The memory V8's young generation holds now (its semi-spaces, committed). */
function youngGeneration(): number {
  return getHeapSpaceStatistics()
    .filter((space) => space.space_name === 'new_space' || space.space_name === 'new_large_object_space')
    .reduce((sum, space) => sum + space.physical_space_size, 0);
}

/**
 * Memory held with 1,000 incidents open, each waiting for an approval, in the process as
 * `npm start` runs it: the SQLite store as openStore opens it, the memory settling the
 * server starts (settle-memory.ts), Node's defaults (run.ts starts this suite without
 * `--expose-gc`). The burst that opens them is measured too (peak), then the process is left
 * quiet until it has given the burst's memory back; the figure is the RSS then.
 */
export async function benchOpenIncidents(count = 1_000): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'rdpfix-bench-'));
  const store = await openStore({ kind: 'sqlite', file: join(dir, 'open.db') });
  const engine = makeEngine(store);
  // What the server runs in the background (lease sweeps every 10 s over the open incidents,
  // the outbox poll every second) runs here too, before, during and after the burst.
  await engine.recover();
  const pauses: number[] = [];
  const settler = settleMemoryWhenQuiet({ onSettled: ({ ms }) => pauses.push(ms) });
  const before = process.memoryUsage();
  const names = ['sim-all-three', 'sim-tls-gpo', 'sim-port-stoppable', 'sim-cert-expired'];
  for (let i = 0; i < count; i++) {
    const id = await start(engine, `${names[i % names.length]}-${i}`);
    await engine.idle();
    // Approve the diagnosis so each incident holds evidence and waits at its next card.
    const approved = await engine.handle({
      type: 'approve',
      incidentId: id,
      stepId: 'diagnose',
      attempt: 1,
      user: approver,
      ...card('diagnose'),
    });
    // Refused, the incident would wait at the diagnosis: fewer bytes, a figure of nothing.
    if (!approved.ok) throw new Error(`diagnose refused: ${approved.message.en}`);
    await engine.idle();
  }
  const peak = process.memoryUsage.rss();
  const quietAt = performance.now();
  // Quiet: the settler gives the burst's memory back. Bounded: a process that never settles
  // is measured as it is after 30 s.
  while (settler.count === 0 && performance.now() - quietAt < 30_000)
    await new Promise((resolve) => setTimeout(resolve, 250));
  const settledAfter = performance.now() - quietAt;
  const settledRss = process.memoryUsage.rss();
  // Then idle as a server is: 30 s more (three lease sweeps), the figure the highest RSS seen.
  let idleMax = settledRss;
  for (const end = performance.now() + 30_000; performance.now() < end; ) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    idleMax = Math.max(idleMax, process.memoryUsage.rss());
  }
  const after = process.memoryUsage();
  const young = youngGeneration();
  const mapped = residentByKind();
  const open = (await store.list({ status: 'open', limit: count + 1 })).length;
  settler.stop();
  engine.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  const mb = (n: number) => Math.round((n / 1_048_576) * 10) / 10;
  return [
    {
      name: `${open} open incidents waiting for approval (process left quiet)`,
      figures: {
        rss_mb: mb(idleMax),
        rss_once_settled_mb: mb(settledRss),
        // The process before the first incident (Node, the engine, SQLite, the playbook).
        base_rss_mb: mb(before.rss),
        peak_rss_mb: mb(peak),
        settled_after_s: Math.round(settledAfter / 100) / 10,
        settlings: settler.count,
        // The collection that gives it back stops the (quiet) event loop this long.
        settle_pause_ms: Math.round(Math.max(0, ...pauses) * 10) / 10,
        // V8's young generation: sized by the burst that made the incidents, not by the incidents.
        young_generation_mb: mb(young),
        heap_used_mb: mb(after.heapUsed),
        // Of the RSS: pages of files (the node binary, better-sqlite3's library: shared, clean)
        // and anonymous memory (V8's heap, malloc, stacks).
        file_backed_mb: mb(mapped.file),
        anonymous_mb: mb(mapped.anonymous),
      },
      target: 'RSS < 100 MB',
      ok: idleMax < 100 * 1_048_576,
    },
  ];
}

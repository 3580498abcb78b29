import { mkdtempSync, rmSync } from 'node:fs';
import { Session } from 'node:inspector';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { ApprovedStep, RunHooks, ScriptToRun } from '../src/azure/vm-operations';
import type { User } from '../src/core/types';
import { contextOf, IncidentEngine } from '../src/engine/incident-engine';
import type { Delivery } from '../src/engine/messages';
import { loadPlaybook } from '../src/playbook/load-playbook';
import { SqliteIncidentStore } from '../src/store/sqlite-store';
import { card, policyWith, testConversation } from '../test/helpers/engine-harness';
import { SimulatedVmOperations } from '../test/support/simulated-vm-operations';
import type { BenchRow } from './stats';

const requester: User = { id: 'U_REQ', name: 'requester' };
const approver: User = { id: 'U_APP', name: 'approver' };
const root = join(__dirname, '..', '..');

/**
 * The path of one Approve click: how many store round trips and which of our source files
 * lie between the click and the Run Command reaching Azure, and between Azure's answer and
 * the chat message with the result. Files are those whose code V8 saw run in between (precise
 * coverage), so a restructuring shows in the figure.
 */
export async function benchHops(): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'rdpfix-hops-'));
  const store = new SqliteIncidentStore(join(dir, 'hops.db'));
  let storeCalls = 0;
  const counted = new Proxy(store, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        storeCalls += 1;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  const vm = new SimulatedVmOperations();
  const marks: { at: string; calls: number; files: string[] }[] = [];
  const coverage = new Session();
  coverage.connect();
  const mark = (at: string) => marks.push({ at, calls: storeCalls, files: filesRun(coverage) });
  const runScript = vm.runScript.bind(vm);
  vm.runScript = async (step: ApprovedStep, script: ScriptToRun, hooks: RunHooks) => {
    mark('azure');
    const output = await runScript(step, script, hooks);
    mark('answer');
    return output;
  };
  let watching = false;
  const sink = async (d: Delivery) => {
    const answered = marks.some((m) => m.at === 'answer');
    if (watching && answered && d.message.kind !== 'cardClosed' && !marks.some((m) => m.at === 'message'))
      mark('message');
    // What a threaded channel (Slack) does once the root message is posted.
    if (d.message.kind === 'opened') await store.setThread(d.incidentId, 'bench-thread');
  };
  const playbook = loadPlaybook(join(root, 'dialogs', 'rdp-internal-error'));
  const engine = new IncidentEngine({
    store: counted,
    playbooks: [playbook],
    vm,
    policy: policyWith([approver.id], false, { ttlMs: 3_600_000 }),
    sink,
    progressIntervalMs: 0,
  });
  try {
    const started = await engine.handle({
      type: 'start',
      vm: { subscriptionId: 'bench', resourceGroup: 'rg-sim', name: 'sim-tls-disabled' },
      requester,
      // The conversation the decisions below come from (`card()`'s origin): a decision from any
      // other is refused (issue 17).
      channel: testConversation,
      locale: 'en',
    });
    if (!started.ok) throw new Error(started.message.en);
    await engine.idle();
    const record = (await store.get(started.incidentId))!;
    const current = contextOf(record.snapshot).current!;
    watching = true;
    storeCalls = 0;
    coverage.post('Profiler.enable');
    coverage.post('Profiler.startPreciseCoverage', { callCount: true, detailed: false });
    filesRun(coverage);
    const approved = await engine.handle({
      type: 'approve',
      incidentId: record.id,
      stepId: current.stepId,
      attempt: current.attempt,
      user: approver,
      ...card(current.stepId),
    });
    if (!approved.ok) throw new Error(`approve refused: ${approved.message.en}`);
    await engine.idle();
    const azure = marks.find((m) => m.at === 'azure');
    const answer = marks.find((m) => m.at === 'answer');
    const message = marks.find((m) => m.at === 'message');
    if (!azure || !answer || !message) throw new Error(`hops: missing marks ${JSON.stringify(marks)}`);
    // The file lists go to stderr: the parent prints only the table from stdout.
    process.stderr.write(
      `click → Azure: ${azure.files.join(' ')}\nanswer → chat: ${message.files.join(' ')}\n`,
    );
    return [
      {
        name: 'approve click → Run Command (SQLite)',
        figures: { 'store round trips': azure.calls, 'our files run': azure.files.length },
      },
      {
        name: 'Run Command answer → result message (SQLite)',
        figures: {
          'store round trips': message.calls - answer.calls,
          'our files run': message.files.length,
        },
      },
    ];
  } finally {
    engine.close();
    coverage.disconnect();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Our source files (src/) whose functions ran since the previous call: precise coverage with
 * call counts resets the counters on every take, so each mark sees only what ran since the last.
 * An in-process inspector session answers synchronously.
 */
function filesRun(session: Session): string[] {
  let files: string[] = [];
  session.post('Profiler.takePreciseCoverage', (err, taken) => {
    if (err) throw err;
    files = taken.result
      .filter((script) => script.functions.some((f) => f.ranges.some((r) => r.count > 0)))
      .map((script) => relative(join(root, 'dist-test'), script.url.replace(/^file:\/\//, '')))
      .filter((file) => file.startsWith('src/'))
      .sort();
  });
  return files;
}

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AzureVmOperations } from '../../src/azure/azure-vm-operations';
import { StaticTestCredential } from '../../src/azure/loopback-pipeline';
import { type RunCommandKind, RunCommandKinds } from '../../src/azure/managed-run-command';
import { ArmSimulator } from '../../src/simulator/arm-simulator';
import { SqliteIncidentStore } from '../../src/store/sqlite-store';
import { approveStep, currentStep, driveToEnd, makeHarness, startIncident } from '../helpers/engine-harness';

const SUB = '11111111-2222-3333-4444-555555555555';
const dir = mkdtempSync(join(tmpdir(), 'rdpfix-azure-resume-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const azure = (url: string, runCommand: RunCommandKind) =>
  new AzureVmOperations({
    subscriptionId: SUB,
    credential: new StaticTestCredential(),
    loopbackEndpoint: url,
    pollIntervalMs: 20,
    runCommand,
  });

async function until(check: () => Promise<boolean>, what: string, ms = 5_000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

test.each(RunCommandKinds)(
  '%s Run Command: the process stops while it runs; the next one resumes the poll and posts the result once',
  async (kind) => {
    // Each Run Command takes 0.6 s in the simulator (30 s × 0.02).
    const sim = new ArmSimulator({ subscriptionId: SUB, latencyScale: 0.02 });
    const url = await sim.listen();
    const file = join(dir, `resume-${kind}.db`);

    const first = makeHarness({ store: new SqliteIncidentStore(file), vm: azure(url, kind) });
    const id = await startIncident(first, 'sim-tls-disabled', undefined, {
      subscriptionId: SUB,
      resourceGroup: 'rg-sim',
    });
    for (const stepId of ['diagnose', 'check-rdp-security', 'snapshot-os-disk']) {
      await approveStep(first, id, stepId);
      await first.engine.idle();
    }
    await approveStep(first, id, 'enable-tls');
    await until(
      async () => (await first.store.getDispatch(id, 'enable-tls', 1))?.status === 'polling',
      'the poller state',
    );
    first.engine.close(); // stop while Azure is still running the script
    await first.engine.idle();
    expect((await currentStep(first, id)).record.state).toBe('enable-tls.running');

    const second = makeHarness({ store: new SqliteIncidentStore(file), vm: azure(url, kind) });
    await second.engine.recover();
    await second.engine.idle();
    expect((await currentStep(second, id)).stepId).toBe('restart-vm');
    // Sent once each: the restarted process polled the saved run, it did not send it again.
    expect(sim.scriptDispatches().map((d) => [d.kind, d.text.split('\n')[0]])).toEqual([
      [kind, '# rdp-fix-step: diagnose'],
      [kind, '# rdp-fix-step: enable-tls'],
    ]);
    if (kind === 'managed') {
      // Each run command resource is deleted once its result is stored, the resumed one by the
      // process that resumed it.
      const deleted = sim.requests.filter((r) => r.method === 'DELETE' && r.path.includes('/runCommands/'));
      expect(deleted.map((r) => r.path.split('/').at(-1))).toEqual([
        `rdpfix-diagnose-1-${id}`,
        `rdpfix-enable-tls-1-${id}`,
      ]);
    }
    const transcript = await second.store.transcript(id);
    expect(
      transcript.filter((e) => e.kind === 'step.finished' && e.data.stepId === 'enable-tls'),
    ).toHaveLength(1);
    expect(
      second.messages('progress').filter((m) => m.kind === 'progress' && m.done && m.stepId === 'enable-tls'),
    ).toHaveLength(1);

    await driveToEnd(second, id);
    expect((await second.store.get(id))?.outcome).toBe('resolved');
    await first.store.close();
    await second.store.close();
    await sim.close();
  },
);

import { AzureVmOperations } from '../src/azure/azure-vm-operations';
import { StaticTestCredential } from '../src/azure/loopback-pipeline';
import { RealisticLatency } from '../src/simulator/arm-operations';
import type { RecordedRequest } from '../src/simulator/arm-routes';
import { ArmSimulator } from '../src/simulator/arm-simulator';
import { LabLatency } from '../src/simulator/lab-route-helpers';
import { currentStep, driveToEnd, makeHarness, testConversation } from '../test/helpers/engine-harness';
import type { BenchRow } from './stats';

const SUB = '11111111-2222-3333-4444-555555555555';

/**
 * What one ARM request costs in Azure's time, by the simulator's own model of Azure's
 * latencies (arm-operations.ts RealisticLatency, lab-route-helpers.ts LabLatency): a Run
 * Command 30 s, a start or deallocation 90 s, a VM created 120 s and deleted 60 s, a disk
 * copied, a VM updated, a NIC created or deleted, a disk deleted 10 s, a snapshot 10 s.
 * Reads, polls and resource groups cost nothing here.
 */
function modelledMs(r: RecordedRequest): number {
  const path = r.path.toLowerCase();
  const kind = (type: string) => new RegExp(`/${type}/[^/]+$`).test(path);
  if (r.method === 'PUT' && path.includes('/runcommands/')) return RealisticLatency.runCommand;
  if (r.method === 'POST' && /\/(start|deallocate|restart)$/.test(path)) return RealisticLatency.restart;
  if (r.method === 'PUT' && kind('snapshots')) return RealisticLatency.snapshot;
  if (r.method === 'PUT' && kind('disks')) return LabLatency.diskCopy;
  if (r.method === 'PUT' && kind('virtualmachines')) return LabLatency.vmCreate;
  if (r.method === 'PATCH' && kind('virtualmachines')) return LabLatency.vmUpdate;
  if (r.method === 'DELETE' && kind('virtualmachines')) return LabLatency.vmDelete;
  if ((r.method === 'PUT' || r.method === 'DELETE') && kind('networkinterfaces')) return LabLatency.network;
  if (r.method === 'DELETE' && kind('disks')) return LabLatency.diskDelete;
  return 0;
}

/**
 * The article's offline path by hand, in the portal and on a recovery VM, with the same model:
 * deallocate the VM, snapshot, disk from the snapshot, a recovery VM and its NIC, attach, the
 * four offline scripts in an RDP session, detach, swap, start, then delete the recovery VM, its
 * NIC and its disk. 13 Azure operations and 4 scripts, each done and checked by a person.
 */
const ByHand = {
  operations: 13,
  scripts: 4,
  ms:
    RealisticLatency.restart * 2 +
    RealisticLatency.snapshot +
    LabLatency.diskCopy +
    LabLatency.vmCreate +
    LabLatency.network * 2 +
    LabLatency.vmUpdate * 3 +
    LabLatency.vmDelete +
    LabLatency.diskDelete +
    RealisticLatency.runCommand * 4,
};

/**
 * The offline repair through the engine and the real SDK against the simulator (no latency;
 * Azure's time is modelled from the requests it received), every step approved: its approved
 * steps, ARM operations, Run Commands and Azure time, next to the article's offline path by hand.
 */
export async function benchOffline(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const name of ['sim-agent-down-cert', 'sim-agent-down-tls']) {
    const sim = new ArmSimulator({ subscriptionId: SUB });
    const url = await sim.listen();
    const vm = new AzureVmOperations({
      subscriptionId: SUB,
      credential: new StaticTestCredential(),
      loopbackEndpoint: url,
      pollIntervalMs: 5,
    });
    const h = makeHarness({
      vm,
      rescue: { operations: vm.rescueOperations(undefined), resourceGroup: undefined },
    });
    const started = await h.engine.handle({
      type: 'start',
      vm: { subscriptionId: SUB, resourceGroup: 'rg-sim', name },
      requester: { id: 'U_OPS' },
      channel: testConversation,
      locale: 'en',
      offline: true,
    });
    if (!started.ok) throw new Error(started.message.en);
    await h.engine.idle();
    await driveToEnd(h, started.incidentId, undefined, { 'rescue-decide': 'keep-repair' });
    const { record } = await currentStep(h, started.incidentId);
    const transcript = await h.store.transcript(started.incidentId);
    const approved = transcript.filter((e) => e.kind === 'step.approved').length;
    const costed = sim.requests.filter((r) => modelledMs(r) > 0);
    const runCommands = costed.filter((r) => r.path.toLowerCase().includes('/runcommands/')).length;
    rows.push({
      name: `offline repair ${name} → ${record.outcome}`,
      figures: {
        approved_steps: approved,
        azure_operations: costed.length - runCommands,
        run_commands: runCommands,
        azure_seconds: costed.reduce((sum, r) => sum + modelledMs(r), 0) / 1000,
        article_by_hand_operations: ByHand.operations,
        article_by_hand_scripts: ByHand.scripts,
        article_by_hand_seconds: ByHand.ms / 1000,
      },
      target: 'resolved, every step approved',
      ok: record.outcome === 'resolved',
    });
    h.engine.close();
    await sim.close();
  }
  return rows;
}

import { AzureVmOperations } from '../../src/azure/azure-vm-operations';
import { StaticTestCredential } from '../../src/azure/loopback-pipeline';
import { ArmSimulator } from '../../src/simulator/arm-simulator';
import { bob, card, currentStep, makeHarness, startIncident } from '../helpers/engine-harness';

/**
 * A script that hangs, on the managed Run Command: Azure stops it at the step's time limit
 * (timeoutInSeconds), the person is told plainly, with what it printed so far, and the run
 * command resource is deleted. The simulator scales time: 300 s of Azure are 300 ms here.
 */
const SUB = '11111111-2222-3333-4444-555555555555';

test('a hung diagnostic is stopped at its time limit; the thread says so, with its partial output', async () => {
  const sim = new ArmSimulator({ subscriptionId: SUB, latencyScale: 0.001 });
  const url = await sim.listen();
  try {
    const h = makeHarness({
      vm: new AzureVmOperations({
        subscriptionId: SUB,
        credential: new StaticTestCredential(),
        loopbackEndpoint: url,
        pollIntervalMs: 10,
        runCommand: 'managed',
      }),
    });
    const id = await startIncident(h, 'sim-hung', undefined, {
      subscriptionId: SUB,
      resourceGroup: 'rg-sim',
    });
    await h.engine.handle({
      type: 'approve',
      incidentId: id,
      stepId: 'diagnose',
      attempt: 1,
      user: bob,
      ...card('diagnose'),
    });
    await h.engine.idle();

    // The playbook's limit for the diagnostic went to Azure, with a synchronous run.
    const [put] = sim.scriptDispatches();
    expect(put?.kind).toBe('managed');
    expect(put?.request.body).toMatchObject({
      properties: { timeoutInSeconds: 300, asyncExecution: false, treatFailureAsDeploymentFailure: false },
    });

    const done = h.messages('progress').find((m) => m.kind === 'progress' && m.done);
    if (done?.kind !== 'progress') throw new Error('no result message');
    expect(done.text.en).toContain(
      `"Diagnose the VM (read-only)" stopped after 5 minutes: it ran past its time limit and Azure ended it; the VM's Run Command slot is free again.`,
    );
    expect(done.text.en).toContain(
      'Output so far: rdp-fix diagnose: services, certificate and TLS read; probing',
    );
    expect(done.text.it).toContain('interrotto dopo 5 minuti');
    expect(done.text.it).toContain('lo slot Run Command della VM è di nuovo libero');

    // The transcript keeps the partial output and says why the step ended.
    const output = (await h.store.transcript(id)).find((e) => e.kind === 'step.output');
    expect(output?.data).toMatchObject({
      stepId: 'diagnose',
      outcome: 'failed',
      timedOut: true,
      timeoutSeconds: 300,
      stdout: expect.stringContaining('probing 127.0.0.1:3389 (X.224)'),
    });
    const record = await h.store.get(id);
    expect(record?.causes).toEqual([]);
    expect((await currentStep(h, id)).stepId).toBe('diagnose-failed');

    // Its run command resource is gone once the result is stored.
    const deletes = sim.requests.filter((r) => r.method === 'DELETE' && r.path.includes('/runCommands/'));
    expect(deletes).toHaveLength(1);
    expect(deletes[0]!.path).toBe(put!.request.path);
  } finally {
    await sim.close();
  }
});

import type { Registry } from 'prom-client';
import { AzureVmOperations } from './azure/azure-vm-operations';
import { isLoopback, StaticTestCredential } from './azure/loopback-pipeline';
import { actionsNeeded } from './azure/rescue/rescue-actions';
import type { IncidentResource } from './azure/rescue/rescue-operations';
import type { VmOperations } from './azure/vm-operations';
import type { Config } from './config';
import { type Conversation, createConversation } from './conversation/conversation';
import { ErrorCodes, isRdpFixError, messageOf } from './core/errors';
import { type Logger, silentLogger } from './core/logger';
import type { VmRef } from './core/types';
import { IncidentEngine } from './engine/incident-engine';
import type { MessageSink } from './engine/messages';
import { loggedConversation } from './observability/logged-conversation';
import { createMetrics } from './observability/metrics';
import { loadPlaybooks, type Playbook } from './playbook/load-playbook';
import { ArmSimulator } from './simulator/arm-simulator';
import { loadInventory } from './simulator/inventory';
import type { IncidentStore } from './store/incident-store';
import { openStore } from './store/open-store';

/** The subscription id of the built-in simulator (local mode). */
export const SimulatorSubscription = '00000000-0000-4000-8000-00000000a2ea';

export interface Runtime {
  engine: IncidentEngine;
  store: IncidentStore;
  vm: VmOperations;
  /** With the offline repair on: what Azure holds for an incident now, found by its tag. */
  incidentResources?: (record: { id: string; vm: VmRef }) => Promise<IncidentResource[]>;
  /** Set in local mode: the in-process ARM simulator the real SDK talks to. */
  simulator: ArmSimulator | undefined;
  /** Puts the simulated VMs back as their scenarios start: there only when the simulator runs. */
  resetSimulatedVms: (() => number) | undefined;
  /** The loaded playbooks (the pages show their cause names and scripts). */
  playbooks: readonly Playbook[];
  subscriptionId: string;
  /** Prometheus registry served at /metrics. */
  metrics: Registry;
  /**
   * Stops the engine: no new work; what is running gets `graceMs` to finish, the rest is
   * handed over (its leases released, so another replica or the next start resumes it).
   */
  close(graceMs?: number): Promise<void>;
}

/**
 * The composition root shared by the server and `rdp-fix chat`: store, playbooks, Azure
 * (or, with no Azure configured, the loopback simulator behind the real SDK) and the engine.
 */
export async function createRuntime(config: Config, sink: MessageSink, logger: Logger): Promise<Runtime> {
  const playbooks = loadPlaybooks(config.dialogsDir);
  if (playbooks.length === 0) throw new Error(`no playbook found in ${config.dialogsDir}`);
  const store = await openStore(config.database, logger);
  const metrics = createMetrics(store, {
    onError: (err) => logger.warn('metrics: could not read the store', { error: messageOf(err) }),
  });
  const azure = await connectAzure(config, logger);
  const rescue =
    config.rescue.enabled && azure.vm instanceof AzureVmOperations
      ? azure.vm.rescueOperations(config.rescue.resourceGroup)
      : undefined;
  const engine = new IncidentEngine({
    store,
    playbooks,
    vm: azure.vm,
    ...(rescue ? { rescue: { operations: rescue, resourceGroup: config.rescue.resourceGroup } } : {}),
    policy: config.policy,
    sink,
    metrics: metrics.engine,
    replicaId: config.replica.id,
    leaseMs: config.replica.leaseMs,
    onError: (err, where, incidentId) =>
      logger.error('engine error', {
        code: isRdpFixError(err) ? err.code : ErrorCodes.Unexpected,
        where,
        incident: incidentId,
        error: messageOf(err),
      }),
    onStepFailed: (f) =>
      logger.error('step failed', {
        code: f.error.code,
        incident: f.incidentId,
        vm: f.vm,
        step: f.stepId,
        attempt: f.attempt,
        error: f.error.message,
        ...(f.error.action ? { missingAction: f.error.action } : {}),
        // The person's command that sent the step, and who opened the incident.
        command: `approve ${f.stepId}`,
        approvedBy: f.approvedBy.id,
        requester: f.requester.id,
      }),
  });
  await engine.recover();
  await reportPermissions(azure.vm, logger, config.rescue.enabled);
  return {
    engine,
    store,
    vm: azure.vm,
    ...(rescue ? { incidentResources: (record) => rescue.listIncidentResources(record.id, record.vm) } : {}),
    simulator: azure.simulator,
    resetSimulatedVms: azure.simulator ? () => azure.simulator.reset() : undefined,
    playbooks,
    subscriptionId: azure.subscriptionId,
    metrics: metrics.registry,
    async close(graceMs = config.replica.shutdownGraceMs) {
      const settled = engine.idle().then(() => true);
      engine.close();
      const finished = await Promise.race([settled, delay(graceMs).then(() => false)]);
      if (!finished) logger.warn('stopping with work in progress: handed over', { graceMs });
      await engine
        .handOver()
        .catch((err: unknown) =>
          logger.error('could not hand over: the leases lapse by themselves', { error: messageOf(err) }),
        );
      await azure.simulator?.close();
      await metrics.close();
      await store.close();
    },
  };
}

/**
 * The conversation core over this runtime's engine, Azure and store, under the configured
 * policy; refusals and failures logged.
 */
export function conversationOf(
  runtime: Runtime,
  config: Pick<Config, 'policy' | 'publicUrl'>,
  logger: Logger = silentLogger,
): Conversation {
  const conversation = createConversation({
    engine: runtime.engine,
    vms: runtime.vm,
    incidents: runtime.store,
    threads: runtime.store,
    policy: config.policy,
    publicUrl: config.publicUrl,
  });
  return loggedConversation(conversation, logger);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

async function connectAzure(config: Config, logger: Logger) {
  const { subscriptionId, resourceGroups, armEndpoint, runCommand } = config.azure;
  const pollIntervalMs = config.simulator.pollIntervalMs;
  if (!subscriptionId) {
    const { inventoryFile, latencyScale } = config.simulator;
    const simulator = new ArmSimulator({
      subscriptionId: SimulatorSubscription,
      latencyScale,
      // The simulated identity holds the roles this configuration needs (the rescue one too when on).
      grantedActions: actionsNeeded(config.rescue.enabled),
      ...(inventoryFile ? { vms: loadInventory(inventoryFile) } : {}),
    });
    const url = await simulator.listen();
    logger.info(
      'local mode: no AZURE_SUBSCRIPTION_ID, so the Azure SDK talks to the built-in ARM simulator',
      { simulator: url },
    );
    const vm = new AzureVmOperations({
      subscriptionId: SimulatorSubscription,
      credential: new StaticTestCredential(),
      loopbackEndpoint: url,
      pollIntervalMs,
      conflictBaseDelayMs: 1_000,
      runCommand,
    });
    return { vm, simulator, subscriptionId: SimulatorSubscription };
  }
  if (armEndpoint && new URL(armEndpoint).protocol === 'http:') {
    if (!isLoopback(new URL(armEndpoint)))
      throw new Error('AZURE_ARM_ENDPOINT: http is only allowed on loopback (a simulator)');
    logger.warn('AZURE_ARM_ENDPOINT is a loopback http server: using a static test credential', {
      endpoint: armEndpoint,
    });
    const vm = new AzureVmOperations({
      subscriptionId,
      resourceGroups,
      credential: new StaticTestCredential(),
      loopbackEndpoint: armEndpoint,
      pollIntervalMs,
      runCommand,
    });
    return { vm, simulator: undefined, subscriptionId };
  }
  // Managed identity in Azure, `az login` on a laptop: loaded only when Azure is really used.
  const { DefaultAzureCredential } = await import('@azure/identity');
  const vm = new AzureVmOperations({
    subscriptionId,
    resourceGroups,
    credential: new DefaultAzureCredential(),
    ...(armEndpoint ? { endpoint: armEndpoint } : {}),
    runCommand,
  });
  logger.info('Azure mode', {
    subscriptionId,
    resourceGroups,
    endpoint: armEndpoint ?? 'https://management.azure.com',
    runCommand,
  });
  return { vm, simulator: undefined, subscriptionId };
}

/** Warns at start-up about rights the identity lacks (steps would fail) or has beyond need. */
async function reportPermissions(vm: VmOperations, logger: Logger, rescue: boolean): Promise<void> {
  if (!(vm instanceof AzureVmOperations)) return;
  try {
    for (const report of await vm.checkPermissions(actionsNeeded(rescue))) {
      if (report.missing.length)
        logger.warn('azure permissions missing: steps needing them will fail with 403', { ...report });
      if (report.excess.length)
        logger.warn('azure permissions beyond what rdp-fix needs: consider the rdp-fix operator role', {
          ...report,
        });
      if (!report.missing.length && !report.excess.length)
        logger.info('azure permissions match what rdp-fix needs', { scope: report.scope });
    }
  } catch (err) {
    logger.warn('could not read the azure permissions', {
      error: messageOf(err),
    });
  }
}

import { AzureVmOperations } from '../../src/azure/azure-vm-operations';
import { StaticTestCredential } from '../../src/azure/loopback-pipeline';
import { ArmSimulator } from '../../src/simulator/arm-simulator';

export const SimSubscription = '11111111-2222-3333-4444-555555555555';

/**
 * A fresh loopback ARM simulator for each test (closed after it), and the product's Azure
 * adapter on the real SDK pointed at it: fast polls, no waiting between retries.
 */
export function useArmSimulator() {
  let sim: ArmSimulator;
  let url = '';
  const start = async () => {
    sim = new ArmSimulator({ subscriptionId: SimSubscription });
    url = await sim.listen();
  };
  beforeEach(start);
  afterEach(async () => {
    await sim.close();
  });
  return {
    get sim() {
      return sim;
    },
    /** A new simulator in the middle of a test (its VMs back in their scenarios). */
    async restart() {
      await sim.close();
      await start();
    },
    azure(overrides: Partial<ConstructorParameters<typeof AzureVmOperations>[0]> = {}) {
      return new AzureVmOperations({
        subscriptionId: SimSubscription,
        credential: new StaticTestCredential(),
        loopbackEndpoint: url,
        pollIntervalMs: 5,
        agentReadyTimeoutMs: 5_000,
        ...overrides,
      });
    },
  };
}

import { ComputeManagementClient } from '@azure/arm-compute';
import { NetworkManagementClient } from '@azure/arm-network';
import type { TokenCredential } from '@azure/core-auth';
import { z } from 'zod';
import { isLoopback, loopbackRedirectPolicy, StaticTestCredential } from '../azure/loopback-pipeline';
import { ErrorCodes, RdpFixError } from '../core/errors';
import { SimulatorSubscription } from '../runtime';

const AzureManagement = 'https://management.azure.com';

/** Where the lab commands send their ARM requests, and how. */
export interface LabTarget {
  subscriptionId: string;
  /** The https management endpoint the SDK clients are given. */
  endpoint: string;
  /** The simulator's `http://127.0.0.1:…` address: requests are redirected there (the product's loopback pipeline). */
  loopback: string | undefined;
  pollIntervalMs: number;
}

/** The settings the lab reads, under the names the server reads them by (src/config.ts). */
const labEnvSchema = z.object({
  AZURE_SUBSCRIPTION_ID: z.string().min(1).optional(),
  AZURE_ARM_ENDPOINT: z.string().optional(),
  RDPFIX_POLL_INTERVAL_MS: z.coerce.number().int().min(1).max(60_000).optional(),
});

/**
 * Azure (AZURE_SUBSCRIPTION_ID, optionally a sovereign cloud's https AZURE_ARM_ENDPOINT) or
 * the simulator (`--endpoint` / AZURE_ARM_ENDPOINT on loopback http: the address `rdp-fix
 * simulate` prints, or the one in `npm start`'s local-mode summary). The same rules as the
 * server's: http only on loopback, never with a real token.
 */
export function labTargetOf(
  env: Record<string, string | undefined>,
  endpointOption: string | undefined,
): LabTarget {
  const settings = labEnvSchema.safeParse(env);
  if (!settings.success) {
    throw new RdpFixError(
      ErrorCodes.InvalidParameter,
      `Invalid configuration: ${settings.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  const subscriptionId = settings.data.AZURE_SUBSCRIPTION_ID;
  const pollIntervalMs = settings.data.RDPFIX_POLL_INTERVAL_MS;
  const given = endpointOption ?? settings.data.AZURE_ARM_ENDPOINT;
  if (given) {
    let url: URL;
    try {
      url = new URL(given);
    } catch {
      throw new RdpFixError(ErrorCodes.InvalidCommand, `--endpoint ${given} is not an address`);
    }
    if (url.protocol === 'http:') {
      if (!isLoopback(url))
        throw new RdpFixError(
          ErrorCodes.InvalidCommand,
          `${given}: http is only allowed on loopback (a simulator)`,
        );
      return {
        subscriptionId: subscriptionId ?? SimulatorSubscription,
        endpoint: AzureManagement,
        loopback: given,
        pollIntervalMs: pollIntervalMs ?? 200,
      };
    }
    if (url.protocol !== 'https:')
      throw new RdpFixError(
        ErrorCodes.InvalidCommand,
        `${given}: an ARM endpoint is https (or loopback http)`,
      );
  }
  if (!subscriptionId) {
    throw new RdpFixError(
      ErrorCodes.InvalidCommand,
      'Which subscription? Set AZURE_SUBSCRIPTION_ID for Azure, or give --endpoint http://127.0.0.1:<port> for the simulator (the address `rdp-fix simulate` prints, or the one in the local-mode start-up summary of `npm start`).',
    );
  }
  return {
    subscriptionId,
    endpoint: given ?? AzureManagement,
    loopback: undefined,
    pollIntervalMs: pollIntervalMs ?? 5_000,
  };
}

/** Whether the target is Azure itself (it costs money), not the simulator. */
export function isAzure(target: LabTarget): boolean {
  return target.loopback === undefined;
}

export interface LabClients {
  compute: ComputeManagementClient;
  network: NetworkManagementClient;
  target: LabTarget;
}

/**
 * The real SDK clients for a target: on loopback the product's redirect policy and static
 * test credential, on Azure DefaultAzureCredential (`az login`, a managed identity), loaded
 * only then.
 */
export async function labClients(target: LabTarget, credential?: TokenCredential): Promise<LabClients> {
  const additionalPolicies = target.loopback
    ? [{ policy: loopbackRedirectPolicy(target.loopback), position: 'perRetry' as const }]
    : [];
  let cred = credential;
  if (!cred) {
    if (target.loopback) cred = new StaticTestCredential();
    else {
      const { DefaultAzureCredential } = await import('@azure/identity');
      cred = new DefaultAzureCredential();
    }
  }
  const options = { endpoint: target.endpoint, additionalPolicies };
  return {
    compute: new ComputeManagementClient(cred, target.subscriptionId, options),
    network: new NetworkManagementClient(cred, target.subscriptionId, options),
    target,
  };
}

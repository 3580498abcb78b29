import { createDefaultHttpClient, createPipelineRequest, type Pipeline } from '@azure/core-rest-pipeline';

/** The caller's effective permissions on a scope, as ARM reports them. */
export interface PermissionSet {
  actions: string[];
  notActions: string[];
}

export interface PermissionReport {
  scope: string;
  missing: string[];
  excess: string[];
}

/** Whether an ARM action pattern (with `*` wildcards) covers an action. Case-insensitive, like ARM. */
export function covers(pattern: string, action: string): boolean {
  const re = new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\/]/g, '\\$&'))
      .join('.*')}$`,
    'i',
  );
  return re.test(action);
}

/**
 * Compares what the identity may do with what the agent needs: missing actions stop steps
 * with a 403 later, excess ones (wildcards, deletes) are rights an attacker could use.
 */
export function comparePermissions(
  scope: string,
  granted: PermissionSet[],
  needed: readonly string[],
): PermissionReport {
  const allowed = (action: string) =>
    granted.some(
      (p) => p.actions.some((a) => covers(a, action)) && !p.notActions.some((n) => covers(n, action)),
    );
  const missing = needed.filter((a) => !allowed(a));
  const excess = granted
    .flatMap((p) => p.actions)
    .filter((a) => !needed.some((n) => a.toLowerCase() === n.toLowerCase()))
    .filter((a, i, all) => all.indexOf(a) === i);
  return { scope, missing, excess };
}

/**
 * Reads `Microsoft.Authorization/permissions` for a resource group through the compute
 * client's own pipeline (same credential, same loopback redirect in local mode).
 */
export async function readPermissions(
  pipeline: Pipeline,
  endpoint: string,
  subscriptionId: string,
  resourceGroup: string | undefined,
): Promise<PermissionSet[]> {
  const scope = resourceGroup
    ? `/subscriptions/${subscriptionId}/resourceGroups/${encodeURIComponent(resourceGroup)}`
    : `/subscriptions/${subscriptionId}`;
  const url = `${endpoint}${scope}/providers/Microsoft.Authorization/permissions?api-version=2022-04-01`;
  const response = await pipeline.sendRequest(
    createDefaultHttpClient(),
    createPipelineRequest({ url, method: 'GET' }),
  );
  if (response.status !== 200) throw new Error(`permissions on ${scope}: HTTP ${response.status}`);
  const body = JSON.parse(response.bodyAsText ?? '{}') as {
    value?: { actions?: string[]; notActions?: string[] }[];
  };
  return (body.value ?? []).map((p) => ({ actions: p.actions ?? [], notActions: p.notActions ?? [] }));
}

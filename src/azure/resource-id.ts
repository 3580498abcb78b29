/** The resource group and name in an ARM resource id (`/subscriptions/…/resourceGroups/{rg}/…/{name}`). */
export function parseId(id: string): { resourceGroup: string; name: string } {
  const parts = id.split('/');
  const rgIndex = parts.findIndex((p) => p.toLowerCase() === 'resourcegroups');
  return { resourceGroup: parts[rgIndex + 1] ?? '', name: parts.at(-1) ?? '' };
}

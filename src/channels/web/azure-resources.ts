import type { IncidentResource } from '../../azure/rescue/rescue-operations';
import { Texts } from '../../texts/catalogue';
import { esc } from './html';

/** What Azure holds for an incident right now, or why it could not be read. */
export type ResourcesNow = { list: IncidentResource[] } | { error: string };

/**
 * The incident page's "Azure resources now" section (the offline repair's snapshot, copy,
 * rescue VM and its NIC and disk, group), read from Azure by the incident's tag when the page
 * is shown. Every value comes from Azure and is escaped.
 */
export function resourcesSection(now: ResourcesNow | undefined): string {
  if (!now) return '';
  const title = `<h2>${esc(Texts.web.azureResources.en)}</h2>`;
  if ('error' in now)
    return `${title}<p id="azure-resources" class="muted">${esc(Texts.web.azureResourcesUnread.en.replace('{error}', now.error))}</p>`;
  if (now.list.length === 0)
    return `${title}<p id="azure-resources" class="muted">${esc(Texts.web.azureResourcesNone.en)}</p>`;
  const rows = now.list
    .map(
      (r) =>
        `<tr><td>${esc(r.type)}</td><td>${esc(r.name)}</td><td>${esc(r.resourceGroup)}</td><td>${esc(r.state)}</td></tr>`,
    )
    .join('');
  return `${title}<table id="azure-resources"><thead><tr><th>Type</th><th>Name</th><th>Resource group</th><th>State</th></tr></thead><tbody>${rows}</tbody></table>`;
}

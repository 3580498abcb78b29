import type { VmOperations } from '../azure/vm-operations';
import { ErrorCodes, isRdpFixError } from '../core/errors';
import { ResourceGroupPattern, VmNamePattern } from '../core/parse-command';
import type { ChannelRef, Locale, User } from '../core/types';
import { type CommandResult, refusal } from './commands';
import type { IncidentEngine } from './incident-engine';

export interface OpenRequest {
  vmName: string;
  resourceGroup?: string;
  requester: User;
  channel: ChannelRef;
  locale: Locale;
  walkAll?: boolean;
}

/**
 * Resolves a VM name in the scope the agent serves and opens an incident for it. A name
 * found in several resource groups becomes a question; one outside the scope is not found.
 */
export async function openIncident(
  engine: IncidentEngine,
  vm: VmOperations,
  request: OpenRequest,
): Promise<CommandResult> {
  if (!VmNamePattern.test(request.vmName)) {
    return refusal(ErrorCodes.InvalidVmName, {
      en: 'That is not a valid Azure VM name (1-64 letters, digits, "_", "." or "-").',
      it: 'Non è un nome valido di VM di Azure (1-64 lettere, cifre, "_", "." o "-").',
    });
  }
  if (request.resourceGroup !== undefined && !ResourceGroupPattern.test(request.resourceGroup)) {
    return refusal(ErrorCodes.InvalidVmName, {
      en: 'That is not a valid resource group name.',
      it: 'Non è un nome valido di gruppo di risorse.',
    });
  }
  let found: Awaited<ReturnType<VmOperations['resolveVm']>>;
  try {
    found = await vm.resolveVm(request.vmName, request.resourceGroup);
  } catch (err) {
    if (!isRdpFixError(err)) throw err;
    return refusal(err.code, {
      en: `Could not look up the VM: ${err.message}`,
      it: `Impossibile cercare la VM: ${err.message}`,
    });
  }
  const name = request.vmName;
  if (found.length === 0) {
    const where = request.resourceGroup ? ` in ${request.resourceGroup}` : '';
    return refusal(ErrorCodes.VmNotFound, {
      en: `No VM named ${name}${where} in the subscription and resource groups rdp-fix serves.`,
      it: `Nessuna VM chiamata ${name}${where} nella sottoscrizione e nei gruppi di risorse serviti da rdp-fix.`,
    });
  }
  if (found.length > 1) {
    const groups = found.map((f) => f.resourceGroup).join(', ');
    return refusal(ErrorCodes.VmAmbiguous, {
      en: `${name} exists in several resource groups (${groups}): say which with --rg <group>.`,
      it: `${name} esiste in più gruppi di risorse (${groups}): indicare quale con --rg <gruppo>.`,
    });
  }
  return engine.handle({
    type: 'start',
    vm: found[0]!,
    requester: request.requester,
    channel: request.channel,
    locale: request.locale,
    walkAll: request.walkAll ?? false,
  });
}

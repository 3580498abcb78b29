import { ErrorCodes, isRdpFixError } from '../core/errors';
import { ResourceGroupPattern, VmNamePattern } from '../core/parse-command';
import type { ChannelRef, Locale, User } from '../core/types';
import { type CommandResult, refusal } from '../engine/commands';
import { ChatTexts } from './chat-texts';
import type { IncidentCommands, VmResolver } from './ports';

export interface StartRequest {
  vmName: string;
  resourceGroup?: string;
  requester: User;
  channel: ChannelRef;
  locale: Locale;
  walkAll?: boolean;
  /** `--offline`: straight to the offline repair. */
  offline?: boolean;
}

/**
 * Resolves a VM name in the scope the agent serves and opens an incident for it. A name
 * found in several resource groups becomes a question; one outside the scope is not found.
 */
export async function startIncident(
  engine: Pick<IncidentCommands, 'handle'>,
  vms: VmResolver,
  request: StartRequest,
): Promise<CommandResult> {
  // Checked again here: the start may come from elsewhere than parseCommand.
  if (!VmNamePattern.test(request.vmName)) return refusal(ErrorCodes.InvalidVmName, ChatTexts.invalidVmName);
  if (request.resourceGroup !== undefined && !ResourceGroupPattern.test(request.resourceGroup))
    return refusal(ErrorCodes.InvalidVmName, ChatTexts.invalidResourceGroup);
  let found: Awaited<ReturnType<VmResolver['resolveVm']>>;
  try {
    found = await vms.resolveVm(request.vmName, request.resourceGroup);
  } catch (err) {
    if (!isRdpFixError(err)) throw err;
    return refusal(err.code, ChatTexts.lookupFailed(err.message));
  }
  if (found.length === 0)
    return refusal(ErrorCodes.VmNotFound, ChatTexts.vmNotFound(request.vmName, request.resourceGroup));
  if (found.length > 1) {
    const groups = found.map((f) => f.resourceGroup).join(', ');
    return refusal(ErrorCodes.VmAmbiguous, ChatTexts.vmAmbiguous(request.vmName, groups));
  }
  return engine.handle({
    type: 'start',
    vm: found[0]!,
    requester: request.requester,
    channel: request.channel,
    locale: request.locale,
    walkAll: request.walkAll ?? false,
    ...(request.offline ? { offline: true } : {}),
  });
}

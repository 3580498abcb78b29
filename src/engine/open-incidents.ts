import { ErrorCodes } from '../core/errors';
import { formatVm, type VmRef } from '../core/types';
import type { IncidentLog } from '../store/incident-store';
import { openVmKey } from '../store/open-vm-key';
import { type Refused, refusal } from './commands';
import { Texts } from './texts';

/**
 * The open incident on this VM, if any (names compared as Azure does: case-insensitively).
 * Asked before a start for a clear answer; the store's unique index is what enforces it.
 */
export async function openIncidentOn(
  store: Pick<IncidentLog, 'list'>,
  vm: VmRef,
): Promise<string | undefined> {
  const open = await store.list({ status: 'open', vmName: vm.name, limit: 500 });
  const key = openVmKey(vm);
  return open.find((r) => openVmKey(r.vm) === key)?.id;
}

/** The answer to a start on a VM that already has an open incident: which one. */
export function alreadyOpen(vm: VmRef, incidentId: string): Refused {
  return {
    ...refusal(ErrorCodes.IncidentAlreadyOpen, Texts.refused.alreadyOpen(formatVm(vm), incidentId, '')),
    openIncidentId: incidentId,
  };
}

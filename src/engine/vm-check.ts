import type { VmOperations } from '../azure/vm-operations';
import { messageOf } from '../core/errors';
import type { IncidentRecord } from '../store/incident-store';
import type { Command } from './commands';

/**
 * The read-only pre-flight: can the agent act on this VM (running, agent Ready)? Its answer
 * comes back as a `vmChecked` command; an Azure error is an answer too ("error"), so the
 * incident never stays in pre-flight because a call failed.
 */
export async function checkVm(vm: VmOperations, record: IncidentRecord): Promise<Command> {
  const check = await vm
    .checkVm(record.vm)
    .catch((err: unknown) => ({ status: 'error' as const, detail: messageOf(err) }));
  return {
    type: 'vmChecked',
    incidentId: record.id,
    status: check.status,
    ...(check.detail ? { detail: check.detail } : {}),
  };
}

import { sendArm } from '../azure/arm-request';
import { callAzure } from '../azure/azure-errors';
import type { LabClients } from './lab-target';

/**
 * VM auto-shutdown is a DevTest Labs "global schedule" (REST reference "Global Schedules",
 * api-version 2018-09-15): PUT/GET/DELETE `…/providers/Microsoft.DevTestLab/schedules/
 * shutdown-computevm-<vm>`, synchronous. No DevTest Labs SDK is a dependency for three
 * calls: they go through the compute client's own pipeline (same credential, same loopback
 * redirect), as the permission check does.
 */
const ApiVersion = '2018-09-15';

export interface ScheduleResource {
  id: string;
  name: string;
  tags?: Record<string, string>;
  properties?: { dailyRecurrence?: { time?: string }; timeZoneId?: string; status?: string };
}

function urlOf(clients: LabClients, rg: string, name?: string): string {
  const { endpoint, subscriptionId } = clients.target;
  const base = `${endpoint}/subscriptions/${subscriptionId}/resourceGroups/${encodeURIComponent(rg)}/providers/Microsoft.DevTestLab/schedules`;
  return `${base}${name ? `/${encodeURIComponent(name)}` : ''}?api-version=${ApiVersion}`;
}

function send(clients: LabClients, method: 'GET' | 'PUT' | 'DELETE', url: string, body?: unknown) {
  return sendArm(clients.compute.pipeline, method, url, body);
}

export function putShutdownSchedule(
  clients: LabClients,
  rg: string,
  name: string,
  body: Record<string, unknown>,
): Promise<unknown> {
  return callAzure('create the auto-shutdown schedule', () =>
    send(clients, 'PUT', urlOf(clients, rg, name), body),
  );
}

export async function listSchedules(clients: LabClients, rg: string): Promise<ScheduleResource[]> {
  const page = (await callAzure('list the auto-shutdown schedules', () =>
    send(clients, 'GET', urlOf(clients, rg)),
  )) as { value?: ScheduleResource[] } | undefined;
  return page?.value ?? [];
}

export async function deleteSchedule(clients: LabClients, rg: string, name: string): Promise<void> {
  await callAzure('delete the auto-shutdown schedule', () =>
    send(clients, 'DELETE', urlOf(clients, rg, name)),
  );
}

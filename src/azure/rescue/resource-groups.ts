import type { Pipeline } from '@azure/core-rest-pipeline';
import { isRestError } from '@azure/core-rest-pipeline';
import { sendArm } from '../arm-request';

/**
 * Resource groups through the compute client's pipeline: no `@azure/arm-resources` dependency
 * for four calls. REST reference "Resource Groups - Create Or Update" (PUT, 200/201,
 * synchronous), "Resource Groups - Get", "Resource Groups - Delete" (202, then ARM deletes it)
 * and "Resources - List By Resource Group" (`GET …/resourceGroups/{rg}/resources`),
 * api-version 2021-04-01.
 */
const ApiVersion = '2021-04-01';

export interface GroupTarget {
  pipeline: Pipeline;
  endpoint: string;
  subscriptionId: string;
}

function urlOf(t: GroupTarget, rg: string, tail = ''): string {
  return `${t.endpoint}/subscriptions/${t.subscriptionId}/resourcegroups/${encodeURIComponent(rg)}${tail}?api-version=${ApiVersion}`;
}

export interface GroupBody {
  name?: string;
  location?: string;
  tags?: Record<string, string>;
}

export async function getGroup(t: GroupTarget, rg: string): Promise<GroupBody | undefined> {
  try {
    return (await sendArm(t.pipeline, 'GET', urlOf(t, rg))) as GroupBody;
  } catch (err) {
    if (isRestError(err) && err.statusCode === 404) return undefined;
    throw err;
  }
}

export async function putGroup(t: GroupTarget, rg: string, body: GroupBody): Promise<void> {
  await sendArm(t.pipeline, 'PUT', urlOf(t, rg), body);
}

/** The ids of every resource in the group, whatever its type. */
export async function groupResourceIds(t: GroupTarget, rg: string): Promise<string[]> {
  const page = (await sendArm(t.pipeline, 'GET', urlOf(t, rg, '/resources'))) as
    | { value?: { id?: string }[] }
    | undefined;
  return (page?.value ?? []).map((r) => r.id ?? '');
}

export async function deleteGroup(t: GroupTarget, rg: string): Promise<void> {
  await sendArm(t.pipeline, 'DELETE', urlOf(t, rg));
}

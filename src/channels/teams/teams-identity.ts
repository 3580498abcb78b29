import type { Activity } from '@microsoft/agents-activity';

/** Why a Teams activity is not acted on (for the log and the reply). */
export const TeamsRefusals = {
  /** `channelId` is not `msteams`: another Bot Framework channel (Direct Line, Web Chat…). */
  NotTeams: 'not-teams',
  /** No `from.aadObjectId`: the sender is not an Entra user (or the body was forged). */
  NoUser: 'no-aad-user',
  /** The conversation belongs to another tenant than the configured `tenantId`. */
  OtherTenant: 'other-tenant',
} as const;
export type TeamsRefusal = (typeof TeamsRefusals)[keyof typeof TeamsRefusals];

/** The person behind an activity: their Entra object id is their rdp-fix user id. */
export interface TeamsUser {
  id: string;
  name: string;
}

/**
 * Who sent a Teams activity, read only from the activity the SDK authenticated: it must come
 * from the Teams channel (`channelId: "msteams"`), from an Entra user (`from.aadObjectId`:
 * Teams sends it for every user, learn.microsoft.com/microsoftteams/platform/bots/how-to/conversations/send-proactive-messages
 * "Get the user ID"; `from.id` is a Teams-scoped id that other channels let a caller choose),
 * and, when a tenant is configured, from that tenant (`conversation.tenantId`, or
 * `channelData.tenant.id` which Teams also sends; every one present must match).
 */
export function verifyTeamsIdentity(
  activity: Activity,
  tenantId: string | undefined,
): { ok: true; user: TeamsUser } | { ok: false; refusal: TeamsRefusal } {
  if (activity.channelId !== 'msteams') return { ok: false, refusal: TeamsRefusals.NotTeams };
  const aad = activity.from?.aadObjectId;
  if (typeof aad !== 'string' || !aad.trim()) return { ok: false, refusal: TeamsRefusals.NoUser };
  if (tenantId) {
    const tenants = [
      activity.conversation?.tenantId,
      (activity.channelData as { tenant?: { id?: unknown } } | undefined)?.tenant?.id,
    ].filter((t) => t !== undefined && t !== null);
    const same = (t: unknown) => typeof t === 'string' && t.toLowerCase() === tenantId.toLowerCase();
    if (tenants.length === 0 || !tenants.every(same))
      return { ok: false, refusal: TeamsRefusals.OtherTenant };
  }
  return { ok: true, user: { id: aad, name: activity.from?.name ?? aad } };
}

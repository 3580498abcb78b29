import type { ChannelRef, Risk, User } from './types';

/** A chat platform: user ids are only ever compared with ids of the same platform. */
export type Platform = ChannelRef['platform'];
export const Platforms = ['slack', 'teams', 'web', 'cli'] as const satisfies readonly Platform[];

/**
 * Where a command was given, as the channel decoded it from the verified payload: the
 * platform and its conversation (a Slack channel id; a Teams conversation id without
 * `;messageid=…`). Decisions count only from the incident's own conversation.
 */
export interface Origin {
  platform: Platform;
  channel: string;
}

/**
 * Who may see and decide on an incident, and how much one person may open.
 * - Approvers are listed per platform (`RDPFIX_APPROVERS` for Slack and the terminal,
 *   `RDPFIX_TEAMS_APPROVERS` for Teams): a Slack id approves Slack incidents only.
 * - With approvers listed for the incident's platform: only they approve; the requester only
 *   if self-approval is allowed (`allowSelfApproval: true`), so a second person looks at it.
 * - With none listed for the platform: the requester alone approves when
 *   `selfApprovalWhenUnlisted` (local mode, or self-approval allowed explicitly); otherwise
 *   nobody does (Azure mode fails closed).
 */
export interface ApprovalPolicy {
  approvers: Readonly<Record<Platform, readonly string[]>>;
  allowSelfApproval: boolean | undefined;
  selfApprovalWhenUnlisted: boolean;
  /** How long an approval card stays valid. */
  ttlMs: number;
  /** Steps of these risks need two different approvers (`RDPFIX_TWO_PERSON_RISK`). */
  twoPersonRisks?: readonly Risk[];
  /** Open incidents one person may have at once (`RDPFIX_MAX_OPEN_PER_USER`); unset: no limit. */
  maxOpenPerUser?: number;
}

export type ApprovalCheck =
  | { allowed: true }
  | { allowed: false; reason: 'not-approver' | 'self-approval' | 'not-requester' | 'no-approvers' };

/** The same list on every platform (tests, and the terminal's single-user sessions). */
export function onEveryPlatform(ids: readonly string[]): Record<Platform, readonly string[]> {
  return { slack: ids, teams: ids, web: ids, cli: ids };
}

export function isApproverOn(policy: ApprovalPolicy, platform: Platform, userId: string): boolean {
  return policy.approvers[platform].includes(userId);
}

/** Whether `user` may approve or skip a step of an incident opened by `requester` on `platform`. */
export function checkApprover(
  policy: ApprovalPolicy,
  user: User,
  requester: User,
  platform: Platform,
): ApprovalCheck {
  const self = user.id === requester.id;
  if (policy.approvers[platform].length === 0) {
    if (!policy.selfApprovalWhenUnlisted) return { allowed: false, reason: 'no-approvers' };
    return self ? { allowed: true } : { allowed: false, reason: 'not-requester' };
  }
  if (!isApproverOn(policy, platform, user.id)) return { allowed: false, reason: 'not-approver' };
  if (self && policy.allowSelfApproval !== true) return { allowed: false, reason: 'self-approval' };
  return { allowed: true };
}

/** Aborting or answering a question: the requester or an approver of the incident's platform. */
export function maySteer(policy: ApprovalPolicy, user: User, requester: User, platform: Platform): boolean {
  return user.id === requester.id || isApproverOn(policy, platform, user.id);
}

/** Whether a step of this risk needs two different approvers. */
export function needsTwoApprovers(policy: ApprovalPolicy, risk: Risk | undefined): boolean {
  return risk !== undefined && (policy.twoPersonRisks ?? []).includes(risk);
}

/**
 * Whether a person may read an incident (status, history, transcript) or act on it by id
 * (cancel): asked in the incident's own conversation, or by an approver of its platform asking
 * from that platform. Anything else is answered as if the incident did not exist.
 */
export function mayRead(
  policy: ApprovalPolicy,
  user: User,
  where: Origin,
  incident: { channel: ChannelRef },
): boolean {
  if (isSameConversation(where, incident.channel)) return true;
  return where.platform === incident.channel.platform && isApproverOn(policy, where.platform, user.id);
}

export function isSameConversation(where: Origin, channel: ChannelRef): boolean {
  return where.platform === channel.platform && where.channel === channel.channel;
}

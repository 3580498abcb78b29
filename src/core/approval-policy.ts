import type { User } from './types';

/**
 * Who may decide on an incident's steps.
 * - With an approver list: only listed users; the requester only if self-approval is allowed
 *   (default: not allowed, so a second person always looks at the change).
 * - Without a list: only the requester (self-approval is then the only approval there is).
 */
export interface ApprovalPolicy {
  approvers: readonly string[];
  allowSelfApproval: boolean | undefined;
  /** How long an approval card stays valid. */
  ttlMs: number;
}

export type ApprovalCheck =
  | { allowed: true }
  | { allowed: false; reason: 'not-approver' | 'self-approval' | 'not-requester' };

export function checkApprover(policy: ApprovalPolicy, user: User, requester: User): ApprovalCheck {
  const self = user.id === requester.id;
  if (policy.approvers.length === 0) {
    return self && policy.allowSelfApproval !== false
      ? { allowed: true }
      : { allowed: false, reason: 'not-requester' };
  }
  if (!policy.approvers.includes(user.id)) return { allowed: false, reason: 'not-approver' };
  if (self && policy.allowSelfApproval !== true) return { allowed: false, reason: 'self-approval' };
  return { allowed: true };
}

/** Aborting or answering a question: the requester or any approver. */
export function maySteer(policy: ApprovalPolicy, user: User, requester: User): boolean {
  return user.id === requester.id || policy.approvers.includes(user.id);
}

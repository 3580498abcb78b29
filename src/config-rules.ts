import type { Env } from './config';
import type { ApprovalPolicy } from './core/approval-policy';
import { isLoopbackHost } from './core/loopback';

/*
 * Rules that span several settings (config.ts parses each one): who may approve, and when
 * Teams may run unauthenticated. A broken rule stops the start with a message naming them.
 */

/**
 * Unauthenticated Teams only on purpose: `RDPFIX_TEAMS_ANONYMOUS=true` needs a loopback HOST,
 * no NODE_ENV=production (the SDK refuses anonymous requests there anyway) and no client id.
 */
export function checkTeamsSettings(e: Env): string[] {
  if (!e.RDPFIX_TEAMS_ANONYMOUS) return [];
  const problems: string[] = [];
  if (e.NODE_ENV === 'production')
    problems.push(
      'RDPFIX_TEAMS_ANONYMOUS: true is refused with NODE_ENV=production (Teams would not be authenticated)',
    );
  if (!isLoopbackHost(e.HOST))
    problems.push(
      `RDPFIX_TEAMS_ANONYMOUS: true needs a loopback HOST (HOST is ${e.HOST}), or anyone who reaches it could approve`,
    );
  if (e.clientId ?? e.MicrosoftAppId)
    problems.push('RDPFIX_TEAMS_ANONYMOUS: true contradicts clientId (set one or the other)');
  return problems;
}

/**
 * Who may approve, per platform, failing closed in Azure mode: with no approver list at all,
 * the server refuses to start unless self-approval is allowed explicitly (in local mode, the
 * simulator, the requester approves alone as before). `RDPFIX_APPROVERS` holds Slack user ids
 * and, prefixed `local:`, the terminal's users (`rdp-fix chat`); `RDPFIX_TEAMS_APPROVERS`
 * Entra object ids. A list is never consulted for another platform's incidents.
 */
export function approvalPolicyOf(e: Env): ApprovalPolicy {
  // As the runtime decides it: no (or an empty) subscription id is local mode.
  const local = !e.AZURE_SUBSCRIPTION_ID;
  const terminal = e.RDPFIX_APPROVERS.filter((id) => id.startsWith('local:'));
  const slack = e.RDPFIX_APPROVERS.filter((id) => !id.startsWith('local:'));
  const listed = e.RDPFIX_APPROVERS.length + e.RDPFIX_TEAMS_APPROVERS.length;
  const problem = (text: string) => new Error(`Invalid configuration:\n  ${text}`);
  if (listed === 0 && e.RDPFIX_ALLOW_SELF_APPROVAL === false)
    throw problem(
      'RDPFIX_ALLOW_SELF_APPROVAL: false needs RDPFIX_APPROVERS or RDPFIX_TEAMS_APPROVERS, or nobody could approve a step',
    );
  if (listed === 0 && !local && e.RDPFIX_ALLOW_SELF_APPROVAL !== true)
    throw problem(
      'RDPFIX_APPROVERS / RDPFIX_TEAMS_APPROVERS: against Azure (AZURE_SUBSCRIPTION_ID is set) an approver list is required; set RDPFIX_ALLOW_SELF_APPROVAL=true to let every requester approve their own steps instead',
    );
  const twoPerson = [...new Set(e.RDPFIX_TWO_PERSON_RISK)];
  if (twoPerson.length && Math.max(slack.length, terminal.length, e.RDPFIX_TEAMS_APPROVERS.length) < 2)
    throw problem(
      'RDPFIX_TWO_PERSON_RISK: needs at least two approvers in RDPFIX_APPROVERS or RDPFIX_TEAMS_APPROVERS',
    );
  return {
    approvers: { slack, cli: terminal, teams: e.RDPFIX_TEAMS_APPROVERS, web: [] },
    allowSelfApproval: e.RDPFIX_ALLOW_SELF_APPROVAL,
    // With no approver for a platform: the requester alone, in local mode or when allowed
    // explicitly; otherwise nobody (Azure mode never falls back to self-approval silently).
    selfApprovalWhenUnlisted:
      e.RDPFIX_ALLOW_SELF_APPROVAL === true || (local && e.RDPFIX_ALLOW_SELF_APPROVAL !== false),
    ttlMs: e.RDPFIX_APPROVAL_TTL_MINUTES * 60_000,
    twoPersonRisks: twoPerson,
    // 5 against Azure by default; none in local mode, where everyone in the playground is one
    // person (`web:playground`) trying the simulator's VMs.
    maxOpenPerUser: e.RDPFIX_MAX_OPEN_PER_USER ?? (local ? undefined : 5),
  };
}

import type { TeamsMode } from '../channels/teams/teams-auth';
import type { WebAccess } from '../channels/web/web-access';
import type { Config } from '../config';

/** What one part of the server is doing, and why: `on: …` or `off: …`, said in one line. */
export interface StartupSummary {
  slack: string;
  teams: string;
  web: string;
  azure: string;
  database: string;
  /** Settings that look like a mistake (half of Slack's pair): logged as a warning too. */
  problems: string[];
}

const SlackPair = ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET'] as const;

/**
 * The start-up summary: Slack, Teams, web pages and Azure, each on or off with the reason.
 * Slack needs both settings of its pair; with only one, the config quietly has no Slack, so
 * the missing one is named here (from the environment the config was read from).
 */
export function startupSummary(
  config: Config,
  facts: { teams: TeamsMode; web: WebAccess; simulatorUrl: string | undefined },
  env: Record<string, string | undefined>,
): StartupSummary {
  const problems: string[] = [];
  let slack: string;
  if (config.slack) {
    slack = config.slack.appToken
      ? 'on: Socket Mode (SLACK_APP_TOKEN), /slack/events not served'
      : 'on: Slack posts to /slack/events';
  } else {
    const set = SlackPair.filter((name) => env[name]);
    const missing = SlackPair.filter((name) => !env[name]);
    if (set.length > 0) {
      slack = `off: ${set.join(', ')} is set but ${missing.join(', ')} is not; set both to turn Slack on`;
      problems.push(`slack ${slack}`);
    } else {
      slack = 'off: SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET are not set';
    }
  }
  const teams =
    facts.teams.kind === 'authenticated'
      ? `on: /api/messages with JWT validation for clientId ${config.teams.clientId}${config.teams.tenantId ? `, tenant ${config.teams.tenantId}` : ', any tenant (no tenantId)'}`
      : facts.teams.kind === 'anonymous'
        ? `on without authentication (${facts.teams.because}, loopback only): set clientId for real use`
        : `off: ${facts.teams.reason}`;
  const web = !facts.web.enabled
    ? `off: ${facts.web.reason}`
    : facts.web.check === 'token'
      ? 'on: RDPFIX_WEB_TOKEN required (bearer or cookie)'
      : facts.web.check === 'azure-auth'
        ? `on: Easy Auth, ${config.web.allowedUsers.length} allowed user(s) (RDPFIX_WEB_ALLOWED_USERS)`
        : `on without sign-in: the server listens on loopback (${config.host})${facts.simulatorUrl ? '; the playground is on' : ''}`;
  const azure = facts.simulatorUrl
    ? `local mode: no AZURE_SUBSCRIPTION_ID, the built-in ARM simulator at ${facts.simulatorUrl}`
    : `Azure mode: subscription ${config.azure.subscriptionId}, ${config.azure.armEndpoint ?? 'https://management.azure.com'}, resource groups ${config.azure.resourceGroups.length ? config.azure.resourceGroups.join(', ') : 'all'}`;
  return { slack, teams, web, azure, database: config.database.kind, problems };
}
